//! What the fronts share: the state every JSON, SOAP and ops handler reaches, built by `app`.
//! `http`, `soap` and `ops` depend on this module, never on each other's.

use std::{convert::Infallible, net::IpAddr, net::SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::request::Parts,
};
use sqlx::PgPool;

use crate::{auth::Authenticator, copy::Copier, ops::OpsState, storage::Storage};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub storage: Storage,
    pub copier: Copier,
    /// Takes uploaded masters.
    pub uploader: crate::upload::Uploader,
    /// Checks credentials, with failed-login throttling.
    pub auth: Authenticator,
    /// Ids of jobs that just reached a final state (from PostgreSQL notifications), for long-polls.
    pub job_events: tokio::sync::broadcast::Sender<i64>,
    /// The deployment's broker health and probe and this process's worker, for readiness and the
    /// ops routes.
    pub ops: OpsState,
}

impl FromRef<AppState> for OpsState {
    fn from_ref(state: &AppState) -> Self {
        state.ops.clone()
    }
}

/// The TCP peer's address. `X-Forwarded-For` and the like are not trusted: any client can send
/// them, and they would let one client pose as many.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|peer| peer.0.ip())))
    }
}
