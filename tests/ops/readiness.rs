//! `/readyz` follows the broker: not ready while RabbitMQ cannot be reached, ready again once it
//! can. The broker is put behind a TCP proxy the test opens and closes.

use std::{net::SocketAddr, time::Duration};

use serde_json::Value;
use tokio::{net::TcpListener, task::JoinSet};

use crate::helpers::{TestApp, spawn_app_with};

/// A TCP forwarder to the real RabbitMQ; dropping it refuses new connections and cuts open ones.
struct Proxy {
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn open(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.expect("proxy port free again");
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut broker) = tokio::net::TcpStream::connect("127.0.0.1:5672").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
                    }
                });
            }
        });
        Self { tasks }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts (and closes) every connection.
        self.tasks.abort_all();
    }
}

/// `/readyz` with whatever status it has: the test waits through 503 for 200 and back.
async fn readyz(app: &TestApp) -> (u16, Value) {
    let (status, text) = app.get_text_any_status("/readyz").await;
    (status, serde_json::from_str(&text).expect("JSON body"))
}

async fn readyz_until(app: &TestApp, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (now, body) = readyz(app).await;
        if now == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz still {now} after 60 s: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_the_broker_unreachable_while_it_is_down_and_ready_once_it_is_back() {
    // A port that was free a moment ago: nothing listens there until the proxy opens.
    let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let app = spawn_app_with(|s| s.amqp.amqp_url = format!("amqp://guest:guest@{addr}/%2f").into()).await;

    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["broker"], false);
    assert_eq!(body["database"], true, "only the broker is down");
    assert_eq!(body["storage"], true, "only the broker is down");

    let proxy = Proxy::open(addr).await;
    let body = readyz_until(&app, 200).await;
    assert_eq!(body["broker"], true);

    drop(proxy);
    let body = readyz_until(&app, 503).await;
    assert_eq!(body["broker"], false);
    assert_eq!(crate::scrape::queues(&app).await["broker"]["reachable"], false);

    let _proxy = Proxy::open(addr).await;
    let body = readyz_until(&app, 200).await;
    assert_eq!(body["ready"], true);
    app.stop().await;
}
