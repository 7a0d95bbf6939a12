//! What `/metrics` and `/v1/queues` tell an operator about a known scenario.

use ipscopy::app::{self, Roles};
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{spawn, spawn_app},
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
