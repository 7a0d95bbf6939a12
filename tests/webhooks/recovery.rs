//! Rotation, resend, recovery, auto-disable and per-request callbacks.

use serde_json::json;

use crate::{
    copy_and_wait,
    helpers::encode,
    receiver::{Receiver, Reply},
    register, spawn_webhook_app, verify_independently, wait_for_message_state, webhook_log,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_rotation_each_delivery_verifies_with_the_old_and_with_the_new_secret() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (webhook, old) = register(&app, &receiver.url("/rotating"), &[]).await;

    let rotated =
        app.post_json(200, &format!("/v1/webhooks/{}/rotate-secret", encode(&webhook)), &json!({})).await;
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated["previousSecretExpires"].is_string(), "{rotated}");
    copy_and_wait(&app, "rotated", json!({})).await;
    let during = receiver.wait_for(1).await.remove(0);

    assert_eq!(during.header("webhook-signature").split(' ').count(), 2, "{:?}", during.headers);
    assert_eq!(verify_independently(&[(&old, &during), (&new, &during)]).await, ["ok", "ok"]);

    // Ending the overlap at once: only the newest secret signs.
    let path = format!("/v1/webhooks/{}/rotate-secret", encode(&webhook));
    let latest = app.post_json(200, &path, &json!({ "overlapSeconds": 0 })).await;
    let latest = latest["secret"].as_str().unwrap().to_string();
    copy_and_wait(&app, "after", json!({})).await;
    let after = receiver.wait_for(2).await.remove(1);
    let verdicts = verify_independently(&[(&latest, &after), (&new, &after)]).await;
    assert_eq!(verdicts[0], "ok");
    assert_ne!(verdicts[1], "ok", "a retired secret no longer verifies");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_resends_only_the_messages_that_failed_since_the_given_time() {
    let app = spawn_webhook_app(|s| s.webhook.webhook_retry_schedule = "50ms".parse().unwrap()).await;
    let receiver = Receiver::start().await;
    let (webhook, _) = register(&app, &receiver.url("/outage"), &[]).await;
    let since = chrono::Utc::now();

    copy_and_wait(&app, "delivered", json!({})).await;
    let delivered = receiver.wait_for(1).await[0].header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &delivered, "succeeded").await;
    receiver.reply_with([Reply::status(500), Reply::status(502)]); // the consumer's outage
    copy_and_wait(&app, "missed", json!({})).await;
    let missed = receiver.wait_for(3).await[1].header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &missed, "failed").await;

    let path = format!("/v1/webhooks/{}/recover", encode(&webhook));
    let recovered = app.post_json(202, &path, &json!({ "since": since })).await;
    assert_eq!(recovered["recovered"], 1);
    let deliveries = receiver.wait_for(4).await;
    wait_for_message_state(&app, &webhook, &missed, "succeeded").await;

    assert_eq!(deliveries[3].header("webhook-id"), missed);
    assert_eq!(receiver.deliveries().len(), 4, "the delivered message was not sent again");
    let log = webhook_log(&app, &webhook, &format!("attempts?messageId={missed}")).await;
    let triggers: Vec<&str> =
        log["attempts"].as_array().unwrap().iter().map(|a| a["trigger"].as_str().unwrap()).collect();
    assert_eq!(triggers, ["scheduled", "scheduled", "recovery"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_delivers_the_same_message_again_and_is_logged_as_manual() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (webhook, _) = register(&app, &receiver.url("/again"), &[]).await;
    copy_and_wait(&app, "resent", json!({})).await;
    let first = receiver.wait_for(1).await.remove(0);
    let msg = first.header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &msg, "succeeded").await;

    let path = format!("/v1/webhooks/{}/messages/{msg}/resend", encode(&webhook));
    app.post_json(202, &path, &json!({})).await;
    let second = receiver.wait_for(2).await.remove(1);

    assert_eq!(second.header("webhook-id"), msg);
    assert_eq!(second.body, first.body, "the same bytes");
    let log = webhook_log(&app, &webhook, &format!("attempts?messageId={msg}")).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut log = log;
    while log["attempts"].as_array().unwrap().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "{log}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        log = webhook_log(&app, &webhook, &format!("attempts?messageId={msg}")).await;
    }
    assert_eq!(log["attempts"][1]["trigger"], "manual");
    let unknown = app
        .post_json(404, &format!("/v1/webhooks/{}/messages/msg_nope/resend", encode(&webhook)), &json!({}))
        .await;
    assert_eq!(unknown["code"], 30001, "{unknown}");
    // Ids that could never be ours (schemathesis sent one with a NUL byte, which PostgreSQL refuses
    // to compare) name no message, like any other unknown id.
    let nul = "msg%00x";
    let none = webhook_log(&app, &webhook, &format!("attempts?messageId={nul}")).await;
    assert_eq!(none["attempts"], json!([]), "{none}");
    let path = format!("/v1/webhooks/{}/messages/{nul}/resend", encode(&webhook));
    assert_eq!(app.post_json(404, &path, &json!({})).await["code"], 30001);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_for_the_configured_time_is_disabled_and_an_event_says_so() {
    // Zero hours: the first failure already spans the whole allowed time.
    let app = spawn_webhook_app(|s| s.webhook.webhook_disable_after_hours = 0.0).await;
    let broken = Receiver::start().await;
    broken.reply_with((0..10).map(|_| Reply::status(500)));
    let watcher = Receiver::start().await;
    let (failing, _) = register(&app, &broken.url("/down"), &["copy.succeeded"]).await;
    let (_, watcher_secret) = register(&app, &watcher.url("/ops"), &["endpoint.disabled"]).await;

    copy_and_wait(&app, "unlucky", json!({})).await;
    let notice = watcher.wait_for(1).await.remove(0);

    let event = notice.json();
    assert_eq!(event["type"], "endpoint.disabled");
    assert_eq!(event["data"]["webhookHandle"], failing);
    assert_eq!(event["data"]["url"], broken.url("/down"));
    assert_eq!(verify_independently(&[(&watcher_secret, &notice)]).await, ["ok"]);
    let endpoint = app.get_json(200, &format!("/v1/webhooks/{}", encode(&failing))).await;
    assert_eq!(endpoint["state"], "disabled");
    assert!(endpoint["disabledReason"].as_str().unwrap().contains("failed since"), "{endpoint}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_url_given_with_a_copy_gets_its_event_signed_with_the_company_callback_secret() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let callback = app
        .post_json(200, "/v1/webhooks/callback", &json!({ "companyHandle": app.company.to_string() }))
        .await;
    let secret = callback["secret"].as_str().unwrap().to_string();

    let job = copy_and_wait(&app, "called-back", json!({ "callbackUrl": receiver.url("/cb/42") })).await;
    let delivery = receiver.wait_for(1).await.remove(0);

    assert_eq!(delivery.path, "/cb/42");
    assert_eq!(delivery.json()["data"]["jobHandle"], job["jobHandle"]);
    assert_eq!(verify_independently(&[(&secret, &delivery)]).await, ["ok"]);
    let handle = callback["webhookHandle"].as_str().unwrap();
    let messages = webhook_log(&app, handle, "messages").await;
    assert_eq!(messages["messages"][0]["url"], receiver.url("/cb/42"), "{messages}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_deletes_old_finished_messages_and_keeps_those_still_being_delivered() {
    let app = spawn_webhook_app(|s| s.webhook.webhook_retry_schedule = "1h".parse().unwrap()).await;
    let receiver = Receiver::start().await;
    let (webhook, _) = register(&app, &receiver.url("/kept"), &[]).await;
    copy_and_wait(&app, "delivered", json!({})).await;
    let delivered = receiver.wait_for(1).await[0].header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &delivered, "succeeded").await;
    receiver.reply_with([Reply::status(500)]);
    copy_and_wait(&app, "retrying", json!({})).await;
    let retrying = receiver.wait_for(2).await[1].header("webhook-id").to_string();
    wait_for_message_state(&app, &webhook, &retrying, "pending").await;

    // Both messages are older than a retention of zero days.
    let pruned = ipscopy::db::webhooks::prune(&app.pool, 0.0, 100).await.unwrap();

    assert_eq!(pruned, 1);
    let messages = webhook_log(&app, &webhook, "messages").await;
    let ids: Vec<&str> =
        messages["messages"].as_array().unwrap().iter().map(|m| m["messageId"].as_str().unwrap()).collect();
    assert_eq!(ids, [retrying.as_str()], "only the message still on its schedule is kept");
    app.stop().await;
}
