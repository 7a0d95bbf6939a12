//! `/v1/webhooks`: endpoints of a company, their secrets, and their delivery log.
//!
//! The router and what every part shares: loading an endpoint the caller may use, and the log
//! queries' paging.

pub(super) mod attempts;
pub(super) mod endpoints;
pub(super) mod messages;
pub(super) mod secrets;

use axum::{
    Router,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::{
    auth::{self, Caller},
    db::webhooks::{self as store, EndpointRow},
    domain::{CompanyHandle, Fault, role::Access},
    webhook::EndpointHandle,
};

/// Most log rows one call returns.
const MAX_LIMIT: i64 = 1000;

/// Paging of the message and attempt logs.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// Only rows from this time on.
    since: Option<DateTime<Utc>>,
    /// Only the attempts of this message (attempts only).
    message_id: Option<String>,
    /// At most this many rows (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Loads an endpoint the caller may use with `access`. An endpoint of another company looks
/// exactly like one that does not exist.
async fn endpoint(
    state: &AppState,
    caller: &Caller,
    handle: &str,
    access: Access,
) -> Result<EndpointRow, ApiError> {
    let handle = EndpointHandle::parse(handle)?;
    let not_found = || Fault::not_found(format!("webhook {handle} does not exist"));
    let row = store::find_endpoint(&state.pool, handle.0).await?.ok_or_else(not_found)?;
    auth::authorize_or_hide(&state.pool, caller, CompanyHandle(row.company_id), access, not_found()).await?;
    Ok(row)
}

fn limit(query: &LogQuery) -> Result<i64, Fault> {
    match query.limit {
        None => Ok(100),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Fault::invalid_parameter(format!("limit must be 1 to {MAX_LIMIT}"))),
    }
}

/// Every `/v1/webhooks` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks", post(endpoints::create).get(endpoints::list))
        .route("/v1/webhooks/callback", post(endpoints::callback))
        .route(
            "/v1/webhooks/{webhook_handle}",
            get(endpoints::get_one).patch(endpoints::update).delete(endpoints::delete),
        )
        .route("/v1/webhooks/{webhook_handle}/disable", post(endpoints::disable))
        .route("/v1/webhooks/{webhook_handle}/enable", post(endpoints::enable))
        .route("/v1/webhooks/{webhook_handle}/secret", get(secrets::secret))
        .route("/v1/webhooks/{webhook_handle}/rotate-secret", post(secrets::rotate))
        .route("/v1/webhooks/{webhook_handle}/messages", get(messages::messages))
        .route("/v1/webhooks/{webhook_handle}/messages/{message_id}/resend", post(messages::resend))
        .route("/v1/webhooks/{webhook_handle}/attempts", get(attempts::attempts))
        .route("/v1/webhooks/{webhook_handle}/recover", post(messages::recover))
        .route("/v1/webhooks/{webhook_handle}/test", post(messages::send_test))
}
