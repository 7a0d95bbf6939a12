// Shared by several test binaries; each uses a different subset.
#![allow(dead_code)]

use std::{path::PathBuf, time::Duration};

use ipscopy::{
    admin,
    app::{self, Roles, Running},
    config::{
        AmqpSettings, DbSettings, HttpSettings, ImportSettings, LoginSettings, S3Settings, Settings,
        WebhookSettings, WorkerSettings,
    },
    domain::{AssetHandle, CompanyHandle, FolderPath, Role},
    queue::Topology,
};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

#[path = "helpers/requests.rs"]
pub mod requests;

pub const PASSWORD: &str = "correct horse battery staple";

/// The server PostgreSQL runs on; each test makes its own database there.
pub fn postgres_server() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The broker every test shares, each with its own queue prefix.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A PNG whose header claims 100,000 × 100,000 pixels under a CRC that matches, as a crafted
/// file's would; its data is a truncated photo's.
pub fn pixel_bomb() -> Vec<u8> {
    let mut bomb = fixture("chelsea-truncated.png");
    bomb[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
    let crc = !bomb[12..29].iter().fold(!0_u32, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |c, _| if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 })
    });
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

/// Serves `router` on a random loopback port, for as long as the test runs; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A running ipscopy with one company, a folder and a user who is an IpsUser there.
pub struct TestApp {
    pub base: String,
    /// The operators' listener.
    pub ops_base: String,
    pub http: reqwest::Client,
    pub pool: PgPool,
    pub running: Option<Running>,
    pub company: CompanyHandle,
    pub folder: FolderPath,
    pub email: String,
    /// The settings the app was started with (a second process can reuse them).
    pub settings: Settings,
    leftovers: Leftovers,
    _data: tempfile::TempDir,
}

/// Starts every role with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts every role, with settings adjusted by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(Roles { api: true, worker: true }, configure).await
}

/// Starts the given roles (the api role is required: tests talk to it).
pub async fn spawn(roles: Roles, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let db_name = format!("ipscopy_test_{id}");
    let prefix = format!("ipscopy-test-{id}");
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        db: DbSettings {
            database_url: format!("{}/{db_name}", postgres_server()).into(),
            db_max_connections: 8,
        },
        amqp: AmqpSettings::new(amqp_url().into(), prefix.clone()),
        s3: S3Settings {
            s3_endpoint: None,
            s3_bucket: "ipscopy-test".into(),
            aws_access_key_id: "test-key".into(),
            aws_secret_access_key: "test-secret".into(),
            aws_region: "us-east-1".into(),
            data_dir: data.path().to_path_buf(),
        },
        http: HttpSettings {
            // Tests read job counters by company: the bound covers every company a test run makes.
            metrics_company_labels: 100_000,
            ..HttpSettings::new("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap())
        },
        login: LoginSettings::default(),
        worker: WorkerSettings {
            worker_concurrency: 8,
            render_threads: 2,
            max_attempts: 3,
            heartbeat_interval_ms: 5_000,
            stale_after_ms: 60_000,
            republish_after_ms: 600_000,
            render_max_pixels: 100_000_000,
            render_timeout_ms: 60_000,
            shutdown_timeout_ms: 10_000,
            retry_delay_scale: 1.0,
            source_cache_bytes: 64 << 20,
            decode_cache_bytes: 64 << 20,
        },
        webhook: WebhookSettings::default(),
        import: ImportSettings::default(),
    };
    configure(&mut settings);
    let shutdown = CancellationToken::new();
    // Armed before the start: a start that fails half way has made the database already.
    let mut leftovers = Leftovers { prefix, db_name, shutdown: shutdown.clone(), running: None, armed: true };
    let running = app::start(&settings, roles, shutdown).await.expect("the app starts");
    let (http_addr, ops_addr, pool) = (running.http_addr, running.ops_addr, running.pool.clone());
    leftovers.running = Some(running);
    let company = admin::add_company(&pool, "Acme").await.expect("company");
    let folder = admin::add_folder(&pool, company, "/copies").await.expect("folder");
    let email = "ann@acme.example".to_string();
    admin::add_user(&pool, &email, PASSWORD, None).await.expect("user");
    admin::set_user_name(&pool, &email, "Ann", "Example").await.expect("user name");
    admin::add_member(&pool, company, &email, Role::IpsUser).await.expect("membership");
    TestApp {
        base: format!("http://{}", http_addr.expect("api role")),
        ops_base: format!("http://{ops_addr}"),
        http: test_client(),
        pool,
        running: leftovers.running.take(),
        company,
        folder,
        email,
        settings,
        leftovers,
        _data: data,
    }
}

