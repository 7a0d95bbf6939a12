//! What `/metrics` and `/v1/queues` tell an operator about a known scenario.

use ipscopy::app::{self, Roles};
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{TestApp, spawn, spawn_app, spawn_app_with},
    scrape::{metrics, queues, queues_until, value},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_copies_of_which_two_cannot_be_decoded_show_as_three_succeeded_and_two_failed_with_their_code() {
    let app = spawn_app().await;
    let (company, folder) = app.add_unique_company("Metrics").await;
    let good = app.add_image_in(company, &folder, "chelsea", "chelsea.png").await;
    let broken = app.add_image_in(company, &folder, "truncated", "chelsea-truncated.png").await;
    let mut handles = Vec::new();
    for (i, source) in [good, broken, good, broken, good].into_iter().enumerate() {
        let body = serde_json::json!({
            "companyHandle": company.to_string(),
            "assetHandle": source.to_string(),
            "folderHandle": folder.to_string(),
            "name": format!("copy-{i}"),
            "urlModifier": "wid=40",
        });
        let accepted = app.submit(202, &body).await;
        handles.push(accepted["jobHandle"].as_str().unwrap().to_string());
    }
    for handle in &handles {
        app.wait_for_job(handle).await;
    }

    let samples = metrics(&app).await;
    let company = company.to_string();
    let c = ("company", company.as_str());
    assert_eq!(value(&samples, "ipscopy_jobs_submitted_total", &[c]), Some(5.0));
    assert_eq!(value(&samples, "ipscopy_jobs_succeeded_total", &[c]), Some(3.0));
    assert_eq!(value(&samples, "ipscopy_jobs_failed_total", &[c, ("code", "SourceUndecodable")]), Some(2.0));
    assert_eq!(value(&samples, "ipscopy_jobs_retried_total", &[c]), None, "nothing was retried");
    assert_eq!(value(&samples, "ipscopy_jobs", &[("state", "succeeded")]), Some(3.0));
    assert_eq!(value(&samples, "ipscopy_jobs", &[("state", "failed")]), Some(2.0));
    assert_eq!(value(&samples, "ipscopy_jobs", &[("state", "queued")]), Some(0.0));
    let queue = app.topology().jobs_queue;
    assert_eq!(value(&samples, "ipscopy_queue_messages_ready", &[("queue", &queue)]), Some(0.0));
    assert_eq!(value(&samples, "ipscopy_oldest_queued_job_age_seconds", &[]), Some(0.0));
    assert!(value(&samples, "ipscopy_render_duration_seconds_count", &[]).is_some_and(|n| n >= 3.0));
    assert!(
        value(&samples, "ipscopy_job_duration_seconds_count", &[("outcome", "failed")])
            .is_some_and(|n| n >= 2.0)
    );

    let figures = queues(&app).await;
    assert_eq!(figures["jobs"]["succeeded"], 3);
    assert_eq!(figures["jobs"]["failed"], 2);
    let failures = figures["recentFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{figures:#}");
    assert!(
        failures.iter().all(|f| f["code"] == "SourceUndecodable" && f["companyHandle"] == company.as_str())
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_waiting_for_a_worker_show_as_queue_depth_until_a_worker_takes_them() {
    let app = spawn(Roles { api: true, worker: false }, |_| {}).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let mut handles = Vec::new();
    for i in 0..4 {
        let accepted = app.submit(202, &app.copy_body(source, &format!("waiting-{i}"), "wid=40")).await;
        handles.push(accepted["jobHandle"].as_str().unwrap().to_string());
    }

    // The relay deletes its outbox rows once the broker confirmed them, so both are awaited.
    let figures = queues_until(&app, "four ready messages and an empty outbox", |f| {
        f["broker"]["ready"] == 4 && f["outbox"]["rows"] == 0
    })
    .await;
    assert_eq!(figures["jobs"]["queued"], 4);
    assert_eq!(figures["broker"]["consumers"], 0);
    assert!(figures["oldestQueuedAgeSeconds"].as_f64().is_some_and(|age| age > 0.0), "{figures:#}");
    assert_eq!(figures["fleet"]["workers"], 0);
    let samples = metrics(&app).await;
    let queue = app.topology().jobs_queue;
    assert_eq!(value(&samples, "ipscopy_queue_messages_ready", &[("queue", &queue)]), Some(4.0));
    assert_eq!(value(&samples, "ipscopy_jobs", &[("state", "queued")]), Some(4.0));
    assert_eq!(value(&samples, "ipscopy_broker_up", &[]), Some(1.0));
    assert_eq!(value(&samples, "ipscopy_worker_slots", &[]), None, "this process runs no worker");

    let shutdown = CancellationToken::new();
    let worker =
        app::start(&app.settings, Roles { api: false, worker: true }, shutdown.clone()).await.unwrap();
    for handle in &handles {
        assert_eq!(app.wait_for_job(handle).await["state"], "succeeded");
    }
    let figures = queues_until(&app, "the worker's heartbeat", |f| f["fleet"]["workers"] == 1).await;
    assert_eq!(figures["broker"]["ready"], 0);
    assert_eq!(figures["jobs"]["succeeded"], 4);
    assert_eq!(figures["workers"][0]["slots"], app.settings.worker.worker_concurrency);
    assert_eq!(figures["workers"][0]["alive"], true);
    shutdown.cancel();
    worker.wait().await;
    let figures = queues(&app).await;
    assert_eq!(figures["workers"][0]["alive"], false, "a stopped worker is not shown alive");
    assert!(figures["workers"][0]["stoppedAt"].is_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_behind_shows_its_backlog_under_its_handle_and_endpoints_past_the_bound_as_other() {
    let app = spawn_app_with(|s| {
        s.webhook.webhook_allowed_networks = vec!["127.0.0.0/8".parse().unwrap()];
        // Longer than the test: no attempt ends, so every delivery stays due.
        s.webhook.webhook_timeout_secs = 120.0;
        s.http.metrics_endpoint_labels = 1;
    })
    .await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            held.push(connection);
        }
    });
    let busiest = register(&app, &url, "copy.succeeded").await;
    let quieter = register(&app, &url, "batch.completed").await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    let items: Vec<_> = (0..3)
        .map(|i| {
            serde_json::json!({"assetHandle": source, "folderHandle": app.folder.to_string(),
                "name": format!("behind-{i}"), "urlModifier": "wid=40"})
        })
        .collect();
    let body = serde_json::json!({ "companyHandle": app.company.to_string(), "items": items });
    app.post_json(202, "/v1/copies/batch", &body).await;

    let figures = queues_until(&app, "three copy events and one batch event due", |f| {
        let endpoints = &f["webhooks"]["endpoints"];
        endpoints[0]["dueDeliveries"] == 3 && endpoints[1]["dueDeliveries"] == 1
    })
    .await;
    let endpoints = figures["webhooks"]["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 2, "{figures:#}");
    assert_eq!(endpoints[0]["webhookHandle"], busiest.as_str());
    assert!(endpoints[1]["webhookHandle"].is_null(), "past the bound of one: {figures:#}");
    let samples = metrics(&app).await;
    let due = "ipscopy_webhook_endpoint_due_deliveries";
    let age = "ipscopy_webhook_endpoint_oldest_due_age_seconds";
    assert_eq!(value(&samples, due, &[("endpoint", &busiest)]), Some(3.0));
    assert_eq!(value(&samples, due, &[("endpoint", "other")]), Some(1.0));
    assert_eq!(value(&samples, due, &[("endpoint", &quieter)]), None, "no label past the bound");
    assert!(value(&samples, age, &[("endpoint", &busiest)]).is_some_and(|a| a > 0.0));
    assert!(value(&samples, age, &[("endpoint", "other")]).is_some_and(|a| a > 0.0));
    assert_eq!(samples.iter().filter(|s| s.name == due).count(), 2);
    // Closing the held connections ends the attempts, so the sender stops at once.
    holder.abort();
    let _ = holder.await;
    app.stop().await;
}

/// Registers an endpoint of the test company for one event type; returns its handle.
async fn register(app: &TestApp, url: &str, event: &str) -> String {
    let body = serde_json::json!({ "companyHandle": app.company.to_string(), "url": url, "events": [event] });
    app.post_json(201, "/v1/webhooks", &body).await["webhookHandle"].as_str().unwrap().to_string()
}
