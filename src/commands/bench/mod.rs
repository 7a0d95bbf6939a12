//! `ipscopy bench`: an end-to-end load generator. It makes its own company and source image,
//! submits copies through the batch API of a running ipscopy, waits for all of them, and prints
//! throughput and submit→done latency. With webhook receivers subscribed it also prints what
//! they got and how long after each job's finish; `--webhook-backlog` times the webhook sender
//! alone, on deliveries queued straight in PostgreSQL.

mod backlog;
mod copies;
mod imports;
mod receiver;
mod report;
mod uploads;

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};

use self::receiver::Receiver;
use crate::{
    admin,
    config::{DbSettings, S3Settings},
    db,
    domain::{CompanyHandle, Role},
    webhook::EndpointHandle,
};

/// How long a slow receiver takes to answer.
const SLOW_ANSWER: Duration = Duration::from_secs(1);

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    db: DbSettings,
    #[command(flatten)]
    s3: S3Settings,
    /// Base URL of the running API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Copies to submit.
    #[arg(long, default_value_t = 10_000)]
    copies: usize,
    /// Copies per batch request (at most 1,000).
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Batch requests in flight at once (a bulk client keeps a few going, hiding each request's
    /// round trips to PostgreSQL behind the others).
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Side of the square PNG source, in pixels.
    #[arg(long, default_value_t = 64)]
    source_size: u32,
    /// Copy this image file instead of the generated PNG (a real photo, say); given several
    /// times, master j is the (j mod n)-th file.
    #[arg(long)]
    source_file: Vec<std::path::PathBuf>,
    /// The urlModifier of the copies; given several times, copy i takes the (i mod n)-th, so
    /// each master gets every one when `--masters` is the copies divided by n.
    #[arg(long, default_value = "wid=32")]
    modifier: Vec<String>,
    /// Masters the copies are made from, each the image stored under its own key (so neither
    /// the worker's master cache nor its decode cache serves one for another): copy i is made
    /// from master i × masters / copies, so consecutive copies share a master.
    #[arg(long, default_value_t = 1)]
    masters: usize,
    /// Webhook receivers started in this process (on loopback; the server must allow
    /// 127.0.0.1/32) and subscribed to copy.succeeded before the copies are submitted.
    #[arg(long, default_value_t = 0)]
    webhook_endpoints: usize,
    /// More receivers, each taking 1 s to answer.
    #[arg(long, default_value_t = 0)]
    slow_endpoints: usize,
    /// Once the copies are final, how long the wait for the fast receivers' events may go
    /// without a new one before the missing ones are reported.
    #[arg(long, default_value_t = 60.0)]
    webhook_wait_secs: f64,
    /// Before the copies: import the same image `--copies` times through `POST /v1/imports`
    /// from a loopback HTTP server in this process (the server must allow 127.0.0.1 in
    /// `IPSCOPY_IMPORT_ALLOWED_NETWORKS`), then compare the import rate with the copy rate.
    #[arg(long)]
    imports: bool,
    /// Instead of copies: queue this many deliveries of a synthetic copy.succeeded message to
    /// one receiver directly in PostgreSQL, and time how fast the server's sender drains them.
    #[arg(long)]
    webhook_backlog: Option<u32>,
    /// Instead of copies: upload this file `--uploads` times through the API and put it as
    /// often straight into the store (`S3_ENDPOINT`, or the embedded store over
    /// `IPSCOPY_DATA_DIR`: give the server's), and compare the two rates.
    #[arg(long)]
    upload_file: Option<std::path::PathBuf>,
    /// Uploads of `--upload-file` per side (`--parallel` at a time).
    #[arg(long, default_value_t = 30)]
    uploads: usize,
    /// Then stream one generated PNG of this many MiB through the API.
    #[arg(long)]
    big_upload_mib: Option<u64>,
    /// The server's process id, whose peak RSS the big upload reports (a local server).
    #[arg(long)]
    server_pid: Option<u32>,
}

/// The running server's API, as the bench's user.
struct Api {
    http: reqwest::Client,
    url: String,
    email: String,
    password: String,
}

impl Api {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url)).basic_auth(&self.email, Some(&self.password))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
    }

    /// Subscribes `url` to the company's copy.succeeded events; returns the endpoint's handle.
    async fn register(&self, company: CompanyHandle, url: &str) -> anyhow::Result<EndpointHandle> {
        let body = json!({ "companyHandle": company.to_string(), "url": url, "events": ["copy.succeeded"] });
        let response = self.post("/v1/webhooks").json(&body).send().await.context("registering a webhook")?;
        let status = response.status();
        let answer: Value = response.json().await.context("reading the webhook answer")?;
        if status.as_u16() != 201 {
            bail!("webhook {url} refused with {status}: {answer}");
        }
        let handle = answer["webhookHandle"].as_str().unwrap_or_default();
        EndpointHandle::parse(handle).map_err(|e| anyhow::anyhow!("webhook answer {answer}: {}", e.reason))
    }

    async fn call(&self, method: reqwest::Method, path: &str) -> anyhow::Result<()> {
        let response = self.request(method, path).send().await.with_context(|| format!("calling {path}"))?;
        if !response.status().is_success() {
            bail!("{path} answered {}", response.status());
        }
        Ok(())
    }
}

