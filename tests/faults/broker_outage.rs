//! RabbitMQ stopped with `rabbitmqctl stop_app` and started again while clients submit: the
//! outbox keeps answering 202, readiness says the broker is gone and back, and every accepted
//! copy is rendered exactly once after the broker returns.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use ipscopy::app::Roles;
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{TestApp, spawn},
    load::{log_finalizations, settle, submit_until},
    rabbit::RabbitNode,
};

/// How long the broker stays stopped while submissions go on.
const OUTAGE: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_stopped_and_started_while_submitting_loses_no_accepted_copy() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let node = RabbitNode::start().await;
    let app = spawn(Roles { api: true, worker: true }, |s| s.amqp.amqp_url = node.amqp_url().into()).await;
    log_finalizations(&app).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    assert_eq!(readiness(&app).await, (200, true));

    let fault_on = AtomicBool::new(false);
    let stop = CancellationToken::new();
    let fault = async {
        let before = succeeded_at_least(&app, 10, Duration::from_secs(30)).await;
        node.stop_app().await;
        let stopped = Instant::now();
        fault_on.store(true, Ordering::SeqCst);
        let noticed = readiness_becomes(&app, false, Duration::from_secs(10)).await;
        tokio::time::sleep(OUTAGE.saturating_sub(stopped.elapsed())).await;
        fault_on.store(false, Ordering::SeqCst);
        let outage = stopped.elapsed();
        node.start_app().await;
        let recovered = readiness_becomes(&app, true, Duration::from_secs(20)).await;
        // Submissions go on for a while against the recovered broker.
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.cancel();
        (before, outage, noticed, recovered)
    };
    let (tally, (before, outage, noticed, recovered)) =
        tokio::join!(submit_until(&app, source, &fault_on, &stop), fault);
    let counts = settle(&app, &tally, source, Duration::from_secs(60)).await;

    println!(
        "injected: rabbitmqctl stop_app on {} for {} ms, after {before} copies had succeeded; \
         /readyz unready after {} ms, ready {} ms after start_app",
        node.name,
        outage.as_millis(),
        noticed.map_or(-1, |d| d.as_millis() as i64),
        recovered.map_or(-1, |d| d.as_millis() as i64),
    );
    println!("counted: {}", counts.line(&tally));
    assert!(noticed.is_some(), "/readyz kept answering ready while the broker was stopped");
    assert!(recovered.is_some(), "/readyz did not come back after start_app");
    assert_eq!(tally.unanswered, 0, "submissions hung");
    assert!(tally.refused.is_empty(), "submissions refused while the broker was down: {:?}", tally.refused);
    assert!(tally.accepted_during_fault > 0, "no copy was accepted while the broker was stopped");
    counts.assert_every_accepted_copy_succeeded_once();
    app.stop().await;
    drop(node);
}

/// `/readyz`: status and whether it says the broker answers. Any status: callers poll through an
/// outage, when it is 503.
pub async fn readiness(app: &TestApp) -> (u16, bool) {
    let (status, body) = app.get_text_any_status("/readyz").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    (status, body["broker"] == true)
}

/// How long until `/readyz` says ready (or unready); `None` if not within `within`.
pub async fn readiness_becomes(app: &TestApp, ready: bool, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        if (readiness(app).await.0 == 200) == ready {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Waits until at least `n` jobs succeeded; returns how many had.
pub async fn succeeded_at_least(app: &TestApp, n: i64, within: Duration) -> i64 {
    let started = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar("select count(*) from jobs where state = 'succeeded'")
            .fetch_one(&app.pool)
            .await
            .expect("jobs counted");
        if done >= n || started.elapsed() > within {
            return done;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
