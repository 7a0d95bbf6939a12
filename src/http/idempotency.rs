//! `Idempotency-Key` on submits: a retry with the same key and body gets the first answer back
//! and creates nothing; the same key with another body is a 409.

use std::future::Future;

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::{
    auth::Caller,
    db::idempotency::{self, KeyState},
    domain::Fault,
};

const HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;

/// The header as the API document describes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Only the API document names it; `once` reads the header itself.
pub struct IdempotencyKey {
    /// Replays the first answer for 24 h; the same key with another body is a 409.
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,255}$", max_length = 255)]
    pub key: Option<String>,
}

/// Runs `work` at most once per (caller, key, route, body); answers replays from the store.
pub async fn once<F, Fut, T>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
    work: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
    T: Serialize,
{
    let Some(key) = headers.get(HEADER) else {
        let (status, value) = work().await?;
        return Ok((status, Json(value)).into_response());
    };
    let key = key.to_str().ok().filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN).ok_or_else(|| {
        Fault::invalid_parameter(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
        ))
    })?;
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    let hash = hasher.finalize();
    match idempotency::claim(&state.pool, caller.user_id, key, &hash).await? {
        KeyState::New => match work().await {
            Ok((status, answer)) => {
                let value = serde_json::to_value(answer).map_err(anyhow::Error::new)?;
                idempotency::complete(&state.pool, caller.user_id, key, status.as_u16(), &value).await?;
                Ok((status, Json(value)).into_response())
            }
            Err(e) => {
                idempotency::release(&state.pool, caller.user_id, key).await?;
                Err(e)
            }
        },
        KeyState::Replay { status, response } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut reply = (status, Json(response)).into_response();
            reply.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(reply)
        }
        KeyState::Mismatch => {
            Err(Fault::conflict(format!("Idempotency-Key {key:?} was already used with a different request"))
                .into())
        }
        KeyState::InProgress => Err(Fault::conflict(format!(
            "a request with Idempotency-Key {key:?} is still being processed; retry it later"
        ))
        .into()),
    }
}
