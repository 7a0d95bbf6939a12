//! Clients that misbehave at the HTTP level: ones that hang up mid-request (as impatient clients
//! and load balancers do) and retry with their `Idempotency-Key`, ones that trickle their headers
//! and never finish them, and more idle connections than the server admits. Each test prints
//! what it did and what it counted.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use futures::future::join_all;
use ipscopy::{
    app::Roles,
    domain::{AssetHandle, AssetRef, JobHandle},
    soap::xml::Element,
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{PASSWORD, TestApp, spawn},
    postgres::PgCluster,
};

// Only the envelope and its parts are needed here; the SOAP tests use the rest.
#[allow(dead_code)]
#[path = "../soap/client.rs"]
mod soap_client;

/// Clients posting at once; every odd one is impatient.
const CLIENTS: usize = 16;
const STORM: Duration = Duration::from_secs(10);
/// An impatient attempt gives up after a random 1 to this many milliseconds.
const IMPATIENT_MAX_MS: u64 = 20;
/// A patient request waits longer than the pool ever waits for the database (10 s).
const PATIENT: Duration = Duration::from_secs(30);
/// Copies per batch submit.
const BATCH: usize = 3;
/// How long a retry may keep meeting "still being processed" before its key counts as stuck.
const RETRY_FOR: Duration = Duration::from_secs(10);
/// Every job must be final this soon after the last client finished. Past it the wait goes on
/// only while jobs keep finishing (up to [`SETTLE_AT_MOST`]): a backlog on a busy machine drains,
/// a lost finalize stalls for [`STALL`].
const SETTLE_WITHIN: Duration = Duration::from_secs(15);
const SETTLE_AT_MOST: Duration = Duration::from_secs(60);
const STALL: Duration = Duration::from_secs(3);
/// The WARNINGs PostgreSQL logs when a session's transaction state is not what a statement
/// expects: a request cancelled mid-transaction left its connection inside one, or out of it.
const NOTICES: [&str; 2] =
    ["there is no transaction in progress", "there is already a transaction in progress"];

#[derive(Clone, Copy, Debug)]
enum Front {
    Single,
    Batch,
    Soap,
}

/// One copy an answer said was accepted.
#[derive(Clone, Debug, PartialEq)]
struct Accepted {
    name: String,
    asset: i64,
    /// SOAP's copyImage answers with the asset only.
    job: Option<i64>,
}

/// What one client saw.
#[derive(Debug, Default)]
struct Seen {
    requests: usize,
    accepted: Vec<Accepted>,
    /// Impatient attempts that gave up before the answer was read.
    hung_up: usize,
    /// Idempotent retries that ended in a 202, and how many of those were replays.
    retried: usize,
    replayed: usize,
    /// Retries answered with other copies than an earlier 202 for their key, or refused.
    mismatched: Vec<String>,
    /// Keys still "being processed" after [`RETRY_FOR`] of retries.
    stuck: Vec<String>,
    /// Answers that were neither an acceptance nor a hang-up.
    refused: Vec<String>,
    /// Patient requests without an answer.
    unanswered: Vec<String>,
}

impl Seen {
    fn add(&mut self, other: Seen) {
        self.requests += other.requests;
        self.accepted.extend(other.accepted);
        self.hung_up += other.hung_up;
        self.retried += other.retried;
        self.replayed += other.replayed;
        self.mismatched.extend(other.mismatched);
        self.stuck.extend(other.stuck);
        self.refused.extend(other.refused);
        self.unanswered.extend(other.unanswered);
    }
}

