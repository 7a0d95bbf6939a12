//! `GET /openapi.json`: the OpenAPI 3 document of the JSON API under `/v1`, generated with
//! `utoipa`. The feature routers build their bodies with `json!` or private structs, so the shapes
//! are described here, next to one stub per operation; `tests/ops/openapi.rs` fails when a route
//! is added, removed or changes method without this file following.

#![allow(dead_code)]

use axum::Json;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::ops::{figures, history, workers};

/// The whole JSON API.
#[derive(OpenApi)]
#[openapi(
    info(title = "ipscopy", description = "Asynchronous Scene7 IPS copyImage: the JSON API."),
    paths(
        submit_copy, submit_batch, get_job, cancel_job, get_batch, get_asset, get_asset_content,
        create_webhook, list_webhooks, set_callback_secret, get_webhook, update_webhook, delete_webhook,
        disable_webhook, enable_webhook, get_webhook_secret, rotate_webhook_secret, list_webhook_messages,
        resend_webhook_message, list_webhook_attempts, recover_webhook_messages, test_webhook,
        crate::ops::queues, crate::ops::queue_history,
    ),
    components(schemas(
        CopyIn, CopyAccepted, BatchIn, BatchItemIn, BatchAccepted, BatchItemOut, JobOut, JobError, CancelOut,
        BatchOut, BatchCounts, BatchFailedItem, AssetOut, ImageInfo, Fault, WebhookIn, WebhookUpdate,
        CompanyIn, WebhookOut, WebhookList, SecretOut, RotateIn, MessagesOut, MessageOut, AttemptsOut,
        AttemptOut, RecoverIn, RecoverOut, TestOut, figures::Figures, history::Minute, workers::WorkerRow,
    )),
    modifiers(&BasicAuth),
    security(("basic" = [])),
    tags(
        (name = "copies", description = "Submit copies and follow their jobs"),
        (name = "assets", description = "Assets and their content"),
        (name = "webhooks", description = "Signed event delivery"),
        (name = "ops", description = "Queue depth and health, for IpsAdmin users only on this listener; the operators' listener (IPSCOPY_OPS_ADDR) serves them without credentials"),
    )
)]
pub struct ApiDoc;

struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub(super) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// An error: the IPS fault code, its element and a reason.
#[derive(ToSchema)]
struct Fault {
    /// IPS code: 10000s authentication, 20000s authorization, 30000s API faults.
    code: u32,
    /// `authenticationFault`, `authorizationFault` or `ipsApiFault`.
    fault: String,
    reason: String,
}

/// One copy, with the IPS `copyImageParam` field names.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct CopyIn {
    company_handle: String,
    asset_handle: String,
    folder_handle: String,
    name: String,
    /// Image Serving commands, e.g. `wid=500&fmt=png`.
    url_modifier: Option<String>,
    /// Where to POST this copy's signed event, besides the company's endpoints.
    callback_url: Option<String>,
}

/// An accepted copy: the reserved asset and the job rendering it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct CopyAccepted {
    asset_handle: String,
    job_handle: String,
    state: String,
}

/// One item of a batch; the company comes from the batch.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct BatchItemIn {
    asset_handle: String,
    folder_handle: String,
    name: String,
    url_modifier: Option<String>,
    callback_url: Option<String>,
}

/// Up to 1,000 copies in one company.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct BatchIn {
    company_handle: String,
    items: Vec<BatchItemIn>,
    /// Default callbackUrl for items that name none.
    callback_url: Option<String>,
}

/// One item's result: handles when accepted, a fault when refused.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct BatchItemOut {
    asset_handle: Option<String>,
    job_handle: Option<String>,
    code: Option<u32>,
    fault: Option<String>,
    reason: Option<String>,
}

/// A batch answer, one result per item in order.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct BatchAccepted {
    /// Absent when every item was refused.
    batch_handle: Option<String>,
    accepted_count: u32,
    rejected_count: u32,
    items: Vec<BatchItemOut>,
}

/// Why a job failed.
#[derive(ToSchema)]
struct JobError {
    code: String,
    reason: String,
}

/// A copy job.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct JobOut {
    job_handle: String,
    company_handle: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    state: String,
    asset_handle: String,
    source_asset_handle: String,
    url_modifier: String,
    attempts: i32,
    max_attempts: i32,
    created: chrono::DateTime<chrono::Utc>,
    started: Option<chrono::DateTime<chrono::Utc>>,
    finished: Option<chrono::DateTime<chrono::Utc>>,
    last_modified: chrono::DateTime<chrono::Utc>,
    next_attempt: Option<chrono::DateTime<chrono::Utc>>,
    error: Option<JobError>,
    /// Every attempt's error, oldest first: `{attempt, code, reason, at}`.
    attempt_errors: Vec<serde_json::Value>,
    /// The finished copy, once the job succeeded.
    asset: Option<AssetOut>,
}

/// What a cancel did.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct CancelOut {
    job_handle: String,
    state: String,
    cancel_requested: bool,
}