/// The receivers subscribed for this run.
#[derive(Default)]
struct Endpoints {
    fast: Vec<Receiver>,
    slow: Vec<Receiver>,
    handles: Vec<EndpointHandle>,
}

impl Endpoints {
    async fn subscribe(
        api: &Api,
        company: CompanyHandle,
        fast: usize,
        slow: usize,
        shutdown: &tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Self> {
        let mut endpoints = Endpoints::default();
        for delay in std::iter::repeat_n(None, fast).chain(std::iter::repeat_n(Some(SLOW_ANSWER), slow)) {
            let receiver = Receiver::start(delay, shutdown).await?;
            endpoints.handles.push(api.register(company, &receiver.url).await?);
            if delay.is_some() { &mut endpoints.slow } else { &mut endpoints.fast }.push(receiver);
        }
        Ok(endpoints)
    }

    fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Deletes the endpoints, so their deliveries still queued leave with them and do not weigh
    /// on later runs against the same server. They are disabled first and the slow ones' answers
    /// in flight awaited, so no attempt is logged for a delivery already deleted.
    async fn unsubscribe(&self, api: &Api) -> anyhow::Result<()> {
        let path =
            |handle: &EndpointHandle| format!("/v1/webhooks/{}", handle.to_string().replace('|', "%7C"));
        for handle in &self.handles {
            api.call(reqwest::Method::POST, &format!("{}/disable", path(handle))).await?;
        }
        if !self.slow.is_empty() {
            tokio::time::sleep(SLOW_ANSWER + Duration::from_millis(500)).await;
        }
        for handle in &self.handles {
            api.call(reqwest::Method::DELETE, &path(handle)).await?;
        }
        Ok(())
    }
}

/// Runs the load and prints the figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.batch == 0 || args.batch > crate::batch::MAX_ITEMS {
        bail!("--batch must be 1 to {}", crate::batch::MAX_ITEMS);
    }
    let pool = db::connect(&args.db, true).await?;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let company = admin::add_company(&pool, &format!("bench-{tag}")).await?;
    let email = format!("bench-{tag}@bench.example");
    let password = uuid::Uuid::new_v4().to_string();
    admin::add_user(&pool, &email, &password, None).await?;
    admin::add_member(&pool, company, &email, Role::IpsUser).await?;
    let api = Api { http: reqwest::Client::new(), url: args.url.clone(), email, password };

    let shutdown = tokio_util::sync::CancellationToken::new();
    if args.upload_file.is_some() || args.big_upload_mib.is_some() {
        let folder = admin::add_folder(&pool, company, "/bench").await?.to_string();
        let (storage, endpoint) = crate::app::open_storage(&args.s3, shutdown.clone()).await?;
        // The SDK's defaults, not `Storage`'s tuning: the peer is a plain client.
        let plain = aws_sdk_s3::Client::from_conf(crate::storage::client_config(&args.s3, &endpoint));
        let bucket = args.s3.s3_bucket.clone();
        let target = uploads::Target { api: &api, company, folder, storage, plain, bucket, tag: &tag };
        let result = uploads::run(&args, &target).await;
        shutdown.cancel();
        return result;
    }
    let (fast, slow) = match args.webhook_backlog {
        Some(_) => (1, 0),
        None => (args.webhook_endpoints, args.slow_endpoints),
    };
    let endpoints = Endpoints::subscribe(&api, company, fast, slow, &shutdown).await?;
    let result = match (args.webhook_backlog, endpoints.fast.first(), endpoints.handles.first()) {
        (Some(count), Some(receiver), Some(handle)) => {
            let stall = Duration::from_secs_f64(args.webhook_wait_secs.max(0.0));
            backlog::run(&pool, company, handle.0, receiver, count, &tag, stall).await
        }
        _ if args.imports => compare_imports(&args, &pool, &api, company, &tag, &shutdown).await,
        _ => copies::run(&args, &pool, &api, company, &endpoints).await.map(|_| ()),
    };
    let unsubscribed = endpoints.unsubscribe(&api).await;
    shutdown.cancel();
    result.and(unsubscribed)
}

/// Imports the copies' image as often as it is then copied, and prints the two rates' ratio.
async fn compare_imports(
    args: &BenchArgs,
    pool: &sqlx::PgPool,
    api: &Api,
    company: CompanyHandle,
    tag: &str,
    shutdown: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let bytes = copies::source_bytes(args).await?.swap_remove(0);
    let imported = imports::run(args, pool, api, tag, bytes, shutdown).await?;
    let copied = copies::run(args, pool, api, company, &Endpoints::default()).await?;
    println!("imports/copies     {:.2} (completed/s ratio, {:?} copies)", imported / copied, args.modifier);
    Ok(())
}
