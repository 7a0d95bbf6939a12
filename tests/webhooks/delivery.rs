//! Signed delivery, retries, Retry-After, 410 and concurrency, as a receiver sees them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    copy_and_wait,
    receiver::{Receiver, Reply},
    register, spawn_webhook_app, verify_independently, wait_for_message_state, webhook_log,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_copy_sends_exactly_one_signed_event_that_the_reference_verifier_accepts() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (webhook, secret) = register(&app, &receiver.url("/hooks/ipscopy"), &[]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let job = copy_and_wait(&app, "signed", json!({})).await;
    let delivery = receiver.wait_for(1).await.remove(0);
    let msg = delivery.header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &msg, "succeeded").await;

    assert_eq!(receiver.deliveries().len(), 1, "one event, delivered once");
    assert_eq!(delivery.path, "/hooks/ipscopy");
    assert_eq!(delivery.header("content-type"), "application/json");
    assert!(msg.starts_with("msg_"), "{msg}");
    let timestamp: i64 = delivery.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 300);
    let event = delivery.json();
    assert_eq!(event["type"], "copy.succeeded");
    assert_eq!(event["data"]["jobHandle"], job["jobHandle"]);
    assert_eq!(event["data"]["assetHandle"], job["assetHandle"]);
    assert_eq!(event["data"]["state"], "succeeded");
    assert_eq!(event["data"]["error"], Value::Null);
    assert_eq!(event["data"]["imageInfo"]["width"], 64);
    assert_eq!(event["data"]["imageInfo"]["height"], job["asset"]["imageInfo"]["height"]);
    assert_eq!(event["data"]["imageInfo"]["fileSize"], job["asset"]["imageInfo"]["fileSize"]);
    assert_eq!(event["data"]["imageInfo"]["format"], job["asset"]["imageInfo"]["format"]);
    assert!(chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str().unwrap()).is_ok(), "{event}");

    let mut tampered = delivery.clone();
    tampered.body = tampered.body.replace("succeeded", "failed");
    let verdicts = verify_independently(&[
        (&secret, &delivery),
        ("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", &delivery),
        (&secret, &tampered),
    ])
    .await;
    assert_eq!(verdicts[0], "ok");
    assert!(verdicts[1].contains("No matching signature"), "a wrong secret fails: {verdicts:?}");
    assert!(verdicts[2].contains("No matching signature"), "a changed body fails: {verdicts:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_500_twice_then_200_gets_three_attempts_with_growing_gaps() {
    let app = spawn_webhook_app(|_| {}).await; // schedule: 150 ms, then 1.5 s (± 20 %)
    let receiver = Receiver::start().await;
    let (webhook, _) = register(&app, &receiver.url("/flaky"), &["copy.succeeded"]).await;
    receiver.reply_with([Reply::status(500), Reply::status(500)]);

    copy_and_wait(&app, "retried", json!({})).await;
    let deliveries = receiver.wait_for(3).await;
    let msg = deliveries[0].header("webhook-id").to_string();
    let message = wait_for_message_state(&app, &webhook, &msg, "succeeded").await;

    assert!(deliveries.iter().all(|d| d.header("webhook-id") == msg), "the id is stable across retries");
    let (first_gap, second_gap) = (deliveries[1].at - deliveries[0].at, deliveries[2].at - deliveries[1].at);
    assert!(first_gap >= Duration::from_millis(120), "{first_gap:?}");
    assert!(second_gap > first_gap, "gaps grow: {first_gap:?} then {second_gap:?}");
    assert_eq!(message["attempts"], 3);
    let log = webhook_log(&app, &webhook, &format!("attempts?messageId={msg}")).await;
    let attempts = log["attempts"].as_array().unwrap();
    let codes: Vec<&Value> = attempts.iter().map(|a| &a["responseStatusCode"]).collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);
    assert_eq!(
        attempts.iter().map(|a| a["succeeded"].as_bool().unwrap()).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert!(attempts.iter().all(|a| a["trigger"] == "scheduled" && a["durationMs"].is_number()), "{log}");
    assert_eq!(attempts[0]["responseExcerpt"], "receiver says hi");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_with_retry_after_delays_the_next_attempt_at_least_that_long() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    register(&app, &receiver.url("/busy"), &[]).await;
    receiver.reply_with([Reply::status(503).with_header("retry-after", "1")]);

    copy_and_wait(&app, "busy", json!({})).await;
    let deliveries = receiver.wait_for(2).await;

    let gap = deliveries[1].at - deliveries[0].at;
    assert!(gap >= Duration::from_secs(1), "the schedule says 150 ms, the receiver asked for 1 s: {gap:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_disables_the_endpoint_and_later_events_are_not_sent_to_it() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (webhook, _) = register(&app, &receiver.url("/gone"), &[]).await;
    receiver.reply_with([Reply::status(410)]);

    copy_and_wait(&app, "first", json!({})).await;
    let msg = receiver.wait_for(1).await[0].header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &msg, "failed").await;
    let endpoint = app.get_json(200, &format!("/v1/webhooks/{}", crate::helpers::encode(&webhook))).await;
    assert_eq!(endpoint["state"], "disabled", "{endpoint}");
    assert!(endpoint["disabledReason"].as_str().unwrap().contains("410"), "{endpoint}");

    copy_and_wait(&app, "second", json!({})).await;
    let messages = webhook_log(&app, &webhook, "messages").await;
    assert_eq!(
        messages["messages"].as_array().unwrap().len(),
        1,
        "nothing queued for a disabled endpoint: {messages}"
    );
    assert_eq!(receiver.deliveries().len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_never_gets_more_concurrent_deliveries_than_its_limit() {
    let app = spawn_webhook_app(|s| s.webhook.webhook_endpoint_concurrency = 1).await;
    let receiver = Receiver::start().await;
    receiver.answer_after(Duration::from_millis(300));
    let (webhook, _) = register(&app, &receiver.url("/slow"), &[]).await;

    let source = app.add_image("source", "chelsea.png").await;
    let mut jobs = Vec::new();
    for name in ["one", "two", "three", "four"] {
        let accepted = app.submit(202, &app.copy_body(source, name, "wid=32")).await;
        jobs.push(accepted["jobHandle"].as_str().unwrap().to_string());
    }
    for job in &jobs {
        app.wait_for_job(job).await;
    }
    let deliveries = receiver.wait_for(4).await;
    for d in &deliveries {
        wait_for_message_state(&app, &webhook, d.header("webhook-id"), "succeeded").await;
    }

    assert_eq!(receiver.max_in_flight(), 1);
    assert_eq!(receiver.deliveries().len(), 4);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_event_goes_only_to_the_endpoint_it_was_asked_for() {
    let app = spawn_webhook_app(|_| {}).await;
    let (tested, other) = (Receiver::start().await, Receiver::start().await);
    let (webhook, secret) = register(&app, &tested.url("/tested"), &["copy.succeeded"]).await;
    let (other_webhook, _) = register(&app, &other.url("/other"), &[]).await;

    let sent = app
        .post_json(202, &format!("/v1/webhooks/{}/test", crate::helpers::encode(&webhook)), &json!({}))
        .await;
    let delivery = tested.wait_for(1).await.remove(0);
    wait_for_message_state(&app, &webhook, sent["messageId"].as_str().unwrap(), "succeeded").await;

    assert_eq!(delivery.header("webhook-id"), sent["messageId"]);
    assert_eq!(delivery.json()["type"], "webhook.test");
    assert_eq!(delivery.json()["data"]["webhookHandle"], webhook.as_str());
    assert_eq!(verify_independently(&[(&secret, &delivery)]).await, ["ok"]);
    assert_eq!(webhook_log(&app, &other_webhook, "messages").await["messages"], json!([]));
    assert!(other.deliveries().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_job_of_a_batch_sends_one_batch_completed_event_with_the_counts() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    register(&app, &receiver.url("/hooks"), &["batch.completed"]).await;
    let good = app.add_image("good", "chelsea.png").await.to_string();
    let broken = app.add_image("broken", "chelsea-truncated.png").await.to_string();
    let item = |source: &str, name: &str| json!({"assetHandle": source, "folderHandle": app.folder.to_string(), "name": name, "urlModifier": "wid=16"});
    let body = json!({
        "companyHandle": app.company.to_string(),
        "items": [item(&good, "a"), item(&good, "b"), item(&broken, "c"), item("a|999", "d")],
    });

    let batch = app.post_json(202, "/v1/copies/batch", &body).await;
    let delivery = receiver.wait_for(1).await.remove(0);

    let event = delivery.json();
    assert_eq!(event["type"], "batch.completed");
    assert_eq!(event["data"]["batchHandle"], batch["batchHandle"]);
    assert_eq!(event["data"]["acceptedCount"], 3);
    assert_eq!(event["data"]["rejectedCount"], 1);
    assert_eq!(event["data"]["counts"], json!({"succeeded": 2, "failed": 1, "cancelled": 0}));
    for item in batch["items"].as_array().unwrap().iter().filter(|i| i.get("jobHandle").is_some()) {
        let job = app.wait_for_job(item["jobHandle"].as_str().unwrap()).await;
        assert_ne!(job["state"], "queued");
    }
    assert_eq!(receiver.deliveries().len(), 1, "one batch.completed, and no copy.* events were subscribed");
    app.stop().await;
}