impl TestApp {
    /// Stores a fixture as a ready source image in the test company's folder.
    pub async fn add_image(&self, name: &str, fixture_name: &str) -> AssetHandle {
        let storage = &self.running.as_ref().expect("running").storage;
        admin::add_image(&self.pool, storage, self.company, &self.folder, name, fixture(fixture_name))
            .await
            .expect("source image stored")
    }

    /// A copy request body for the test company and folder.
    pub fn copy_body(&self, source: AssetHandle, name: &str, url_modifier: &str) -> Value {
        json!({
            "companyHandle": self.company.to_string(),
            "assetHandle": source.to_string(),
            "folderHandle": self.folder.to_string(),
            "name": name,
            "urlModifier": url_modifier,
        })
    }

    /// Polls a job until it is final; panics after 60 s.
    pub async fn wait_for_job(&self, job_handle: &str) -> Value {
        let path = format!("/v1/jobs/{}", encode(job_handle));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let job = self.get_json(200, &path).await;
            if matches!(job["state"].as_str(), Some("succeeded" | "failed" | "cancelled")) {
                return job;
            }
            assert!(tokio::time::Instant::now() < deadline, "job still {} after 60 s", job["state"]);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Adds another user with `role` in `company`.
    pub async fn add_member(&self, email: &str, company: CompanyHandle, role: Role) {
        admin::add_user(&self.pool, email, PASSWORD, None).await.expect("user");
        admin::add_member(&self.pool, company, email, role).await.expect("membership");
    }

    /// An `ipscopy worker` process of this deployment, to be given its own settings and spawned.
    pub fn worker_command(&self) -> tokio::process::Command {
        use ipscopy::secret::ExposeSecret;
        let s = &self.settings;
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipscopy"));
        command
            .arg("worker")
            .env("DATABASE_URL", s.db.database_url.expose())
            .env("AMQP_URL", s.amqp.amqp_url.expose())
            .env("IPSCOPY_QUEUE_PREFIX", &s.amqp.queue_prefix)
            .env("IPSCOPY_OPS_ADDR", "127.0.0.1:0")
            .env("S3_ENDPOINT", &self.running.as_ref().unwrap().s3_endpoint)
            .env("S3_BUCKET", &s.s3.s3_bucket)
            .env("AWS_ACCESS_KEY_ID", &s.s3.aws_access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", s.s3.aws_secret_access_key.expose_secret())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// The test's exchange and queue names.
    pub fn topology(&self) -> Topology {
        Topology::new(&self.leftovers.prefix)
    }

    /// Stops the app, then deletes the test's database, queues and exchange.
    pub async fn stop(mut self) {
        self.leftovers.shutdown.cancel();
        if let Some(running) = self.running.take() {
            let left = running.wait().await;
            assert!(left.is_empty(), "the app's shutdown overran with these roles still running: {left:?}");
        }
        drop_deployment(&self.leftovers.prefix, &self.leftovers.db_name).await;
        self.leftovers.armed = false;
    }
}

/// A test that panicked (or never called `stop`) still leaves no database or queue behind.
impl Drop for TestApp {
    fn drop(&mut self) {
        // The guard, dropped right after, stops the roles before it deletes what they use.
        self.leftovers.running = self.running.take();
    }
}

/// How long a deployment's guard waits for its roles to stop; the worker drains its jobs for
/// up to 10 s in these settings.
const ROLES_STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A deployment that `stop` has not removed yet. Dropped while armed, it stops the roles first
/// (a role still running could declare its queues again once they are deleted), waiting a
/// bounded time, then deletes the database, queues and exchange.
struct Leftovers {
    prefix: String,
    db_name: String,
    shutdown: CancellationToken,
    running: Option<Running>,
    armed: bool,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.shutdown.cancel();
        let (prefix, db_name, running) = (self.prefix.clone(), self.db_name.clone(), self.running.take());
        // Drop cannot await, and it runs on the test's own runtime: clean up on a thread.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Some(running) = running {
                    let _ = tokio::time::timeout(ROLES_STOP_TIMEOUT, running.wait()).await;
                }
                drop_deployment(&prefix, &db_name).await;
            });
        });
        let _ = cleanup.join();
    }
}

