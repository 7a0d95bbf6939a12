//! A steady stream of copy submissions, single and batched, and the counts every fault test
//! prints: accepted, succeeded, failed, duplicates, lost.

use std::{
    collections::BTreeSet,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use ipscopy::{
    domain::{AssetHandle, JobHandle},
    storage::asset_key,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, TestApp};

/// Longer than any answer may take: the pool gives up on the database after 10 s.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// Copies per batch request; every third request is a batch.
const BATCH: usize = 4;

/// What the submitter saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Jobs of every 202.
    pub accepted: Vec<i64>,
    /// Of those, the ones sent and answered while the fault was on.
    pub accepted_during_fault: usize,
    /// Every answer that was not a 202: status and body.
    pub refused: Vec<(u16, Value)>,
    /// Requests that got no answer within [`ANSWER_WITHIN`].
    pub unanswered: usize,
    /// The longest wait for an answer.
    pub slowest: Duration,
}

/// Submits copies of `source` one request after another until `stop` fires. `fault_on` tells
/// which answers came while the fault was injected.
pub async fn submit_until(
    app: &TestApp,
    source: AssetHandle,
    fault_on: &AtomicBool,
    stop: &CancellationToken,
) -> Tally {
    let mut tally = Tally::default();
    for request in 0.. {
        if stop.is_cancelled() {
            break;
        }
        let (path, body) = if request % 3 == 2 {
            let items: Vec<Value> =
                (0..BATCH).map(|k| item(app, source, &format!("b{request}-{k}"))).collect();
            ("/v1/copies/batch", json!({ "companyHandle": app.company.to_string(), "items": items }))
        } else {
            let mut single = item(app, source, &format!("s{request}"));
            single["companyHandle"] = json!(app.company.to_string());
            ("/v1/copies", single)
        };
        let during = fault_on.load(Ordering::SeqCst);
        let sent = Instant::now();
        let answer = app
            .http
            .post(format!("{}{path}", app.base))
            .basic_auth(&app.email, Some(PASSWORD))
            .timeout(ANSWER_WITHIN)
            .json(&body)
            .send()
            .await;
        tally.slowest = tally.slowest.max(sent.elapsed());
        let Ok(response) = answer else {
            tally.unanswered += 1;
            continue;
        };
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != 202 {
            tally.refused.push((status, body));
            continue;
        }
        let handles: Vec<&str> = match body["items"].as_array() {
            Some(items) => items.iter().filter_map(|i| i["jobHandle"].as_str()).collect(),
            None => body["jobHandle"].as_str().into_iter().collect(),
        };
        let expected = if path.ends_with("batch") { BATCH } else { 1 };
        assert_eq!(handles.len(), expected, "every copy of a 202 has a job: {body}");
        tally.accepted.extend(handles.iter().map(|h| JobHandle::parse(h).expect("job handle").job_id));
        if during && fault_on.load(Ordering::SeqCst) {
            tally.accepted_during_fault += handles.len();
        }
    }
    tally
}

fn item(app: &TestApp, source: AssetHandle, name: &str) -> Value {
    json!({
        "assetHandle": source.to_string(),
        "folderHandle": app.folder.to_string(),
        "name": name,
        "urlModifier": "wid=48",
    })
}

/// Records every transition of a job into a final state, so a job finalized twice shows.
pub async fn log_finalizations(app: &TestApp) {
    sqlx::raw_sql(
        "create table finalize_log (job_id bigint not null);
         create function log_finalize() returns trigger language plpgsql as $$
         begin insert into finalize_log values (new.job_id); return new; end $$;
         create trigger log_finalize after update on jobs for each row
             when (new.state in ('succeeded', 'failed', 'cancelled') and old.state is distinct from new.state)
             execute function log_finalize();",
    )
    .execute(&app.pool)
    .await
    .expect("finalize log installed");
}

/// What became of the accepted jobs.
#[derive(Debug)]
pub struct Counts {
    pub accepted: usize,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Accepted jobs not final when the wait ended.
    pub lost: i64,
    /// Extra finalizations: a job finalized more than once counts once per extra.
    pub duplicates: i64,
    /// Attempts re-queued because their worker stopped sending heartbeats.
    pub rescued: i64,
    /// Stored copies with no succeeded job, and succeeded jobs with no stored copy.
    pub stray_objects: Vec<String>,
    pub missing_objects: Vec<String>,
}

