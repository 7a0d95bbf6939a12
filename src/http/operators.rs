//! The operators' routes (`/metrics`, `/status`, `/v1/queues*`) on the tenants' listener: they
//! describe every company, so only an operator — a user whose default role is IpsAdmin — may
//! read them here; anyone else gets 401 or 403. The ops listener serves them to its network.

use axum::{Router, extract::Request, middleware::Next, response::Response};

use super::ApiError;
use crate::{auth::Caller, domain::Fault, state::AppState};

/// The ops routes behind the operator check.
pub fn router(state: &AppState) -> Router<AppState> {
    crate::ops::router()
        .with_state(state.ops.clone())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), require_operator))
}

async fn require_operator(caller: Caller, request: Request, next: Next) -> Result<Response, ApiError> {
    if !caller.is_ips_admin() {
        return Err(Fault::new(
            Fault::NO_OPERATION_PERMISSION,
            "operator figures are for IpsAdmin users; a company's own figures are on its batch and job routes",
        )
        .into());
    }
    Ok(next.run(request).await)
}
