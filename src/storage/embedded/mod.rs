//! An S3-compatible store inside the process (s3s over [`disk::DiskStore`]), for single-machine
//! use and tests.

mod digests;
mod disk;
mod listing;
mod multipart;
mod objects;

use std::{net::SocketAddr, path::Path};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder as ConnBuilder,
};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A running embedded store; it stops when the token given to [`EmbeddedStore::start`] fires.
pub struct EmbeddedStore {
    addr: SocketAddr,
}

impl EmbeddedStore {
    /// Serves the objects under `root` on a random loopback port.
    pub async fn start(
        root: &Path,
        access_key: &str,
        secret_key: &str,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        Self::start_at(root, access_key, secret_key, ([127, 0, 0, 1], 0).into(), shutdown).await
    }

    /// Serves the objects under `root` on `addr`. When `shutdown` fires, the listener and every
    /// open connection close.
    pub async fn start_at(
        root: &Path,
        access_key: &str,
        secret_key: &str,
        addr: SocketAddr,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)?;
        let store = disk::DiskStore::new(root.to_path_buf());
        store.sweep_stale_temp_files();
        let mut builder = S3ServiceBuilder::new(store);
        builder.set_auth(SimpleAuth::from_single(access_key, secret_key.to_string()));
        let service = builder.build();
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let socket = tokio::select! {
                    () = shutdown.cancelled() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((socket, _)) => socket,
                        Err(e) => {
                            tracing::warn!(error = %e, "embedded store: accept failed");
                            continue;
                        }
                    },
                };
                // Without it every small GET waits ~40 ms on Nagle + delayed ACK.
                let _ = socket.set_nodelay(true);
                let conn = http.serve_connection(TokioIo::new(socket), service.clone()).into_owned();
                let stop = shutdown.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = conn => {}
                        () = stop.cancelled() => {}
                    }
                });
            }
        });
        tracing::info!(%addr, root = %root.display(), "embedded S3 store listening");
        Ok(Self { addr })
    }

    /// The endpoint URL to give an S3 client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}
