//! A worker process killed with SIGKILL in the middle of renders under load: every job still
//! ends exactly once, with one stored object each.

use std::time::Duration;

use ipscopy::app::Roles;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn};

const COPIES: i64 = 60;

fn worker_process(app: &TestApp) -> tokio::process::Child {
    app.worker_command()
        .env("IPSCOPY_WORKER_CONCURRENCY", "8")
        .env("IPSCOPY_HEARTBEAT_INTERVAL_MS", "200")
        .env("IPSCOPY_STALE_AFTER_MS", "1500")
        .spawn()
        .expect("the worker starts")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

async fn wait_until(app: &TestApp, sql: &str, at_least: i64, within: Duration) -> i64 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let n = count(app, sql).await;
        if n >= at_least || tokio::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_render_loses_no_job_and_finishes_none_twice() {
    let app = spawn(Roles { api: true, worker: false }, |s| s.worker.stale_after_ms = 1500).await;
    // Every transition into 'succeeded' is a finalize event; count them.
    sqlx::raw_sql(
        "create table finalize_log (job_id bigint not null);
         create function log_finalize() returns trigger language plpgsql as $$
         begin insert into finalize_log values (new.job_id); return new; end $$;
         create trigger log_finalize after update on jobs for each row
             when (new.state = 'succeeded' and old.state <> 'succeeded') execute function log_finalize();",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let source = app.add_image("rocket", "rocket.jpg").await.to_string();
    let items: Vec<Value> = (0..COPIES)
        .map(|i| json!({"assetHandle": source, "folderHandle": app.folder.to_string(), "name": format!("c{i}"), "urlModifier": "wid=640&fmt=png"}))
        .collect();
    let response = app
        .http
        .post(format!("{}/v1/copies/batch", app.base))
        .basic_auth(&app.email, Some(PASSWORD))
        .json(&json!({"companyHandle": app.company.to_string(), "items": items}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);

    let mut first = worker_process(&app);
    let done_before =
        wait_until(&app, "select count(*) from jobs where state = 'succeeded'", 10, Duration::from_secs(60))
            .await;
    let running_at_kill = count(&app, "select count(*) from jobs where state = 'running'").await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let mut second = worker_process(&app);
    let finished = wait_until(
        &app,
        "select count(*) from jobs where state in ('succeeded', 'failed', 'cancelled')",
        COPIES,
        Duration::from_secs(120),
    )
    .await;
    second.start_kill().unwrap();
    let _ = second.wait().await;

    let succeeded = count(&app, "select count(*) from jobs where state = 'succeeded'").await;
    let failed = count(&app, "select count(*) from jobs where state = 'failed'").await;
    let duplicates = count(&app, "select count(*) - count(distinct job_id) from finalize_log").await;
    let rescued =
        count(&app, "select count(*) from jobs where attempt_errors @> '[{\"code\": \"WorkerLost\"}]'").await;
    let storage = &app.running.as_ref().unwrap().storage;
    let objects = storage.list_keys(&format!("companies/{}/assets/", app.company.0)).await.unwrap();
    println!(
        "injected: SIGKILL to a worker after {done_before} copies with {running_at_kill} running; \
         accepted {COPIES}, succeeded {succeeded}, failed {failed}, rescued {rescued}, duplicates {duplicates}, lost {}",
        COPIES - finished
    );
    assert_eq!(finished, COPIES, "lost jobs");
    assert_eq!(succeeded, COPIES);
    assert_eq!(duplicates, 0);
    assert_eq!(count(&app, "select count(*) from finalize_log").await, COPIES);
    assert_eq!(objects.len() as i64, COPIES + 1, "one object per copy plus the source");
    app.stop().await;
}
