//! A job message the broker confirmed and then lost (here: purged from the queue behind the
//! relay's back) is published again once the job stayed unclaimed past
//! `IPSCOPY_REPUBLISH_AFTER_MS`, and the copy completes.

use std::time::{Duration, Instant};

use ipscopy::{
    app::{self, Roles},
    domain::JobHandle,
};
use lapin::options::QueuePurgeOptions;
use tokio_util::sync::CancellationToken;

use crate::helpers::spawn;

const REPUBLISH_AFTER_MS: u64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_confirmed_message_the_broker_lost_is_published_again_and_completes() {
    // No worker yet, so the message waits in the queue until it is lost.
    let app =
        spawn(Roles { api: true, worker: false }, |s| s.worker.republish_after_ms = REPUBLISH_AFTER_MS).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let accepted = app.submit(202, &app.copy_body(source, "lost", "wid=24")).await;
    let handle = accepted["jobHandle"].as_str().expect("job handle");
    let job_id = JobHandle::parse(handle).expect("job handle parses").job_id;
    let published = async {
        loop {
            let at: Option<chrono::DateTime<chrono::Utc>> =
                sqlx::query_scalar("select published_at from jobs where job_id = $1")
                    .bind(job_id)
                    .fetch_one(&app.pool)
                    .await
                    .expect("job row");
            if at.is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), published).await.expect("the relay publishes the job");

    let connection =
        ipscopy::queue::connect(&app.settings.amqp.amqp_url, "ipscopy-test-fault").await.unwrap().connection;
    let channel = connection.create_channel().await.unwrap();
    let purged = channel
        .queue_purge(app.topology().jobs_queue.as_str().into(), QueuePurgeOptions::default())
        .await
        .expect("queue purged");
    connection.close(200, "done".into()).await.unwrap();
    let lost_at = Instant::now();
    let shutdown = CancellationToken::new();
    let worker =
        app::start(&app.settings, Roles { api: false, worker: true }, shutdown.clone()).await.unwrap();
    let job = app.wait_for_job(handle).await;

    println!(
        "injected: purged {purged} confirmed job message from the queue; the job succeeded {} ms later, \
         republished after {REPUBLISH_AFTER_MS} ms unclaimed",
        lost_at.elapsed().as_millis()
    );
    assert_eq!(purged, 1, "the relay's message was in the queue");
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 1, "{job}");
    shutdown.cancel();
    worker.wait().await;
    app.stop().await;
}
