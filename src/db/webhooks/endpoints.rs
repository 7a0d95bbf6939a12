//! Webhook endpoints: registration, changes, and the health that can disable them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::{EndpointKind, EndpointState};

/// A webhook endpoint. No `Debug`: it holds secrets.
#[derive(Clone)]
pub struct EndpointRow {
    pub endpoint_id: i64,
    pub company_id: i64,
    pub kind: EndpointKind,
    pub url: Option<String>,
    pub events: Vec<String>,
    pub description: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub state: EndpointState,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A checked query yielding [`EndpointRow`]s: `$before`, the endpoint columns, then `$after`.
macro_rules! endpoint_rows {
    ($before:literal, $after:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            EndpointRow,
            $before
                + r#" endpoint_id, company_id, kind as "kind: EndpointKind", url, events, description, secret,
                      previous_secret, previous_secret_expires_at, state as "state: EndpointState",
                      disabled_reason, failing_since, created_at, updated_at "#
                + $after,
            $($arg),+
        )
    };
}
pub(super) use endpoint_rows;

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
    endpoint_rows!(
        "insert into webhook_endpoints (company_id, url, events, description, secret, created_by)
         values ($1, $2, $3, $4, $5, $6) returning",
        "",
        new.company_id,
        new.url,
        new.events as &[String],
        new.description,
        new.secret,
        new.created_by
    )
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
    sqlx::query!(
        "insert into webhook_endpoints (company_id, kind, secret, description, created_by)
         values ($1, 'callback', $2, 'signs deliveries to per-request callbackUrls', $3)
         on conflict (company_id) where kind = 'callback' do nothing",
        company_id,
        secret,
        created_by
    )
    .execute(&mut *db)
    .await?;
    endpoint_rows!("select", "from webhook_endpoints where company_id = $1 and kind = 'callback'", company_id)
        .fetch_one(db)
        .await
}

pub async fn find_endpoint(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<Option<EndpointRow>> {
    endpoint_rows!("select", "from webhook_endpoints where endpoint_id = $1", endpoint_id)
        .fetch_optional(db)
        .await
}

pub async fn list_endpoints(db: impl PgExecutor<'_>, company_id: i64) -> sqlx::Result<Vec<EndpointRow>> {
    endpoint_rows!("select", "from webhook_endpoints where company_id = $1 order by endpoint_id", company_id)
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
    endpoint_rows!(
        "update webhook_endpoints set url = coalesce($2, url), events = coalesce($3, events),
                description = coalesce($4, description), updated_at = now()
         where endpoint_id = $1 returning",
        "",
        endpoint_id,
        url,
        events as Option<&[String]>,
        description
    )
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
    endpoint_rows!(
        "update webhook_endpoints set state = case when $2 then 'enabled' else 'disabled' end,
                disabled_reason = case when $2 then null else $3::text end,
                failing_since = case when $2 then null else failing_since end, updated_at = now()
         where endpoint_id = $1 returning",
        "",
        endpoint_id,
        enabled,
        reason
    )
    .fetch_optional(db)
    .await
}

/// Whether an endpoint of the company wants events of `event_type`.
pub async fn any_wants(db: impl PgExecutor<'_>, company_id: i64, event_type: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from webhook_endpoints e where e.company_id = $1 and endpoint_wants(e, $2))
               as "wanted!""#,
        company_id,
        event_type
    )
    .fetch_one(db)
    .await
}

/// Deletes an endpoint with its deliveries and attempts; false if it did not exist.
pub async fn delete_endpoint(db: impl PgExecutor<'_>, endpoint_id: i64) -> sqlx::Result<bool> {
    let done =
        sqlx::query!("delete from webhook_endpoints where endpoint_id = $1", endpoint_id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Notes a failed attempt; disables a client endpoint that has failed without a break for
/// `disable_after_secs` and returns it when it did so.
pub async fn endpoint_failed(
    db: &mut PgConnection,
    endpoint_id: i64,
    disable_after_secs: f64,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query!(
        "update webhook_endpoints set failing_since = coalesce(failing_since, now()) where endpoint_id = $1",
        endpoint_id
    )
    .execute(&mut *db)
    .await?;
    endpoint_rows!(
        r#"update webhook_endpoints set state = 'disabled', updated_at = now(),
                  disabled_reason = 'every delivery failed since ' || to_char(failing_since at time zone 'UTC',
                      'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           where endpoint_id = $1 and kind = 'endpoint' and state = 'enabled'
             and failing_since <= now() - make_interval(secs => $2)
           returning"#,
        "",
        endpoint_id,
        disable_after_secs
    )
    .fetch_optional(db)
    .await
}
