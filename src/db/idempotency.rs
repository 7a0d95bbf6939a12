//! Idempotency keys: the first answer to a request, replayed to its retries.

use sqlx::PgPool;

/// Keys are honoured for at least this long.
const KEEP_HOURS: i32 = 24;

/// What a key says about a request.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyState {
    /// First use: the caller runs the request and then calls [`complete`] or [`release`].
    New,
    /// The same request was answered before: send this again.
    Replay { status: u16, response: serde_json::Value },
    /// The same key came with another request.
    Mismatch,
    /// The first request with this key has not finished yet.
    InProgress,
}

/// Takes `key` for a request whose body hashes to `hash`.
pub async fn claim(pool: &PgPool, user_id: i64, key: &str, hash: &[u8]) -> sqlx::Result<KeyState> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "delete from idempotency_keys where user_id = $1 and key = $2
         and created_at < now() - make_interval(hours => $3)",
        user_id,
        key,
        KEEP_HOURS
    )
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query!(
        "insert into idempotency_keys (user_id, key, request_hash) values ($1, $2, $3) on conflict do nothing",
        user_id,
        key,
        hash
    )
    .execute(&mut *tx)
    .await?;
    let state = if inserted.rows_affected() == 1 {
        KeyState::New
    } else {
        let stored = sqlx::query!(
            "select request_hash, status, response from idempotency_keys where user_id = $1 and key = $2",
            user_id,
            key
        )
        .fetch_one(&mut *tx)
        .await?;
        match (stored.request_hash == hash, stored.status, stored.response) {
            (false, _, _) => KeyState::Mismatch,
            (true, Some(status), Some(response)) => KeyState::Replay { status: status as u16, response },
            (true, _, _) => KeyState::InProgress,
        }
    };
    tx.commit().await?;
    Ok(state)
}

/// Stores the answer to replay.
pub async fn complete(
    pool: &PgPool,
    user_id: i64,
    key: &str,
    status: u16,
    response: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update idempotency_keys set status = $3, response = $4 where user_id = $1 and key = $2",
        user_id,
        key,
        i32::from(status),
        response
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Frees a key whose request failed, so a corrected retry can use it.
pub async fn release(pool: &PgPool, user_id: i64, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from idempotency_keys where user_id = $1 and key = $2 and response is null",
        user_id,
        key
    )
    .execute(pool)
    .await?;
    Ok(())
}
