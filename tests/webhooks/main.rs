//! Webhook integration tests: each test starts the whole system plus a local receiver on
//! 127.0.0.1 and checks what a webhook consumer would see.

#[path = "../api/helpers.rs"]
mod helpers;

mod delivery;
mod endpoints;
mod imports;
mod receiver;
mod recovery;
mod slow_endpoint;
mod ssrf;

use std::time::Duration;

use helpers::{TestApp, encode, spawn_app_with};
use ipscopy::config::Settings;
use receiver::Delivery;
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt, time::Instant};

/// An app whose webhooks may reach the loopback receiver, with a retry schedule in
/// milliseconds so retry tests take a second, not hours.
pub async fn spawn_webhook_app(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        settings.webhook.webhook_allowed_networks = vec!["127.0.0.0/8".parse().unwrap()];
        settings.webhook.webhook_retry_schedule = "150ms,1500ms".parse().unwrap();
        configure(settings);
    })
    .await
}

/// Registers an endpoint for the test company; returns its handle and secret.
pub async fn register(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let created = app
        .post_json(
            201,
            "/v1/webhooks",
            &json!({ "companyHandle": app.company.to_string(), "url": url, "events": events }),
        )
        .await;
    (created["webhookHandle"].as_str().unwrap().to_string(), created["secret"].as_str().unwrap().to_string())
}

/// Submits a copy of a fresh source image and waits until the job is final; returns the job.
pub async fn copy_and_wait(app: &TestApp, name: &str, extra: Value) -> Value {
    let source = app.add_image(&format!("{name}-source"), "chelsea.png").await;
    let mut body = app.copy_body(source, name, "wid=64");
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let accepted = app.submit(202, &body).await;
    app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await
}

/// GETs a webhook sub-resource, e.g. `messages` or `attempts?messageId=…`.
pub async fn webhook_log(app: &TestApp, webhook: &str, what: &str) -> Value {
    app.get_json(200, &format!("/v1/webhooks/{}/{what}", encode(webhook))).await
}

/// Waits until the endpoint's message `msg` is in `state`; panics after 60 s.
pub async fn wait_for_message_state(app: &TestApp, webhook: &str, msg: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = webhook_log(app, webhook, "messages").await;
        let found = log["messages"].as_array().unwrap().iter().find(|m| m["messageId"] == msg).cloned();
        if let Some(message) = found.filter(|m| m["state"] == state) {
            return message;
        }
        assert!(Instant::now() < deadline, "message {msg} not {state} after 60 s: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Verifies deliveries with `secret`s through the reference Python implementation
/// (`standardwebhooks` from PyPI); returns its verdict for each: "ok" or its error.
pub async fn verify_independently(cases: &[(&str, &Delivery)]) -> Vec<String> {
    let input: Vec<Value> = cases
        .iter()
        .map(|(secret, d)| {
            json!({
                "secret": secret,
                "body": d.body,
                "headers": {
                    "webhook-id": d.header("webhook-id"),
                    "webhook-timestamp": d.header("webhook-timestamp"),
                    "webhook-signature": d.header("webhook-signature"),
                },
            })
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/verify_signatures.py");
    let mut child = tokio::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs the reference verifier");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&serde_json::to_vec(&input).unwrap()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.expect("the verifier finishes");
    assert!(output.status.success(), "the reference verifier failed to run");
    serde_json::from_slice(&output.stdout).expect("the verifier prints a JSON list")
}
