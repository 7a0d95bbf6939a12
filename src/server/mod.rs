//! HTTP serving shared by every listener (the tenants' API and the operators' port): an accept
//! loop with a bound on connections, header, body and idle timeouts, graceful shutdown, and
//! requests that run to completion even when their client hangs up.

mod error;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, extract::ConnectInfo};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::Semaphore,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

pub use error::{ApiError, FaultBody, fault_response, uniform_client_errors};

use crate::{config::HttpSettings, domain::Fault};

/// How a listener treats its connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request's head must arrive within this (hyper also applies it to an HTTP/1 keep-alive
    /// connection waiting for its next request).
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long fails.
    pub body_idle_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Connections held at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

impl Limits {
    /// The limits the settings give.
    pub fn of(settings: &HttpSettings) -> Self {
        Self {
            header_timeout: Duration::from_millis(settings.http_header_timeout_ms.max(1)),
            body_idle_timeout: Duration::from_millis(settings.http_body_idle_timeout_ms.max(1)),
            idle_timeout: Duration::from_millis(settings.http_idle_timeout_ms.max(1)),
            max_connections: settings.http_max_connections.max(1),
        }
    }
}

/// How long shutdown waits for open connections to finish their requests.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a refused connection may take to send its request head before it is answered.
const REFUSAL_READ: Duration = Duration::from_millis(200);
/// A refused connection gets this long to take its 503.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);
/// Pause after a failed accept (out of descriptors, say) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a connection past the bound is told before it is closed.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 87\r\n\r\n\
{\"code\":30000,\"fault\":\"ipsApiFault\",\"reason\":\"too many connections; retry in a second\"}";

/// Serves `router` on `listener` until `shutdown`, then lets open connections finish (for at
/// most [`DRAIN_TIMEOUT`]). Each request runs in a task of its own, tracked by `requests`: a
/// client that hangs up drops only its wait for the answer, never the work, so no transaction
/// or idempotency key is left half done.
/// Largest text field of a `multipart/form-data` body (the parameters beside its files).
const MAX_FORM_TEXT_BYTES: usize = 64 * 1024;

/// Reads a text field of a form, refusing one over [`MAX_FORM_TEXT_BYTES`] as soon as it passes
/// them: the file routes take no body limit, so nothing else bounds a field read whole.
pub async fn form_text(mut field: axum::extract::multipart::Field<'_>, name: &str) -> Result<Vec<u8>, Fault> {
    let mut text = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| Fault::invalid_parameter(format!("form field {name}: {}", e.body_text())))?
    {
        if text.len() + chunk.len() > MAX_FORM_TEXT_BYTES {
            return Err(Fault::too_large(format!("form field {name} is over {MAX_FORM_TEXT_BYTES} bytes")));
        }
        text.extend_from_slice(&chunk);
    }
    Ok(text)
}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    requests: TaskTracker,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let connections = TaskTracker::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            connections.spawn(refuse(stream));
            continue;
        };
        let connection = Connection {
            router: router.clone(),
            peer,
            limits,
            requests: requests.clone(),
            shutdown: shutdown.clone(),
        };
        let builder = builder.clone();
        connections.spawn(async move {
            connection.run(stream, &builder).await;
            drop(permit);
        });
    }
    connections.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.wait()).await.is_err() {
        tracing::warn!(open = connections.len(), "connections still open at shutdown are dropped");
    }
}

/// Tells a connection past the bound to come back. What the client sends first is read (up to
/// a bound, briefly), so that a client which writes its request before reading sees the 503
/// rather than a reset.
async fn refuse(mut stream: tokio::net::TcpStream) {
    let mut head = [0u8; 8192];
    let _ = tokio::time::timeout(REFUSAL_READ, stream.read(&mut head)).await;
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, async {
        stream.write_all(TOO_MANY_CONNECTIONS).await?;
        stream.shutdown().await
    })
    .await;
}

/// One accepted connection.
struct Connection {
    router: Router,
    peer: SocketAddr,
    limits: Limits,
    requests: TaskTracker,
    shutdown: CancellationToken,
}

impl Connection {
    async fn run(self, stream: tokio::net::TcpStream, builder: &auto::Builder<TokioExecutor>) {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let idle = Arc::new(tokio::sync::Notify::new());
        // Until its first request, a connection gets the header timeout: one that sends nothing
        // at all never reaches hyper's own header timer (the protocol is not known yet).
        let requested = Arc::new(AtomicBool::new(false));
        let Self { router, peer, limits, requests, shutdown } = self;
        let service = {
            let (in_flight, idle, requested) = (in_flight.clone(), idle.clone(), requested.clone());
            service_fn(move |request: hyper::Request<Incoming>| {
                requested.store(true, Ordering::Release);
                let mut request = request.map(|body| {
                    axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
                        limits.body_idle_timeout,
                        body,
                    ))
                });
                request.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                let guard = InFlight::enter(in_flight.clone(), idle.clone());
                let task = requests.spawn(async move {
                    let response = router.oneshot(request).await;
                    drop(guard);
                    response
                });
                async move {
                    match task.await {
                        Ok(response) => response,
                        Err(e) => {
                            tracing::error!(error = %e, "a request handler panicked");
                            Ok(error::internal_error())
                        }
                    }
                }
            })
        };
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        tokio::pin!(conn);
        let mut closing = false;
        loop {
            let idle_for = async {
                loop {
                    let notified = idle.notified();
                    if in_flight.load(Ordering::Acquire) == 0 {
                        let limit = if requested.load(Ordering::Acquire) {
                            limits.idle_timeout
                        } else {
                            limits.header_timeout
                        };
                        tokio::select! {
                            () = tokio::time::sleep(limit) => return,
                            () = notified => {}
                        }
                    } else {
                        notified.await;
                    }
                }
            };
            tokio::select! {
                served = conn.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = shutdown.cancelled(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = idle_for, if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Counts a request in flight on its connection until dropped; any change wakes the idle timer.
struct InFlight {
    count: Arc<AtomicUsize>,
    changed: Arc<tokio::sync::Notify>,
}

impl InFlight {
    fn enter(count: Arc<AtomicUsize>, changed: Arc<tokio::sync::Notify>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        changed.notify_waiters();
        Self { count, changed }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
        self.changed.notify_waiters();
    }
}
