//! Delivery guarantees: what a 202 promises survives broker outages, duplicates, poison
//! messages, vanished workers and store outages.

use std::time::Duration;

use ipscopy::{
    app::{self, Roles},
    db,
    queue::JobMessage,
    storage::EmbeddedStore,
};
use lapin::{
    BasicProperties,
    options::{BasicPublishOptions, QueueDeclareOptions},
    types::FieldTable,
};
use serde_json::Value;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, encode, spawn, spawn_app, spawn_app_with};

const NO_BROKER: &str = "amqp://guest:guest@127.0.0.1:1/%2f";

async fn job_id(app: &TestApp, accepted: &Value) -> i64 {
    let handle = ipscopy::domain::JobHandle::parse(accepted["jobHandle"].as_str().unwrap()).unwrap();
    assert_eq!(handle.company_id, app.company.0);
    handle.job_id
}

async fn publish_raw(app: &TestApp, body: &[u8]) {
    let broker = ipscopy::config::BrokerUrls::from("amqp://guest:guest@127.0.0.1:5672/%2f");
    let connection = ipscopy::queue::connect(&broker, "test").await.unwrap().connection;
    let channel = connection.create_channel().await.unwrap();
    channel.confirm_select(Default::default()).await.unwrap();
    let confirm = channel
        .basic_publish(
            "".into(),
            app.topology().jobs_queue.as_str().into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(confirm.is_ack());
    connection.close(200, "done".into()).await.unwrap();
}

async fn ready_messages(queue: &str) -> u32 {
    let broker = ipscopy::config::BrokerUrls::from("amqp://guest:guest@127.0.0.1:5672/%2f");
    let connection = ipscopy::queue::connect(&broker, "test").await.unwrap().connection;
    let channel = connection.create_channel().await.unwrap();
    let declared = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions { passive: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();
    declared.message_count()
}

async fn job_state(app: &TestApp, accepted: &Value) -> Value {
    app.get_json(200, &format!("/v1/jobs/{}", encode(accepted["jobHandle"].as_str().unwrap()))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_accepted_while_rabbitmq_is_unreachable_is_rendered_once_a_relay_reaches_it() {
    let app = spawn_app_with(|s| s.amqp.amqp_url = NO_BROKER.into()).await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let accepted = app.submit(202, &app.copy_body(source, "while-down", "wid=40")).await;

    assert_eq!(job_state(&app, &accepted).await["state"], "queued");
    let waiting: i64 = sqlx::query_scalar("select count(*) from outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(waiting, 1, "the job waits in the outbox");
    // A process that reaches the broker (the broker "returns") picks the job up from the outbox.
    let mut settings = app.settings.clone();
    settings.amqp.amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2f".into();
    let shutdown = CancellationToken::new();
    let worker = app::start(&settings, Roles { api: false, worker: true }, shutdown.clone()).await.unwrap();
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 1);
    shutdown.cancel();
    worker.wait().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_job_messages_do_not_run_a_finished_job_again() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let first = app.submit(202, &app.copy_body(source, "once", "wid=40")).await;
    let done = app.wait_for_job(first["jobHandle"].as_str().unwrap()).await;
    assert_eq!(done["state"], "succeeded");

    let duplicate = serde_json::to_vec(&JobMessage { job_id: job_id(&app, &first).await }).unwrap();
    publish_raw(&app, &duplicate).await;
    publish_raw(&app, &duplicate).await;
    // A later job finishing shows the worker got past the duplicates.
    let later = app.submit(202, &app.copy_body(source, "later", "wid=40")).await;
    app.wait_for_job(later["jobHandle"].as_str().unwrap()).await;

    let after = job_state(&app, &first).await;
    assert_eq!(after["attempts"], 1);
    assert_eq!(after["finished"], done["finished"]);
    assert_eq!(after["lastModified"], done["lastModified"]);
    assert_eq!(ready_messages(&app.topology().dead_queue).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_are_dead_lettered_instead_of_looping() {
    let app = spawn_app().await;

    publish_raw(&app, br#"{"jobId": 987654}"#).await;
    publish_raw(&app, b"\x00garbage").await;

    let dead_queue = app.topology().dead_queue;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut dead = 0;
    while dead < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        dead = ready_messages(&dead_queue).await;
    }
    assert_eq!(dead, 2);
    assert_eq!(ready_messages(&app.topology().jobs_queue).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_is_cancelled_at_once_and_its_name_is_released() {
    let app = spawn_app_with(|s| s.amqp.amqp_url = NO_BROKER.into()).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let accepted = app.submit(202, &app.copy_body(source, "doomed", "wid=40")).await;
    let cancel_path = format!("/v1/jobs/{}/cancel", encode(accepted["jobHandle"].as_str().unwrap()));

    let body = app.post_json(202, &cancel_path, &Value::Null).await;

    assert_eq!(body["state"], "cancelled");
    let job = job_state(&app, &accepted).await;
    assert_eq!(job["state"], "cancelled");
    let asset =
        app.get_json(200, &format!("/v1/assets/{}", encode(accepted["assetHandle"].as_str().unwrap()))).await;
    assert_eq!(asset["state"], "failed");
    let waiting: i64 = sqlx::query_scalar("select count(*) from outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(waiting, 0, "nothing is left to publish");
    // The name is free again.
    app.submit(202, &app.copy_body(source, "doomed", "wid=40")).await;
    app.post_json(409, &cancel_path, &Value::Null).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_vanished_is_rescued_and_completes_on_another_worker() {
    let app = spawn(Roles { api: true, worker: false }, |s| s.worker.stale_after_ms = 500).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let accepted = app.submit(202, &app.copy_body(source, "orphan", "wid=40")).await;
    // A worker claims the job and dies before its first heartbeat.
    let claimed = db::jobs::claim(&app.pool, job_id(&app, &accepted).await).await.unwrap();
    assert!(claimed.is_some());

    let shutdown = CancellationToken::new();
    let worker =
        app::start(&app.settings, Roles { api: false, worker: true }, shutdown.clone()).await.unwrap();
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 2);
    assert_eq!(job["attemptErrors"][0]["code"], "WorkerLost");
    shutdown.cancel();
    worker.wait().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_asked_to_cancel_ends_cancelled_instead_of_rendering() {
    let app = spawn(Roles { api: true, worker: false }, |s| s.worker.stale_after_ms = 500).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let accepted = app.submit(202, &app.copy_body(source, "stop-me", "wid=40")).await;
    db::jobs::claim(&app.pool, job_id(&app, &accepted).await).await.unwrap().expect("claimed");

    let cancel_path = format!("/v1/jobs/{}/cancel", encode(accepted["jobHandle"].as_str().unwrap()));
    let body = app.post_json(202, &cancel_path, &Value::Null).await;
    assert_eq!((body["state"].as_str(), body["cancelRequested"].as_bool()), (Some("running"), Some(true)));
    let shutdown = CancellationToken::new();
    let worker =
        app::start(&app.settings, Roles { api: false, worker: true }, shutdown.clone()).await.unwrap();
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["state"], "cancelled", "{job}");
    let asset =
        app.get_json(200, &format!("/v1/assets/{}", encode(accepted["assetHandle"].as_str().unwrap()))).await;
    assert_eq!(asset["state"], "failed");
    shutdown.cancel();
    worker.wait().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_retry_while_the_object_store_is_down_and_succeed_when_it_returns() {
    let store_dir = tempfile::tempdir().unwrap();
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let start_store = |token: CancellationToken| {
        let root = store_dir.path().to_path_buf();
        async move { EmbeddedStore::start_at(&root, "test-key", "test-secret", addr, token).await.unwrap() }
    };
    let store_up = CancellationToken::new();
    start_store(store_up.clone()).await;
    let app = spawn_app_with(|s| {
        s.s3.s3_endpoint = Some(format!("http://{addr}"));
        s.worker.retry_delay_scale = 0.02;
        s.worker.max_attempts = 8;
    })
    .await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    store_up.cancel();
    let accepted = app.submit(202, &app.copy_body(source, "patient", "wid=40")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let job = job_state(&app, &accepted).await;
        assert_eq!(job["state"].as_str().map(|s| s != "failed" && s != "succeeded"), Some(true), "{job}");
        if job["attempts"].as_i64() >= Some(2) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no retry happened: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store_again = CancellationToken::new();
    start_store(store_again.clone()).await;
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["state"], "succeeded", "{job}");
    assert!(job["attempts"].as_i64().unwrap() >= 2);
    assert_eq!(job["attemptErrors"][0]["code"], "StorageUnavailable");
    app.stop().await;
    store_again.cancel();
}

/// Runs a copy end to end and returns its final job.
async fn copy_through(app: &TestApp, source: ipscopy::domain::AssetHandle, name: &str) -> Value {
    let accepted = app.submit(202, &app.copy_body(source, name, "wid=24")).await;
    app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_recovers_by_itself_when_postgresql_drops_every_connection() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    assert_eq!(copy_through(&app, source, "before").await["state"], "succeeded");

    // What a PostgreSQL restart does to this service: every connection of its database dies.
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
    let db_name = app.settings.db.database_url.expose().rsplit('/').next().unwrap().to_string();
    let killed: Vec<bool> =
        sqlx::query_scalar("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1")
            .bind(&db_name)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    println!("injected: terminated {} PostgreSQL connections", killed.len());
    assert!(!killed.is_empty());
    // Idle pooled connections are checked before reuse once idle this long.
    tokio::time::sleep(Duration::from_millis(600)).await;

    let after = copy_through(&app, source, "after").await;
    assert_eq!(after["state"], "succeeded", "{after}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_and_worker_reconnect_when_rabbitmq_closes_their_connections() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    assert_eq!(copy_through(&app, source, "before").await["state"], "succeeded");

    let marker = app.topology().jobs_queue;
    let listed = std::process::Command::new("rabbitmqctl")
        .args(["list_connections", "-q", "pid", "client_properties"])
        .output()
        .expect("rabbitmqctl runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    let pids: Vec<&str> = listing
        .lines()
        .filter(|line| line.contains(&marker))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    println!("injected: closing {} RabbitMQ connections of this deployment", pids.len());
    assert_eq!(pids.len(), 2, "relay and worker connections: {listing}");
    for pid in pids {
        let closed = std::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid, "fault injection"])
            .output()
            .expect("rabbitmqctl runs");
        assert!(closed.status.success(), "{}", String::from_utf8_lossy(&closed.stderr));
    }

    let after = copy_through(&app, source, "after").await;
    assert_eq!(after["state"], "succeeded", "{after}");
    app.stop().await;
}