/// Waits up to `within` for every accepted job to be final, then counts.
pub async fn settle(app: &TestApp, tally: &Tally, source: AssetHandle, within: Duration) -> Counts {
    let ids = &tally.accepted;
    let deadline = Instant::now() + within;
    let unfinished = loop {
        let unfinished: i64 = scalar(
            app,
            "select count(*) from jobs where job_id = any($1)
               and state not in ('succeeded', 'failed', 'cancelled')",
            ids,
        )
        .await;
        if unfinished == 0 || Instant::now() > deadline {
            break unfinished;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let known: i64 = scalar(app, "select count(*) from jobs where job_id = any($1)", ids).await;
    let storage = &app.running.as_ref().expect("running").storage;
    let prefix = format!("companies/{}/assets/", app.company.0);
    let stored: BTreeSet<String> =
        storage.list_keys(&prefix).await.expect("keys listed").into_iter().collect();
    // Every job in the database counts here, also those whose 202 never reached the client.
    let succeeded_targets: Vec<i64> =
        sqlx::query_scalar("select target_asset_id from jobs where state = 'succeeded'")
            .fetch_all(&app.pool)
            .await
            .expect("targets");
    let mut expected: BTreeSet<String> =
        succeeded_targets.iter().map(|&asset| asset_key(app.company.0, asset)).collect();
    expected.insert(asset_key(app.company.0, source.asset_id));
    Counts {
        accepted: ids.len(),
        succeeded: in_state(app, ids, "succeeded").await,
        failed: in_state(app, ids, "failed").await,
        cancelled: in_state(app, ids, "cancelled").await,
        lost: unfinished + (ids.len() as i64 - known),
        duplicates: sqlx::query_scalar("select count(*) - count(distinct job_id) from finalize_log")
            .fetch_one(&app.pool)
            .await
            .expect("finalize log"),
        rescued: scalar(
            app,
            "select count(*) from jobs where job_id = any($1) and attempt_errors @> '[{\"code\": \"WorkerLost\"}]'",
            ids,
        )
        .await,
        stray_objects: stored.difference(&expected).cloned().collect(),
        missing_objects: expected.difference(&stored).cloned().collect(),
    }
}

async fn in_state(app: &TestApp, ids: &[i64], state: &str) -> i64 {
    sqlx::query_scalar("select count(*) from jobs where job_id = any($1) and state = $2")
        .bind(ids)
        .bind(state)
        .fetch_one(&app.pool)
        .await
        .expect("jobs counted")
}

async fn scalar(app: &TestApp, sql: &str, ids: &[i64]) -> i64 {
    sqlx::query_scalar(sql).bind(ids).fetch_one(&app.pool).await.expect(sql)
}

impl Counts {
    /// The line each fault test prints after what it injected.
    pub fn line(&self, tally: &Tally) -> String {
        format!(
            "accepted {} ({} while the fault was on), refused {}, unanswered {}, slowest answer {} ms; \
             succeeded {}, failed {}, cancelled {}, rescued {}, duplicates {}, lost {}",
            self.accepted,
            tally.accepted_during_fault,
            tally.refused.len(),
            tally.unanswered,
            tally.slowest.as_millis(),
            self.succeeded,
            self.failed,
            self.cancelled,
            self.rescued,
            self.duplicates,
            self.lost,
        )
    }

    /// What a 202 promises: every accepted copy rendered once, each with its one object.
    pub fn assert_every_accepted_copy_succeeded_once(&self) {
        assert!(self.accepted > 0, "nothing was accepted");
        assert_eq!(self.lost, 0, "accepted jobs never finished");
        assert_eq!(self.duplicates, 0, "jobs finalized more than once");
        assert_eq!(self.failed + self.cancelled, 0, "accepted jobs did not succeed");
        assert_eq!(self.succeeded, self.accepted as i64);
        assert!(self.stray_objects.is_empty(), "objects without a succeeded copy: {:?}", self.stray_objects);
        assert!(
            self.missing_objects.is_empty(),
            "succeeded copies without an object: {:?}",
            self.missing_objects
        );
    }
}
