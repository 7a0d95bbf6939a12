//! PostgreSQL stopped (`pg_ctl stop -m fast`) and started again while clients submit: the
//! service comes back by itself; submissions during the outage get a documented error, never a
//! hang; every accepted copy is rendered exactly once.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use ipscopy::app::Roles;
use tokio_util::sync::CancellationToken;

use crate::{
    broker_outage::{readiness_becomes, succeeded_at_least},
    helpers::spawn,
    load::{log_finalizations, settle, submit_until},
    postgres::PgCluster,
};

/// How long the database stays down while submissions go on: longer than the pool waits for a
/// connection (10 s), so requests meet the outage's error, not only its delay.
const OUTAGE: Duration = Duration::from_secs(12);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_restarted_under_load_recovers_without_a_service_restart() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let cluster = PgCluster::start().await;
    let app = spawn(Roles { api: true, worker: true }, |s| {
        let database = s.db.database_url.expose().rsplit('/').next().expect("database name").to_string();
        s.db.database_url = format!("{}/{database}", cluster.url()).into();
        // A job whose outcome could not be recorded is re-run once its heartbeat is this old.
        s.worker.heartbeat_interval_ms = 250;
        s.worker.stale_after_ms = 3_000;
    })
    .await;
    log_finalizations(&app).await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let fault_on = AtomicBool::new(false);
    let stop = CancellationToken::new();
    let fault = async {
        let before = succeeded_at_least(&app, 10, Duration::from_secs(30)).await;
        let running: i64 = sqlx::query_scalar("select count(*) from jobs where state = 'running'")
            .fetch_one(&app.pool)
            .await
            .expect("jobs counted");
        fault_on.store(true, Ordering::SeqCst);
        cluster.stop().await;
        let stopped = Instant::now();
        tokio::time::sleep(OUTAGE).await;
        cluster.start_server().await;
        let outage = stopped.elapsed();
        fault_on.store(false, Ordering::SeqCst);
        let recovered = readiness_becomes(&app, true, Duration::from_secs(20)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.cancel();
        (before, running, outage, recovered)
    };
    let (tally, (before, running, outage, recovered)) =
        tokio::join!(submit_until(&app, source, &fault_on, &stop), fault);
    let counts = settle(&app, &tally, source, Duration::from_secs(60)).await;

    println!(
        "injected: pg_ctl stop -m fast, start {} ms later, after {before} copies had succeeded \
         with {running} running; /readyz ready {} ms after the start",
        outage.as_millis(),
        recovered.map_or(-1, |d| d.as_millis() as i64),
    );
    println!("counted: {}", counts.line(&tally));
    assert_eq!(tally.unanswered, 0, "submissions hung");
    assert!(!tally.refused.is_empty(), "no submission met the outage");
    for (status, body) in &tally.refused {
        // README: an unreachable database is a 503 the client may retry, not an internal error.
        assert_eq!((*status, &body["code"]), (503, &serde_json::json!(30000)), "{body}");
        assert!(body["reason"].as_str().unwrap().contains("database is unavailable; retry in"), "{body}");
    }
    assert!(recovered.is_some(), "/readyz did not come back after PostgreSQL did");
    counts.assert_every_accepted_copy_succeeded_once();
    app.stop().await;
    drop(cluster);
}