/// An HTTP client whose every call ends within two minutes: a request the app never answers
/// fails its test, naming the call, instead of holding the whole run.
pub fn test_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(CALL_TIMEOUT).build().expect("an HTTP client")
}

const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Deletes a test deployment's queues, exchange and database; errors are ignored (best effort).
pub async fn drop_deployment(prefix: &str, db_name: &str) {
    // Best effort, but bounded: a clean-up must not be what holds a test run.
    if tokio::time::timeout(CLEANUP_TIMEOUT, remove_deployment(prefix, db_name)).await.is_err() {
        println!(
            "clean-up of {db_name} did not finish within {CLEANUP_TIMEOUT:?}; scripts/test sweeps it later"
        );
    }
}

const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);

async fn remove_deployment(prefix: &str, db_name: &str) {
    let topology = Topology::new(prefix);
    let broker = ipscopy::config::BrokerUrls::from(amqp_url());
    if let Ok(ipscopy::queue::Session { connection, .. }) =
        ipscopy::queue::connect(&broker, "ipscopy-test-cleanup").await
    {
        if let Ok(channel) = connection.create_channel().await {
            for queue in [&topology.jobs_queue, &topology.dead_queue] {
                let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
            }
            let _ = channel
                .exchange_delete(topology.dead_exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
        let _ = connection.close(200, "done".into()).await;
    }
    if let Ok(mut conn) = PgConnection::connect(&format!("{}/postgres", postgres_server())).await {
        let _ = sqlx::query(&format!("drop database if exists \"{db_name}\" with (force)"))
            .execute(&mut conn)
            .await;
    }
}

/// Percent-encodes a handle for a URL path (`|` is not allowed there).
pub fn encode(handle: &str) -> String {
    handle.replace('|', "%7C").replace('/', "%2F")
}

impl TestApp {
    /// Adds a company whose id no other test uses (the id sequence jumps to a random point), with
    /// a folder and the test user as IpsUser: process-wide counters labelled by company then
    /// count this test's jobs alone.
    pub async fn add_unique_company(&self, name: &str) -> (CompanyHandle, FolderPath) {
        let start = (uuid::Uuid::new_v4().as_u128() % 1_000_000_000) as i64 + 1_000;
        sqlx::query("select setval('companies_company_id_seq', $1)")
            .bind(start)
            .execute(&self.pool)
            .await
            .expect("company id sequence moved");
        let company = admin::add_company(&self.pool, name).await.expect("company");
        let folder = admin::add_folder(&self.pool, company, "/copies").await.expect("folder");
        admin::add_member(&self.pool, company, &self.email, Role::IpsUser).await.expect("membership");
        (company, folder)
    }

    /// Stores a fixture as a ready source image in `company`'s `folder`.
    pub async fn add_image_in(
        &self,
        company: CompanyHandle,
        folder: &FolderPath,
        name: &str,
        fixture_name: &str,
    ) -> AssetHandle {
        let storage = &self.running.as_ref().expect("running").storage;
        admin::add_image(&self.pool, storage, company, folder, name, fixture(fixture_name))
            .await
            .expect("source image stored")
    }
}

/// What a client script we did not write (zeep, schemathesis) printed, and whether it passed.
pub struct ScriptRun {
    pub passed: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `bash <script under the crate> args…` off the runtime threads: the script's client blocks
/// on HTTP while the app answers on this test's runtime. Its stdout is printed for the log.
pub async fn run_script(script: &str, args: Vec<String>) -> ScriptRun {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(script);
    let output =
        tokio::task::spawn_blocking(move || std::process::Command::new("bash").arg(path).args(args).output())
            .await
            .expect("the script's task ends")
            .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    ScriptRun {
        passed: output.status.success(),
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
