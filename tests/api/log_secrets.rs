//! The real binary, logging everything it can (`RUST_LOG=debug`, trace for ipscopy, JSON lines),
//! is sent every kind of credential, right and wrong; none of them may appear in what it logged.

use std::{
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::helpers::{self, drop_deployment, encode, requests::send_expecting};

const LOG_FILTER: &str = "debug,ipscopy=trace";

/// A distinct, greppable secret.
fn secret(what: &str) -> String {
    format!("{what}-{}", uuid::Uuid::new_v4().simple())
}

fn postgres_server() -> url::Url {
    url::Url::parse(&helpers::postgres_server()).expect("TEST_POSTGRES_URL is a URL")
}

fn amqp_server() -> url::Url {
    url::Url::parse(&helpers::amqp_url()).expect("AMQP_URL is a URL")
}

fn rabbitmqctl(args: &[&str]) {
    let status = std::process::Command::new("rabbitmqctl").args(args).stdout(Stdio::null()).status();
    assert!(status.is_ok_and(|s| s.success()), "rabbitmqctl {args:?} failed");
}

/// Where the process under test finds its dependencies, each with a password of its own.
struct Deployment {
    env: Vec<(&'static str, String)>,
    db_name: String,
    prefix: String,
    rabbit_user: String,
    secrets: Vec<(&'static str, String)>,
    _data: tempfile::TempDir,
}

impl Deployment {
    fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (db_name, prefix) = (format!("ipscopy_test_{id}"), format!("ipscopy-test-{id}"));
        let (db_password, amqp_password, s3_secret) = (secret("db"), secret("amqp"), secret("s3"));
        // PostgreSQL trusts local connections here, so the password is carried but unused: what
        // matters is that it never reaches a log.
        let mut database_url = postgres_server();
        database_url.set_password(Some(&db_password)).unwrap();
        database_url.set_path(&db_name);
        let rabbit_user = format!("ipscopy-log-test-{id}");
        rabbitmqctl(&["add_user", &rabbit_user, &amqp_password]);
        rabbitmqctl(&["set_permissions", "-p", "/", &rabbit_user, ".*", ".*", ".*"]);
        let mut amqp_url = amqp_server();
        amqp_url.set_username(&rabbit_user).unwrap();
        amqp_url.set_password(Some(&amqp_password)).unwrap();
        let data = tempfile::tempdir().unwrap();
        let env = vec![
            ("DATABASE_URL", database_url.to_string()),
            ("AMQP_URL", amqp_url.to_string()),
            ("IPSCOPY_QUEUE_PREFIX", prefix.clone()),
            ("AWS_ACCESS_KEY_ID", "log-test-key".into()),
            ("AWS_SECRET_ACCESS_KEY", s3_secret.clone()),
            ("IPSCOPY_DATA_DIR", data.path().display().to_string()),
            ("IPSCOPY_HTTP_ADDR", "127.0.0.1:0".into()),
            ("IPSCOPY_OPS_ADDR", "127.0.0.1:0".into()),
            ("IPSCOPY_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32".into()),
            ("RUST_LOG", LOG_FILTER.into()),
            ("IPSCOPY_LOG_FORMAT", "json".into()),
        ];
        let secrets = vec![
            ("database password", db_password),
            ("AMQP password", amqp_password),
            ("S3 secret key", s3_secret),
        ];
        Self { env, db_name, prefix, rabbit_user, secrets, _data: data }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ipscopy"));
        command.args(args).envs(self.env.iter().map(|(k, v)| (*k, v.as_str()))).kill_on_drop(true);
        command
    }

    /// Runs an admin command; returns what it printed on stdout, and appends its logs to `logs`.
    async fn admin(&self, args: &[&str], logs: &mut String) -> String {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        let output = self.command(&all).output().await.expect("admin command runs");
        logs.push_str(&String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "admin {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    async fn clean_up(self) {
        drop_deployment(&self.prefix, &self.db_name).await;
        rabbitmqctl(&["delete_user", &self.rabbit_user]);
    }
}

/// `ipscopy run` with its stderr collected line by line.
struct Server {
    child: Child,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(deployment: &Deployment) -> Self {
        let mut child =
            deployment.command(&["run"]).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (listening, mut addr) = tokio::sync::watch::channel(None);
        let collected = lines.clone();
        let reader = tokio::spawn(async move {
            let mut stderr = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = stderr.next_line().await {
                if let Ok(entry) = serde_json::from_str::<Value>(&line)
                    && entry["fields"]["message"] == "HTTP API listening"
                {
                    let _ = listening.send(entry["fields"]["addr"].as_str().map(str::to_string));
                }
                collected.lock().unwrap().push(line);
            }
        });
        let found = tokio::time::timeout(Duration::from_secs(60), addr.wait_for(Option::is_some)).await;
        let addr = found.expect("the server listens within 60 s").expect("log reader").clone().unwrap();
        Self { child, base: format!("http://{addr}"), lines, reader }
    }

    /// Stops the process and returns everything it logged.
    async fn stop(mut self) -> String {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        let _ = self.reader.await;
        self.lines.lock().unwrap().join("\n")
    }
}

/// Counts webhook deliveries and answers 200.
async fn receiver() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let router = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "ok" }
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    (port, received)
}

fn auth_header(user: &str, password: &str) -> String {
    format!(
        r#"<authHeader xmlns="http://www.scene7.com/IpsApi/xsd"><user>{user}</user><password>{password}</password></authHeader>"#
    )
}

fn legacy_header(user: &str, password: &str) -> String {
    format!(
        r#"<AuthUser xmlns="http://www.scene7.com/IpsApi">{user}</AuthUser><AuthPassword xmlns="http://www.scene7.com/IpsApi">{password}</AuthPassword>"#
    )
}

async fn soap(
    http: &reqwest::Client,
    base: &str,
    headers: &str,
    op: &str,
    params: &str,
    basic: Option<(&str, &str)>,
) -> String {
    let body = format!(
        r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>{headers}</soapenv:Header><soapenv:Body><{op}Param xmlns="http://www.scene7.com/IpsApi/xsd/2014-04-03">{params}</{op}Param></soapenv:Body></soapenv:Envelope>"#
    );
    let mut request = http
        .post(format!("{base}/scene7/services/IpsApiService"))
        .header("content-type", "text/xml")
        .body(body);
    if let Some((user, password)) = basic {
        request = request.basic_auth(user, Some(password));
    }
    request.send().await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_or_secret_sent_to_or_held_by_the_service_appears_in_its_debug_logs() {
    // What `main` does for the binary: one TLS provider for this process's HTTP clients.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (receiver_port, deliveries) = receiver().await;
    let deployment = Deployment::new();
    let mut logs = String::new();
    let email = "ann@acme.example";
    let password = secret("right-password");
    let company = deployment.admin(&["company", "add", "--name", "Acme"], &mut logs).await;
    deployment.admin(&["user", "add", "--email", email, "--password", &password], &mut logs).await;
    deployment
        .admin(
            &["member", "add", "--company", &company, "--email", email, "--role", "IpsCompanyAdmin"],
            &mut logs,
        )
        .await;
    let server = Server::start(&deployment).await;
    let (http, base) = (reqwest::Client::new(), server.base.clone());
    let mut secrets = deployment.secrets.clone();
    secrets.push(("the right password", password.clone()));
    let company_query = format!("{base}/v1/webhooks?companyHandle={}", encode(&company));
    let company_param = format!("<companyHandle>{company}</companyHandle>");

    // JSON: a wrong password, a password typed into the user field, then the right one.
    let wrong_basic = secret("wrong-basic");
    let response = http.get(&company_query).basic_auth(email, Some(&wrong_basic)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let in_user_field = secret("typed-as-user");
    let response = http.get(&company_query).basic_auth(&in_user_field, Some("x")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    // Webhook secrets: made, rotated, read, and used to sign a delivery.
    let post = |expected: u16, path: String, body: Value| {
        let request = http.post(format!("{base}{path}")).basic_auth(email, Some(&password)).json(&body);
        async move { send_expecting(expected, request).await.json_or_null() }
    };
    let hook_url = format!("http://127.0.0.1:{receiver_port}/hook");
    let created = post(201, "/v1/webhooks".into(), json!({"companyHandle": company, "url": hook_url})).await;
    let hook = encode(created["webhookHandle"].as_str().expect("an endpoint was made"));
    let rotated = post(200, format!("/v1/webhooks/{hook}/rotate-secret"), json!({})).await;
    let callback = post(200, "/v1/webhooks/callback".into(), json!({"companyHandle": company})).await;
    post(202, format!("/v1/webhooks/{hook}/test"), json!({})).await;
    for (what, value) in [
        ("webhook secret", &created["secret"]),
        ("rotated webhook secret", &rotated["secret"]),
        ("callback secret", &callback["secret"]),
    ] {
        let value = value.as_str().unwrap_or_else(|| panic!("no {what}"));
        secrets.push((what, value.trim_start_matches("whsec_").to_string()));
    }
    // SOAP: authHeader, legacy headers and HTTP Basic, wrong and right; checkLogin's password.
    let (wrong_soap, wrong_legacy, wrong_soap_basic, wrong_check) =
        (secret("wrong-soap"), secret("wrong-legacy"), secret("wrong-soap-basic"), secret("wrong-check"));
    for (headers, basic) in [
        (auth_header(email, &wrong_soap), None),
        (auth_header(email, &password), None),
        (legacy_header(email, &wrong_legacy), None),
        (legacy_header(email, &password), None),
        (String::new(), Some((email, wrong_soap_basic.as_str()))),
        (String::new(), Some((email, password.as_str()))),
    ] {
        soap(&http, &base, &headers, "getCompanyInfo", &company_param, basic).await;
    }
    for checked in [&wrong_check, &password] {
        let params = format!("<email>{email}</email><password>{checked}</password>");
        let reply = soap(&http, &base, &auth_header(email, &password), "checkLogin", &params, None).await;
        assert!(reply.contains("Login</status>"), "{reply}");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while deliveries.load(Ordering::SeqCst) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    logs.push_str(&server.stop().await);
    deployment.clean_up().await;

    for (what, value) in [
        ("a wrong HTTP Basic password", wrong_basic),
        ("a password typed as the user", in_user_field),
        ("a wrong authHeader password", wrong_soap),
        ("a wrong AuthPassword", wrong_legacy),
        ("a wrong SOAP HTTP Basic password", wrong_soap_basic),
        ("a wrong checkLogin password", wrong_check),
    ] {
        secrets.push((what, value));
    }
    let basic_forms: Vec<_> =
        secrets.iter().map(|(what, value)| (*what, STANDARD.encode(format!("{email}:{value}")))).collect();
    assert!(deliveries.load(Ordering::SeqCst) > 0, "a webhook was signed and delivered");
    assert!(logs.lines().count() > 100, "the process logged at debug level:\n{logs}");
    assert!(logs.contains("failed login"), "failed logins are logged");
    for (what, value) in secrets.iter().chain(&basic_forms) {
        let found = logs.lines().find(|line| line.contains(value.as_str()));
        assert!(found.is_none(), "{what} is in the logs: {}", found.unwrap_or_default());
    }
}