/// Jobs of a batch by state.
#[derive(ToSchema)]
struct BatchCounts {
    queued: i64,
    running: i64,
    succeeded: i64,
    failed: i64,
    cancelled: i64,
}

/// A failed item of a batch.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct BatchFailedItem {
    job_handle: String,
    asset_handle: String,
    name: String,
    code: Option<String>,
    reason: Option<String>,
}

/// A batch's progress.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct BatchOut {
    batch_handle: String,
    company_handle: String,
    created: chrono::DateTime<chrono::Utc>,
    accepted_count: i32,
    rejected_count: i32,
    counts: BatchCounts,
    completed: bool,
    failed_items: Vec<BatchFailedItem>,
}

/// Image facts, with IPS `ImageInfo` names.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct ImageInfo {
    width: Option<i32>,
    height: Option<i32>,
    file_size: Option<i64>,
    format: Option<String>,
    url_modifier: String,
    source_asset_handle: Option<String>,
}

/// An asset, with IPS `Asset` names.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct AssetOut {
    asset_handle: String,
    company_handle: String,
    r#type: String,
    name: String,
    folder_handle: String,
    /// `pending` until the copy is rendered, then `ready` (or `failed`).
    state: String,
    created: chrono::DateTime<chrono::Utc>,
    last_modified: chrono::DateTime<chrono::Utc>,
    image_info: ImageInfo,
}

/// A webhook endpoint to register.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct WebhookIn {
    company_handle: String,
    url: String,
    /// Event types delivered; empty means every type.
    events: Option<Vec<String>>,
    description: Option<String>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(ToSchema)]
struct WebhookUpdate {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    enabled: Option<bool>,
}

/// A company, for the callback endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct CompanyIn {
    company_handle: String,
}

/// A webhook endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct WebhookOut {
    webhook_handle: String,
    company_handle: String,
    /// `endpoint` (registered) or `callback` (signs per-request callbackUrl deliveries).
    kind: String,
    url: Option<String>,
    events: Vec<String>,
    description: String,
    state: String,
    disabled_reason: Option<String>,
    failing_since: Option<chrono::DateTime<chrono::Utc>>,
    previous_secret_expires: Option<chrono::DateTime<chrono::Utc>>,
    created: chrono::DateTime<chrono::Utc>,
    last_modified: chrono::DateTime<chrono::Utc>,
    /// Only when the endpoint is created.
    secret: Option<String>,
}

/// A company's endpoints.
#[derive(ToSchema)]
struct WebhookList {
    webhooks: Vec<WebhookOut>,
}

/// An endpoint's signing secret.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct SecretOut {
    webhook_handle: String,
    secret: String,
    previous_secret_expires: Option<chrono::DateTime<chrono::Utc>>,
}

/// How long the old secret keeps signing after a rotation.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct RotateIn {
    overlap_seconds: Option<u64>,
}

/// A message sent to an endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct MessageOut {
    /// The `webhook-id` header of every attempt.
    message_id: String,
    event_type: String,
    payload: serde_json::Value,
    url: Option<String>,
    state: String,
    attempts: i32,
    next_attempt: Option<chrono::DateTime<chrono::Utc>>,
    created: chrono::DateTime<chrono::Utc>,
}

/// An endpoint's messages, newest first.
#[derive(ToSchema)]
struct MessagesOut {
    messages: Vec<MessageOut>,
}

/// One delivery attempt.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct AttemptOut {
    attempt_id: i64,
    message_id: String,
    event_type: String,
    url: Option<String>,
    /// `scheduled`, `manual` (a resend) or `recovery`.
    trigger: String,
    succeeded: bool,
    response_status_code: Option<i32>,
    response_excerpt: Option<String>,
    error: Option<String>,
    duration_ms: i32,
    attempted: chrono::DateTime<chrono::Utc>,
}

/// An endpoint's attempts, newest first.
#[derive(ToSchema)]
struct AttemptsOut {
    attempts: Vec<AttemptOut>,
}

/// Send again every failed message since a time.
#[derive(ToSchema)]
struct RecoverIn {
    since: chrono::DateTime<chrono::Utc>,
}

/// How many messages were queued again.
#[derive(ToSchema)]
struct RecoverOut {
    recovered: u64,
}

/// The test event's message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
struct TestOut {
    message_id: String,
}

/// Submit one copy; answers at once with a pending asset and its job.
#[utoipa::path(post, path = "/v1/copies", tag = "copies", request_body = CopyIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h")),
    responses((status = 202, body = CopyAccepted), (status = "4XX", body = Fault)))]
fn submit_copy() {}

/// Submit up to 1,000 copies; each item is accepted or refused on its own.
#[utoipa::path(post, path = "/v1/copies/batch", tag = "copies", request_body = BatchIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for 24 h")),
    responses((status = 202, body = BatchAccepted), (status = "4XX", body = Fault)))]
fn submit_batch() {}

/// A job; `?wait=30s` holds the answer until it is final (long-poll), `If-None-Match` gives 304.
#[utoipa::path(get, path = "/v1/jobs/{job_handle}", tag = "copies",
    params(("job_handle" = String, Path), ("wait" = Option<String>, Query, description = "e.g. 30s or 500ms, at most 60 s")),
    responses((status = 200, body = JobOut), (status = 304), (status = "4XX", body = Fault)))]
