//! A webhook receiver for tests: an axum server on 127.0.0.1 that records every request and
//! answers from a script.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: Instant,
}

impl Delivery {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self { status, headers: Vec::new() }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Default)]
struct Shared {
    recorded: Mutex<Vec<Delivery>>,
    script: Mutex<VecDeque<Reply>>,
    slowness: Mutex<Duration>,
    /// While set and not cancelled, requests wait for it before answering.
    gate: Mutex<Option<CancellationToken>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// The running receiver; it stops when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("receiver binds");
        let addr = listener.local_addr().expect("receiver address");
        let shared = Arc::new(Shared::default());
        let shutdown = CancellationToken::new();
        let router = Router::new().fallback(record).with_state(shared.clone());
        let token = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
                .expect("receiver runs");
        });
        Self { addr, shared, shutdown }
    }

    /// A URL on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    /// Answers the next requests with `replies`, in order; 200 afterwards.
    pub fn reply_with(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// Holds every request this long before answering.
    pub fn answer_after(&self, delay: Duration) {
        *self.shared.slowness.lock().unwrap() = delay;
    }

    /// Holds every answer until [`Self::release`], so a test decides when this receiver catches up.
    pub fn hold(&self) {
        *self.shared.gate.lock().unwrap() = Some(CancellationToken::new());
    }

    /// Lets the held requests and every later one be answered.
    pub fn release(&self) {
        if let Some(gate) = self.shared.gate.lock().unwrap().take() {
            gate.cancel();
        }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` requests arrived; panics after 60 s.
    pub async fn wait_for(&self, count: usize) -> Vec<Delivery> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.deliveries();
            if got.len() >= count {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} of {count} deliveries in 60 s",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn record(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let headers = headers
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), value.to_str().unwrap_or_default().to_string()))
        .collect();
    shared.recorded.lock().unwrap().push(Delivery {
        path: uri.path().to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let reply = shared.script.lock().unwrap().pop_front().unwrap_or_else(|| Reply::status(200));
    let gate = shared.gate.lock().unwrap().clone();
    if let Some(gate) = gate {
        gate.cancelled().await;
    }
    let slowness = *shared.slowness.lock().unwrap();
    if !slowness.is_zero() {
        tokio::time::sleep(slowness).await;
    }
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), "receiver says hi").into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}
