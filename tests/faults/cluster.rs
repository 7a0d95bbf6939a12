//! Members of a three-node RabbitMQ cluster killed with SIGKILL while clients submit: first the
//! leader of the jobs' quorum queue, then the member the workers are connected to, each started
//! again after a few seconds. ipscopy is given every member's URL; its connections move to a
//! live member, the outbox keeps answering 202, and every accepted copy is rendered exactly once
//! with no long pause in the finishes.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use ipscopy::app::Roles;
use tokio_util::sync::CancellationToken;

use crate::{
    broker_outage::succeeded_at_least,
    helpers::{TestApp, spawn},
    load::{log_finalizations, settle, submit_until},
    rabbit_cluster::RabbitCluster,
};

/// How long a killed member stays down.
const DOWN_FOR: Duration = Duration::from_secs(3);
/// The longest the finishes may pause while members die and return.
const MAX_STALL: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_member_killed_with_sigkill_leaves_two_running_and_rejoins_when_started_again() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let started = Instant::now();
    let mut cluster = RabbitCluster::start().await;
    let formed = started.elapsed();
    assert_eq!(cluster.running().await.len(), 3, "all three members run");

    let pid = cluster.kill9(1);
    let left = cluster.processes(1);
    cluster.wait_running(&[0, 2], Duration::from_secs(10)).await;
    let restarting = Instant::now();
    cluster.restart(1).await;
    let rejoined = restarting.elapsed();

    println!(
        "cluster of {}, {}, {} formed in {} ms; killed {} (beam.smp {pid}), {} ms to rejoin",
        cluster.name(0),
        cluster.name(1),
        cluster.name(2),
        formed.as_millis(),
        cluster.name(1),
        rejoined.as_millis(),
    );
    assert!(left.is_empty(), "processes of the killed member still run: {left:?}");
    assert_eq!(cluster.running().await.len(), 3, "the restarted member runs in the cluster again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_members_killed_one_after_another_while_submitting_lose_no_accepted_copy() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let mut cluster = RabbitCluster::start().await;
    let urls = cluster.amqp_urls();
    let app = spawn(Roles { api: true, worker: true }, |s| s.amqp.amqp_url = urls.join(",").into()).await;
    log_finalizations(&app).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let queue = app.topology().jobs_queue;

    let fault_on = AtomicBool::new(false);
    let stop = CancellationToken::new();
    let fault = async {
        let before = succeeded_at_least(&app, 10, Duration::from_secs(30)).await;
        let leader = cluster.quorum_leader(&queue).await;
        let faults_from = Utc::now();
        fault_on.store(true, Ordering::SeqCst);
        cluster.kill9(leader);
        tokio::time::sleep(DOWN_FOR).await;
        let restarting = Instant::now();
        cluster.restart(leader).await;
        let first_rejoin = restarting.elapsed();

        let workers_on = connection_node(&cluster, "ipscopy worker").await;
        let (second, why) = if workers_on != leader {
            (workers_on, "the workers' connection was there".to_string())
        } else {
            let relay_on = connection_node(&cluster, "ipscopy relay").await;
            let other = if relay_on != leader { relay_on } else { (leader + 1) % 3 };
            let what = if relay_on != leader { "the relay's connection was there" } else { "another member" };
            (other, format!("{what}; the workers had reconnected to the first one killed"))
        };
        cluster.kill9(second);
        tokio::time::sleep(DOWN_FOR).await;
        let restarting = Instant::now();
        cluster.restart(second).await;
        let second_rejoin = restarting.elapsed();
        fault_on.store(false, Ordering::SeqCst);
        // Submissions go on for a while against the whole cluster.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let faults_to = Utc::now();
        stop.cancel();
        let down = DOWN_FOR.as_millis();
        let killed = [
            format!(
                "{} (quorum leader of {queue}), down {down} ms, back in the cluster {} ms after its restart",
                cluster.name(leader),
                first_rejoin.as_millis()
            ),
            format!(
                "{} ({why}), down {down} ms, back {} ms after its restart",
                cluster.name(second),
                second_rejoin.as_millis()
            ),
        ];
        (before, killed, faults_from, faults_to)
    };
    let (tally, (before, killed, faults_from, faults_to)) =
        tokio::join!(submit_until(&app, source, &fault_on, &stop), fault);
    let counts = settle(&app, &tally, source, Duration::from_secs(60)).await;
    let stall = longest_stall(&app, faults_from, faults_to).await;

    println!(
        "injected: after {before} copies had succeeded, kill -9 of {}; then kill -9 of {}",
        killed[0], killed[1]
    );
    println!(
        "counted: {}; longest stall between finishes from the first kill to the end of submissions {} ms",
        counts.line(&tally),
        stall.as_millis()
    );
    assert_eq!(tally.unanswered, 0, "submissions hung");
    assert!(tally.refused.is_empty(), "submissions refused while members were down: {:?}", tally.refused);
    assert!(tally.accepted_during_fault > 0, "no copy was accepted while members were down");
    counts.assert_every_accepted_copy_succeeded_once();
    assert!(stall < MAX_STALL, "no copy finished for {} ms", stall.as_millis());
    app.stop().await;
    drop(cluster);
}

/// The member holding the connection named `prefix…`; panics if none does within 15 s.
async fn connection_node(cluster: &RabbitCluster, prefix: &str) -> usize {
    let started = Instant::now();
    loop {
        if let Some(node) = cluster.node_with_connection(prefix).await {
            return node;
        }
        if started.elapsed() > Duration::from_secs(15) {
            panic!("no member holds a connection named {prefix}…: {:?}", cluster.connections().await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The longest time from `from` to `to` in which no job finished.
async fn longest_stall(app: &TestApp, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    let finishes: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "select finished_at from jobs where finished_at > $1 and finished_at < $2 order by finished_at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&app.pool)
    .await
    .expect("finish times");
    let times: Vec<DateTime<Utc>> = [from].into_iter().chain(finishes).chain([to]).collect();
    times.windows(2).map(|pair| (pair[1] - pair[0]).to_std().unwrap_or_default()).max().unwrap_or_default()
}