fn get_job() {}

/// Cancels a queued job at once, or asks a running one to stop.
#[utoipa::path(post, path = "/v1/jobs/{job_handle}/cancel", tag = "copies", params(("job_handle" = String, Path)),
    responses((status = 200, body = CancelOut), (status = 202, body = CancelOut), (status = "4XX", body = Fault)))]
fn cancel_job() {}

/// A batch's progress and failed items.
#[utoipa::path(get, path = "/v1/batches/{batch_handle}", tag = "copies", params(("batch_handle" = String, Path)),
    responses((status = 200, body = BatchOut), (status = 304), (status = "4XX", body = Fault)))]
fn get_batch() {}

/// An asset.
#[utoipa::path(get, path = "/v1/assets/{asset_handle}", tag = "assets", params(("asset_handle" = String, Path)),
    responses((status = 200, body = AssetOut), (status = "4XX", body = Fault)))]
fn get_asset() {}

/// An asset's image bytes.
#[utoipa::path(get, path = "/v1/assets/{asset_handle}/content", tag = "assets", params(("asset_handle" = String, Path)),
    responses((status = 200, description = "The image", content_type = "image/*"), (status = "4XX", body = Fault)))]
fn get_asset_content() {}

/// Registers an endpoint; the answer holds its secret.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, body = WebhookOut), (status = "4XX", body = Fault)))]
fn create_webhook() {}

/// A company's endpoints.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(("companyHandle" = Option<String>, Query)),
    responses((status = 200, body = WebhookList), (status = "4XX", body = Fault)))]
fn list_webhooks() {}

/// The company's callback endpoint, whose secret signs deliveries to per-copy callbackUrls.
#[utoipa::path(post, path = "/v1/webhooks/callback", tag = "webhooks", request_body = CompanyIn,
    responses((status = 200, body = WebhookOut), (status = 201, body = WebhookOut), (status = "4XX", body = Fault)))]
fn set_callback_secret() {}

/// An endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}", tag = "webhooks", params(("webhook_handle" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = "4XX", body = Fault)))]
fn get_webhook() {}

/// Changes an endpoint.
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_handle}", tag = "webhooks", params(("webhook_handle" = String, Path)),
    request_body = WebhookUpdate, responses((status = 200, body = WebhookOut), (status = "4XX", body = Fault)))]
fn update_webhook() {}

/// Deletes an endpoint.
#[utoipa::path(delete, path = "/v1/webhooks/{webhook_handle}", tag = "webhooks", params(("webhook_handle" = String, Path)),
    responses((status = 204), (status = "4XX", body = Fault)))]
fn delete_webhook() {}

/// Stops deliveries to an endpoint.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/disable", tag = "webhooks", params(("webhook_handle" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = "4XX", body = Fault)))]
fn disable_webhook() {}

/// Resumes deliveries to an endpoint.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/enable", tag = "webhooks", params(("webhook_handle" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = "4XX", body = Fault)))]
fn enable_webhook() {}

/// An endpoint's signing secret.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}/secret", tag = "webhooks", params(("webhook_handle" = String, Path)),
    responses((status = 200, body = SecretOut), (status = "4XX", body = Fault)))]
fn get_webhook_secret() {}

/// Replaces the signing secret; the old one keeps signing for the overlap.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/rotate-secret", tag = "webhooks", params(("webhook_handle" = String, Path)),
    request_body = RotateIn, responses((status = 200, body = SecretOut), (status = "4XX", body = Fault)))]
fn rotate_webhook_secret() {}

/// Messages sent to an endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}/messages", tag = "webhooks",
    params(("webhook_handle" = String, Path), ("since" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = MessagesOut), (status = "4XX", body = Fault)))]
fn list_webhook_messages() {}

/// Sends one message to the endpoint again.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/messages/{message_id}/resend", tag = "webhooks",
    params(("webhook_handle" = String, Path), ("message_id" = String, Path)),
    responses((status = 202), (status = "4XX", body = Fault)))]
fn resend_webhook_message() {}

/// Delivery attempts to an endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_handle}/attempts", tag = "webhooks",
    params(("webhook_handle" = String, Path), ("since" = Option<String>, Query), ("messageId" = Option<String>, Query),
        ("limit" = Option<i64>, Query)),
    responses((status = 200, body = AttemptsOut), (status = "4XX", body = Fault)))]
fn list_webhook_attempts() {}

/// Sends again every message that failed since a time.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/recover", tag = "webhooks", params(("webhook_handle" = String, Path)),
    request_body = RecoverIn, responses((status = 202, body = RecoverOut), (status = "4XX", body = Fault)))]
fn recover_webhook_messages() {}

/// Sends a `webhook.test` event to this endpoint only.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_handle}/test", tag = "webhooks", params(("webhook_handle" = String, Path)),
    responses((status = 202, body = TestOut), (status = "4XX", body = Fault)))]
fn test_webhook() {}