/// A request as sent, so a retry sends the very same bytes.
struct Submit {
    front: Front,
    names: Vec<String>,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

/// An answer: status, whether it was an idempotent replay, body.
type Answer = (u16, bool, String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_hanging_up_mid_request_leave_no_stray_transaction_no_lost_finalize_and_no_doubled_copy() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let cluster = PgCluster::start().await;
    let app = spawn(Roles { api: true, worker: true }, |s| {
        let database = s.db.database_url.expose().rsplit('/').next().expect("database name").to_string();
        s.db.database_url = format!("{}/{database}", cluster.url()).into();
    })
    .await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let stop = CancellationToken::new();
    let clients = (0..CLIENTS).map(|client| run_client(&app, source, client, client % 2 == 1, &stop));
    let timer = async {
        tokio::time::sleep(STORM).await;
        stop.cancel();
    };
    let (seen_by_client, ()) = tokio::join!(join_all(clients), timer);
    let storm_ended = Instant::now();
    let mut seen = Seen::default();
    for one in seen_by_client {
        seen.add(one);
    }

    let (mut fewest, mut progressed) = (i64::MAX, Instant::now());
    let unfinished = loop {
        let unfinished: i64 =
            scalar(&app, "select count(*) from jobs where state not in ('succeeded', 'failed', 'cancelled')")
                .await;
        if unfinished < fewest {
            (fewest, progressed) = (unfinished, Instant::now());
        }
        let waited = storm_ended.elapsed();
        let stalled = waited > SETTLE_WITHIN && progressed.elapsed() > STALL;
        if unfinished == 0 || stalled || waited > SETTLE_AT_MOST {
            break unfinished;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let settled_after = storm_ended.elapsed();
    let jobs = scalar(&app, "select count(*) from jobs").await;
    let not_succeeded =
        scalar(&app, "select count(*) from jobs where state in ('failed', 'cancelled')").await;
    let rerun = scalar(&app, "select count(*) from jobs where attempts > 1").await;
    let lost_finalize = unfinished + not_succeeded + rerun;
    let present = present(&app, &seen.accepted).await;
    let duplicated: Vec<(String, i64)> = sqlx::query_as(
        "select name, count(*) from assets where company_id = $1
         group by name having count(*) > 1 order by name",
    )
    .bind(app.company.0)
    .fetch_all(&app.pool)
    .await
    .expect("names counted");
    let duplicates: i64 = duplicated.iter().map(|(_, n)| n - 1).sum();
    let log = cluster.server_log();
    let notices: Vec<&str> = log.lines().filter(|line| NOTICES.iter().any(|n| line.contains(n))).collect();

    println!(
        "storm: {CLIENTS} clients ({} hanging up after 1-{IMPATIENT_MAX_MS} ms) for {} s: {} requests, \
         {} hung up, {} idempotent retries answered ({} replays)",
        CLIENTS / 2,
        STORM.as_secs(),
        seen.requests,
        seen.hung_up,
        seen.retried,
        seen.replayed,
    );
    println!(
        "counted: accepted {}, present {present}, notices {}, lost-finalize {lost_finalize} \
         ({unfinished} unfinished {} ms after the storm, {not_succeeded} failed or cancelled, \
         {rerun} with attempts > 1, of {jobs} jobs), duplicates {duplicates}, retries answered \
         with other copies or refused {}, stuck keys {}, refused {}, unanswered {}",
        seen.accepted.len(),
        notices.len(),
        settled_after.as_millis(),
        seen.mismatched.len(),
        seen.stuck.len(),
        seen.refused.len(),
        seen.unanswered.len(),
    );
    for line in notices.iter().take(3) {
        println!("  server log: {line}");
    }
    assert!(!seen.accepted.is_empty(), "nothing was accepted");
    assert_eq!(present, seen.accepted.len() as i64, "accepted copies without their job");
    assert!(notices.is_empty(), "sessions left in the wrong transaction state: {notices:?}");
    assert_eq!(
        (unfinished, not_succeeded, rerun),
        (0, 0, 0),
        "every job succeeds at its first attempt, with no stall of {} s after the storm",
        STALL.as_secs()
    );
    assert!(duplicated.is_empty(), "names copied more than once: {duplicated:?}");
    assert!(
        seen.mismatched.is_empty(),
        "retries not answered with their first answer: {:?}",
        seen.mismatched
    );
    assert!(seen.stuck.is_empty(), "keys never answered: {:?}", seen.stuck);
    assert!(seen.refused.is_empty(), "valid copies refused: {:?}", seen.refused);
    assert!(seen.unanswered.is_empty(), "patient requests unanswered: {:?}", seen.unanswered);
    app.stop().await;
    drop(cluster);
}

/// One client's requests until `stop`: single, batch and SOAP in turn, each with fresh names.
async fn run_client(
    app: &TestApp,
    source: AssetHandle,
    client: usize,
    impatient: bool,
    stop: &CancellationToken,
) -> Seen {
    // Its own connections, so a hang-up closes only this client's.
    let http = reqwest::Client::new();
    let mut seen = Seen::default();
    for request in 0.. {
        if stop.is_cancelled() {
            break;
        }
        let front = [Front::Single, Front::Batch, Front::Soap][(client + request) % 3];
        let submit = submit(app, source, front, &format!("c{client}-r{request}"));
        let key = format!("c{client}-r{request}");
        match (impatient, front) {
            (true, Front::Single | Front::Batch) => {
                retry_after_hanging_up(app, &http, &submit, &key, &mut seen).await
            }
            (true, Front::Soap) => match send(app, &http, &submit, None, impatient_timeout()).await {
                Ok(answer) => accept(&submit, answer, &mut seen),
                Err(_) => seen.hung_up += 1,
            },
            (false, _) => match send(app, &http, &submit, None, PATIENT).await {
                Ok(answer) => accept(&submit, answer, &mut seen),
                Err(e) => seen.unanswered.push(format!("{:?} {:?}: {e}", submit.front, submit.names)),
            },
        }
        seen.requests += 1;
        // Paced so the workers keep up and a job still unfinished after the storm is a lost one.
        tokio::time::sleep(Duration::from_millis(rand::random_range(20..=60))).await;
    }
    seen
}

/// An impatient attempt with `key`, then the same request patiently until it is answered.
async fn retry_after_hanging_up(
    app: &TestApp,
    http: &reqwest::Client,
    submit: &Submit,
    key: &str,
    seen: &mut Seen,
) {
    let earlier = match send(app, http, submit, Some(key), impatient_timeout()).await {
        Ok((202, _, body)) => Some(copies(submit, &body)),
        Ok((status, _, body)) => {
            // A refused request does not keep its key: nothing to retry.
            seen.refused.push(format!("{key}: {status} {body}"));
            return;
        }
        Err(_) => {
            seen.hung_up += 1;
            None
        }
    };
    let retrying = Instant::now();
    loop {
        seen.requests += 1;
        match send(app, http, submit, Some(key), PATIENT).await {
            Ok((202, replayed, body)) => {
                let answered = copies(submit, &body);
                if earlier.as_ref().is_some_and(|first| *first != answered) {
                    seen.mismatched.push(format!("{key}: first {earlier:?}, then {answered:?}"));
                }
                seen.retried += 1;
                seen.replayed += usize::from(replayed);
                seen.accepted.extend(answered);
                return;
            }
            Ok((409, _, body)) if body.contains("still being processed") => {
                if retrying.elapsed() > RETRY_FOR {
                    seen.stuck.push(key.to_string());
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok((status, _, body)) => {
                seen.mismatched.push(format!("{key}: retry answered {status} {body}"));
                return;
            }
            Err(e) => {
                seen.unanswered.push(format!("{key}: {e}"));
                return;
            }
        }
    }
}

fn impatient_timeout() -> Duration {
    Duration::from_millis(rand::random_range(1..=IMPATIENT_MAX_MS))
}

fn submit(app: &TestApp, source: AssetHandle, front: Front, name: &str) -> Submit {
    let item = |name: &str| {
        json!({
            "assetHandle": source.to_string(),
            "folderHandle": app.folder.to_string(),
            "name": name,
            "urlModifier": "wid=48",
        })
    };
    match front {
        Front::Single => {
            let mut body = item(name);
            body["companyHandle"] = json!(app.company.to_string());
            Submit {
                front,
                names: vec![name.to_string()],
                path: "/v1/copies",
                content_type: "application/json",
                body: serde_json::to_vec(&body).expect("JSON"),
            }
        }
        Front::Batch => {
            let names: Vec<String> = (0..BATCH).map(|k| format!("{name}-{k}")).collect();
            let items: Vec<Value> = names.iter().map(|n| item(n)).collect();
            let body = json!({ "companyHandle": app.company.to_string(), "items": items });
            Submit {
                front,
                names,
                path: "/v1/copies/batch",
                content_type: "application/json",
                body: serde_json::to_vec(&body).expect("JSON"),
            }
        }
        Front::Soap => {
            let params = format!(
                "<companyHandle>{}</companyHandle><assetHandle>{source}</assetHandle>\
                 <folderHandle>{}</folderHandle><name>{name}</name><urlModifier>wid=48</urlModifier>",
                app.company, app.folder
            );
            let body = soap_client::envelope(
                &soap_client::auth_header(&app.email, PASSWORD),
                soap_client::IPS_2014,
                "copyImage",
                &params,
            );
            Submit {
                front,
                names: vec![name.to_string()],
                path: "/scene7/services/IpsApiService",
                content_type: "text/xml; charset=utf-8",
                body: body.into_bytes(),
            }
        }
    }
}

/// Sends `submit`; `Err` when no full answer came within `timeout`.
async fn send(
    app: &TestApp,
    http: &reqwest::Client,
    submit: &Submit,
    key: Option<&str>,
    timeout: Duration,
) -> reqwest::Result<Answer> {
    let mut request = http
        .post(format!("{}{}", app.base, submit.path))
        .header("content-type", submit.content_type)
        .timeout(timeout)
        .body(submit.body.clone());
    request = match submit.front {
        Front::Soap => request.header("soapaction", "copyImage"),
        Front::Single | Front::Batch => request.basic_auth(&app.email, Some(PASSWORD)),
    };
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    Ok((status, replayed, response.text().await?))
}

/// Records an answer to a request sent once.
fn accept(submit: &Submit, (status, _, body): Answer, seen: &mut Seen) {
    let ok = match submit.front {
        Front::Soap => status == 200,
        Front::Single | Front::Batch => status == 202,
    };
    if ok {
        seen.accepted.extend(copies(submit, &body));
    } else {
        seen.refused.push(format!("{:?} {:?}: {status} {body}", submit.front, submit.names));
    }
}

/// The copies an accepting answer names, in request order; panics on a malformed acceptance.
fn copies(submit: &Submit, body: &str) -> Vec<Accepted> {
    let copy = |name: &String, asset: &str, job: Option<&str>| Accepted {
        name: name.clone(),
        asset: match AssetRef::parse(asset) {
            Ok(AssetRef::Issued(handle)) => handle.asset_id,
            other => panic!("{other:?} is not a handle we issue, in {body}"),
        },
        job: job.map(|j| JobHandle::parse(j).unwrap_or_else(|e| panic!("{e:?} in {body}")).job_id),
    };
    match submit.front {
        Front::Soap => {
            let doc = Element::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {body}"));
            let answer = doc.child("Body").and_then(|b| b.children.first());
            let asset = answer
                .filter(|a| a.name == "copyImageReturn")
                .and_then(|a| a.child("assetHandle"))
                .unwrap_or_else(|| panic!("no copyImageReturn/assetHandle: {body}"));
            vec![copy(&submit.names[0], &asset.text, None)]
        }
        Front::Single => {
            let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
            vec![copy(
                &submit.names[0],
                str_of(&value, "assetHandle", body),
                Some(str_of(&value, "jobHandle", body)),
            )]
        }
        Front::Batch => {
            let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
            let items = value["items"].as_array().unwrap_or_else(|| panic!("no items: {body}"));
            assert_eq!(items.len(), submit.names.len(), "one answer per item: {body}");
            submit
                .names
                .iter()
                .zip(items)
                .map(|(name, item)| {
                    copy(name, str_of(item, "assetHandle", body), Some(str_of(item, "jobHandle", body)))
                })
                .collect()
        }
    }
}

fn str_of<'a>(value: &'a Value, field: &str, body: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("no {field}: {body}"))
}

/// How many accepted copies have their job, with the asset (and job) the answer named.
async fn present(app: &TestApp, accepted: &[Accepted]) -> i64 {
    let assets: Vec<i64> = accepted.iter().map(|c| c.asset).collect();
    let jobs: Vec<Option<i64>> = accepted.iter().map(|c| c.job).collect();
    let names: Vec<String> = accepted.iter().map(|c| c.name.clone()).collect();
    sqlx::query_scalar(
        "select count(*) from unnest($1::bigint[], $2::bigint[], $3::text[]) as c(asset, job, name)
           join jobs j on j.target_asset_id = c.asset and (c.job is null or j.job_id = c.job)
           join assets a on a.asset_id = c.asset and a.name = c.name",
    )
    .bind(&assets)
    .bind(&jobs)
    .bind(&names)
    .fetch_one(&app.pool)
    .await
    .expect("accepted copies counted")
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.expect(sql)
}

/// Connections that send a request line and then a header line every [`TRICKLE_EVERY`].
const TRICKLERS: usize = 500;
const TRICKLE_EVERY: Duration = Duration::from_millis(300);
const HEADER_TIMEOUT_MS: u64 = 1_000;
/// How much later than the header timeout the server may close a connection.
const CLOSE_SLACK: Duration = Duration::from_secs(2);
/// How often, and how fast, a normal request is answered meanwhile.
const PROBE_EVERY: Duration = Duration::from_millis(100);
const PROBE_WITHIN: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_trickling_headers_are_closed_at_the_header_timeout_while_normal_requests_are_answered() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let app =
        spawn(Roles { api: true, worker: false }, |s| s.http.http_header_timeout_ms = HEADER_TIMEOUT_MS)
            .await;
    let addr = http_addr(&app);
    let close_within = Duration::from_millis(HEADER_TIMEOUT_MS) + CLOSE_SLACK;

    let done = CancellationToken::new();
    let tricklers = async {
        let handles: Vec<_> = (0..TRICKLERS)
            .map(|_| tokio::spawn(trickle(addr, close_within + Duration::from_secs(5))))
            .collect();
        let open_for: Vec<Result<Duration, String>> =
            join_all(handles).await.into_iter().map(|h| h.expect("trickler")).collect();
        done.cancel();
        open_for
    };
    let (open_for, probes) = tokio::join!(tricklers, probe_until(&app, &done));

    let closed: Vec<Duration> = open_for.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    let not_closed: Vec<&String> = open_for.iter().filter_map(|r| r.as_ref().err()).collect();
    let mut latencies: Vec<Duration> = probes.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let slowest_trickler = closed.iter().max().copied().unwrap_or_default();
    println!(
        "{TRICKLERS} connections trickling a header line every {} ms against a {HEADER_TIMEOUT_MS} ms header \
         timeout: {} closed by the server, the first after {} ms, the last after {} ms; {} not closed; \
         {} normal requests meanwhile, latency p50 {} ms, max {} ms",
        TRICKLE_EVERY.as_millis(),
        closed.len(),
        closed.iter().min().copied().unwrap_or_default().as_millis(),
        slowest_trickler.as_millis(),
        not_closed.len(),
        latencies.len(),
        latencies.get(latencies.len() / 2).copied().unwrap_or_default().as_millis(),
        latencies.last().copied().unwrap_or_default().as_millis(),
    );
    assert!(
        not_closed.is_empty(),
        "tricklers the server did not close: {:?}",
        &not_closed[..not_closed.len().min(5)]
    );
    assert!(slowest_trickler <= close_within, "a trickler stayed open {} ms", slowest_trickler.as_millis());
    assert!(probes.len() >= 10, "too few normal requests to judge: {}", probes.len());
    for (status, latency) in &probes {
        assert_eq!(*status, 200, "a normal request failed meanwhile");
        assert!(*latency < PROBE_WITHIN, "a normal request took {} ms", latency.as_millis());
    }
    app.stop().await;
}

/// Trickles a request's headers on one connection; how long until the server closed it, or why
/// it did not within `give_up`.
async fn trickle(addr: SocketAddr, give_up: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let (mut read, mut write) = stream.split();
    let closed = tokio::time::timeout(give_up, async {
        if write.write_all(b"GET /healthz HTTP/1.1\r\nhost: ipscopy\r\n").await.is_err() {
            return;
        }
        let mut ticks = tokio::time::interval(TRICKLE_EVERY);
        let mut buf = [0u8; 1024];
        for line in 0u64.. {
            let header = format!("x-trickle-{line}: {line}\r\n");
            tokio::select! {
                got = read.read(&mut buf) => if matches!(got, Ok(0) | Err(_)) {
                    return;
                },
                _ = ticks.tick() => if write.write_all(header.as_bytes()).await.is_err() {
                    return;
                },
            }
        }
    })
    .await;
    closed.map(|()| started.elapsed()).map_err(|_| format!("still open after {} ms", give_up.as_millis()))
}

/// `GET /healthz` on a fresh connection every [`PROBE_EVERY`] until `done`: status and latency
/// (599 when no answer came).
async fn probe_until(app: &TestApp, done: &CancellationToken) -> Vec<(u16, Duration)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let mut ticks = tokio::time::interval(PROBE_EVERY);
    let mut probes = Vec::new();
    while !done.is_cancelled() {
        ticks.tick().await;
        probes.push(probe(&http, app).await);
    }
    probes
}

async fn probe(http: &reqwest::Client, app: &TestApp) -> (u16, Duration) {
    let sent = Instant::now();
    let answer = http.get(format!("{}/healthz", app.base)).timeout(Duration::from_secs(10)).send().await;
    if let Err(e) = &answer {
        println!("  /healthz got no answer after {} ms: {e:?}", sent.elapsed().as_millis());
    }
    (answer.map_or(599, |r| r.status().as_u16()), sent.elapsed())
}

fn http_addr(app: &TestApp) -> SocketAddr {
    app.running.as_ref().and_then(|r| r.http_addr).expect("api role")
}

const MAX_CONNECTIONS: usize = 50;
const IDLE: usize = 60;
/// Longer than a refused connection takes to see its 503 or its close on loopback, much shorter
/// than the header timeout that closes an admitted idle one.
const PROMPTLY: Duration = Duration::from_millis(500);
const IDLE_HEADER_TIMEOUT_MS: u64 = 3_000;

/// What became of one connection that sent nothing.
#[derive(Debug)]
enum Idle {
    /// Still open after [`PROMPTLY`]: the server admitted it.
    Admitted(TcpStream, Instant),
    /// Answered 503 with the error shape: the code and the fault element.
    Refused503(i64, String),
    /// Closed without a word within [`PROMPTLY`].
    Closed(Duration),
    /// Anything else, which is not a clean refusal.
    Unclean(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_limit_are_refused_cleanly_and_service_resumes_once_they_time_out() {
    let _alone = crate::ONE_FAULT_AT_A_TIME.lock().await;
    let app = spawn(Roles { api: true, worker: false }, |s| {
        s.http.http_max_connections = MAX_CONNECTIONS;
        s.http.http_header_timeout_ms = IDLE_HEADER_TIMEOUT_MS;
    })
    .await;
    let addr = http_addr(&app);

    let mut connected = Vec::new();
    for _ in 0..IDLE {
        let at = Instant::now();
        connected.push((TcpStream::connect(addr).await.expect("loopback connect"), at));
    }
    let outcomes = join_all(connected.into_iter().map(|(stream, at)| first_word(stream, at))).await;
    let mut admitted = Vec::new();
    let (mut refused_503, mut closed, mut unclean) = (Vec::new(), Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Idle::Admitted(stream, at) => admitted.push((stream, at)),
            Idle::Refused503(code, fault) => refused_503.push((code, fault)),
            Idle::Closed(after) => closed.push(after),
            Idle::Unclean(what) => unclean.push(what),
        }
    }
    let admitted_count = admitted.len();
    // What a client that sends its request at once sees while the slots are taken.
    let while_full = probe(&reqwest::Client::new(), &app).await;
    // Each stream comes back still held on this side: only the server may free its slot.
    let idle_closed_after: Vec<(TcpStream, Option<Duration>)> =
        join_all(admitted.into_iter().map(|(mut stream, at)| async move {
            let give_up = Duration::from_millis(IDLE_HEADER_TIMEOUT_MS) + CLOSE_SLACK;
            let mut buf = [0u8; 1024];
            let closed = tokio::time::timeout(give_up.saturating_sub(at.elapsed()), async {
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            })
            .await;
            (stream, closed.ok().map(|()| at.elapsed()))
        }))
        .await;
    let still_open = idle_closed_after.iter().filter(|(_, c)| c.is_none()).count();
    let last_idle_closed = idle_closed_after.iter().filter_map(|(_, c)| *c).max().unwrap_or_default();
    let after = probe(&reqwest::Client::new(), &app).await;
    drop(idle_closed_after);

    println!(
        "limit {MAX_CONNECTIONS}: of {IDLE} idle connections {admitted_count} admitted, {} refused with a \
         503 ({:?}), {} closed at once (the slowest after {} ms), {} unclean; a normal request meanwhile got \
         {} in {} ms; the admitted ones closed by the {IDLE_HEADER_TIMEOUT_MS} ms header timeout after \
         at most {} ms ({still_open} still open); then /healthz answered {} in {} ms",
        refused_503.len(),
        refused_503.first(),
        closed.len(),
        closed.iter().max().copied().unwrap_or_default().as_millis(),
        unclean.len(),
        while_full.0,
        while_full.1.as_millis(),
        last_idle_closed.as_millis(),
        after.0,
        after.1.as_millis(),
    );
    assert!(unclean.is_empty(), "refusals that are neither a 503 nor a close: {unclean:?}");
    assert_eq!(admitted_count, MAX_CONNECTIONS, "the server admits exactly its limit");
    assert_eq!(refused_503.len() + closed.len(), IDLE - MAX_CONNECTIONS);
    assert_eq!(still_open, 0, "admitted idle connections outlived the header timeout");
    assert_eq!(after.0, 200, "no normal request once the idle connections were gone");
    app.stop().await;
}

/// Waits [`PROMPTLY`] for the server's first word on a connection that sends nothing.
async fn first_word(mut stream: TcpStream, connected: Instant) -> Idle {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let ended = tokio::time::timeout(PROMPTLY.saturating_sub(connected.elapsed()), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    if got.is_empty() {
        return if ended { Idle::Closed(connected.elapsed()) } else { Idle::Admitted(stream, connected) };
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    // The JSON object, whatever the framing (a length or one chunk) around it.
    let json = body
        .find('{')
        .zip(body.rfind('}'))
        .and_then(|(a, b)| serde_json::from_str::<Value>(&body[a..=b]).ok());
    match (head.starts_with("HTTP/1.1 503"), json) {
        (true, Some(error))
            if error["code"].is_i64() && error["fault"].is_string() && error["reason"].is_string() =>
        {
            Idle::Refused503(error["code"].as_i64().unwrap(), error["fault"].as_str().unwrap().to_string())
        }
        _ => Idle::Unclean(text),
    }
}
