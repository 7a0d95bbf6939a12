//! Webhook endpoints: registration, changes, and the health that can disable them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// A webhook endpoint. No `Debug`: it holds secrets.
#[derive(Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub endpoint_id: i64,
    pub company_id: i64,
    pub kind: String,
    pub url: Option<String>,
    pub events: Vec<String>,
    pub description: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub state: String,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(super) const ENDPOINT_COLUMNS: &str =
    "endpoint_id, company_id, kind, url, events, description, secret, previous_secret,
    previous_secret_expires_at, state, disabled_reason, failing_since, created_at, updated_at";

/// A new client-registered endpoint.
pub struct NewEndpoint<'a> {
    pub company_id: i64,
    pub url: &'a str,
    pub events: &'a [String],
    pub description: &'a str,
    pub secret: &'a str,
    pub created_by: i64,
}

pub async fn insert_endpoint(db: impl PgExecutor<'_>, new: &NewEndpoint<'_>) -> sqlx::Result<EndpointRow> {
    sqlx::query_as(&format!(
        "insert into webhook_endpoints (company_id, url, events, description, secret, created_by)
         values ($1, $2, $3, $4, $5, $6) returning {ENDPOINT_COLUMNS}"
    ))
    .bind(new.company_id)
    .bind(new.url)
    .bind(new.events)
    .bind(new.description)
    .bind(new.secret)
    .bind(new.created_by)
    .fetch_one(db)
    .await
}

/// The company's callback endpoint, created with `secret` if it does not exist yet.
pub async fn callback_endpoint(
    db: &mut PgConnection,
    company_id: i64,
    secret: &str,
    created_by: Option<i64>,
) -> sqlx::Result<EndpointRow> {
    sqlx::query(
        "insert into webhook_endpoints (company_id, kind, secret, description, created_by)
         values ($1, 'callback', $2, 'signs deliveries to per-request callbackUrls', $3)
         on conflict (company_id) where kind = 'callback' do nothing",
    )
    .bind(company_id)
    .bind(secret)
    .bind(created_by)
    .execute(&mut *db)
    .await?;
    sqlx::query_as(&format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where company_id = $1 and kind = 'callback'"
    ))
    .bind(company_id)
    .fetch_one(db)
    .await
}

pub async fn find_endpoint(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!("select {ENDPOINT_COLUMNS} from webhook_endpoints where endpoint_id = $1"))
        .bind(endpoint_id)
        .fetch_optional(db)
        .await
}

pub async fn list_endpoints(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<Vec<EndpointRow>> {
    sqlx::query_as(&format!(
        "select {ENDPOINT_COLUMNS} from webhook_endpoints where company_id = $1 order by endpoint_id"
    ))
    .bind(company_id)
    .fetch_all(db)
    .await
}

/// Changes the given fields; `None` leaves a field as it is.
pub async fn update_endpoint(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    url: Option<&str>,
    events: Option<&[String]>,
    description: Option<&str>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "update webhook_endpoints set url = coalesce($2, url), events = coalesce($3, events),
                description = coalesce($4, description), updated_at = now()
         where endpoint_id = $1 returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(url)
    .bind(events)
    .bind(description)
    .fetch_optional(db)
    .await
}

/// Enables (forgetting past failures) or disables an endpoint.
pub async fn set_enabled(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    enabled: bool,
    reason: Option<&str>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "update webhook_endpoints set state = case when $2 then 'enabled' else 'disabled' end,
                disabled_reason = case when $2 then null else $3 end,
                failing_since = case when $2 then null else failing_since end, updated_at = now()
         where endpoint_id = $1 returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(enabled)
    .bind(reason)
    .fetch_optional(db)
    .await
}

/// Deletes an endpoint with its deliveries and attempts; false if it did not exist.
pub async fn delete_endpoint(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from webhook_endpoints where endpoint_id = $1")
        .bind(endpoint_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes a successful attempt: the endpoint is healthy again.
pub async fn endpoint_succeeded(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<()> {
    sqlx::query("update webhook_endpoints set failing_since = null where endpoint_id = $1 and failing_since is not null")
        .bind(endpoint_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes a failed attempt; disables a client endpoint that has failed without a break for
/// `disable_after_secs` and returns it when it did so.
pub async fn endpoint_failed(
    db: &mut PgConnection,
    endpoint_id: i64,
    disable_after_secs: f64,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query(
        "update webhook_endpoints set failing_since = coalesce(failing_since, now()) where endpoint_id = $1",
    )
    .bind(endpoint_id)
    .execute(&mut *db)
    .await?;
    sqlx::query_as(&format!(
        "update webhook_endpoints set state = 'disabled', updated_at = now(),
                disabled_reason = 'every delivery failed since ' || to_char(failing_since at time zone 'UTC',
                    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         where endpoint_id = $1 and kind = 'endpoint' and state = 'enabled'
           and failing_since <= now() - make_interval(secs => $2)
         returning {ENDPOINT_COLUMNS}"
    ))
    .bind(endpoint_id)
    .bind(disable_after_secs)
    .fetch_optional(db)
    .await
}
