//! A slow receiver holds back neither another endpoint's deliveries nor the copies, and its
//! backlog is what operators see.

use std::{collections::BTreeSet, time::Duration};

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    helpers::TestApp,
    receiver::{Delivery, Receiver},
    register, spawn_webhook_app, webhook_log,
};

/// Enough copies that the slow endpoint, four answers a second, is behind for many seconds.
const COPIES: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_does_not_delay_another_endpoints_deliveries() {
    let app = spawn_webhook_app(|s| {
        // A held answer must not time out and use up the retry schedule before it is released.
        s.webhook.webhook_timeout_secs = 120.0;
        // Slots for two endpoints' concurrency (4 each): the slow endpoint's requests in flight
        // and the ones claimed behind them would fill every slot if waiting ones held one.
        s.webhook.webhook_senders = 8;
    })
    .await;
    let (fast, slow) = (Receiver::start().await, Receiver::start().await);
    slow.answer_after(Duration::from_secs(1));
    // Held until the fast receiver has everything: the test then compares the order of events,
    // whatever the speed of the renders on this machine.
    slow.hold();
    let (fast_webhook, _) = register(&app, &fast.url("/fast"), &["copy.succeeded"]).await;
    let (slow_webhook, _) = register(&app, &slow.url("/slow"), &["copy.succeeded"]).await;

    let jobs = submit_batch(&app, COPIES).await;
    let fast_events = one_event_per_copy(&fast, COPIES, Duration::from_secs(60)).await;
    let slow_so_far = one_each(&slow.deliveries()).len();

    assert!(slow_so_far <= COPIES / 2, "the slow endpoint got {slow_so_far} of {COPIES} as the fast got all");
    assert_eq!(jobs_of(&fast_events), jobs, "one event for every copy");
    for job in &jobs {
        assert_eq!(app.wait_for_job(job).await["state"], "succeeded", "{job}");
    }
    let backlog = endpoints_until(&app, "the slow endpoint's backlog alone", |endpoints| {
        endpoints.iter().all(|e| e["webhookHandle"] != fast_webhook.as_str())
            && endpoints.iter().any(|e| e["webhookHandle"] == slow_webhook.as_str())
    })
    .await;
    let slow_backlog = backlog.iter().find(|e| e["webhookHandle"] == slow_webhook.as_str()).unwrap();
    assert!(slow_backlog["dueDeliveries"].as_i64().is_some_and(|n| n > 0), "{slow_backlog}");

    slow.release();
    let slow_events = one_event_per_copy(&slow, COPIES, Duration::from_secs(120)).await;
    assert_eq!(jobs_of(&slow_events), jobs, "the slow endpoint gets every event in the end");
    messages_until_all_succeeded(&app, &slow_webhook, COPIES).await;
    endpoints_until(&app, "no backlog left", |endpoints| endpoints.is_empty()).await;
    app.stop().await;
}

/// Submits `count` copies of one source in one batch; returns their job handles.
async fn submit_batch(app: &TestApp, count: usize) -> BTreeSet<String> {
    let source = app.add_image("source", "chelsea.png").await.to_string();
    let items: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "assetHandle": source,
                "folderHandle": app.folder.to_string(),
                "name": format!("copy-{i}"),
                "urlModifier": "wid=32",
            })
        })
        .collect();
    let body = json!({ "companyHandle": app.company.to_string(), "items": items });
    let batch = app.post_json(202, "/v1/copies/batch", &body).await;
    let jobs: BTreeSet<String> = batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["jobHandle"].as_str().map(String::from))
        .collect();
    assert_eq!(jobs.len(), count, "every copy accepted: {batch}");
    jobs
}

/// The first request of each message, in arrival order (a retry repeats the `webhook-id`).
fn one_each(deliveries: &[Delivery]) -> Vec<Delivery> {
    let mut seen = BTreeSet::new();
    deliveries.iter().filter(|d| seen.insert(d.header("webhook-id").to_string())).cloned().collect()
}

/// Waits until the receiver got `count` distinct messages; panics after `within`.
async fn one_event_per_copy(receiver: &Receiver, count: usize, within: Duration) -> Vec<Delivery> {
    let deadline = Instant::now() + within;
    loop {
        let got = one_each(&receiver.deliveries());
        if got.len() >= count {
            return got;
        }
        assert!(Instant::now() < deadline, "{} of {count} messages in {within:?}", got.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The jobs the events are about.
fn jobs_of(events: &[Delivery]) -> BTreeSet<String> {
    events.iter().map(|d| d.json()["data"]["jobHandle"].as_str().unwrap_or_default().to_string()).collect()
}

/// Reads the per-endpoint backlogs of `/v1/queues` until `done` holds; panics after 60 s.
async fn endpoints_until(app: &TestApp, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let figures: Value = serde_json::from_str(&app.get_ops_text(200, "/v1/queues").await).unwrap();
        let endpoints = figures["webhooks"]["endpoints"].as_array().cloned().unwrap_or_default();
        if done(&endpoints) {
            return endpoints;
        }
        assert!(Instant::now() < deadline, "waited 60 s for {what}: {:#}", figures["webhooks"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the endpoint's log shows `count` messages, every one delivered; panics after 60 s.
async fn messages_until_all_succeeded(app: &TestApp, webhook: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = webhook_log(app, webhook, "messages").await;
        let messages = log["messages"].as_array().unwrap();
        if messages.len() == count && messages.iter().all(|m| m["state"] == "succeeded") {
            return;
        }
        assert!(Instant::now() < deadline, "not every message delivered after 60 s: {log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
