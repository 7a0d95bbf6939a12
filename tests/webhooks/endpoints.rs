//! Managing endpoints: register, list, read, update, disable, delete; access rules.

use ipscopy::{admin, domain::Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, encode, spawn_app},
    register,
};

async fn call(app: &TestApp, expected: u16, method: Method, path: &str, body: Option<&Value>) -> Value {
    app.request_json_as(expected, &app.email, method, path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_is_registered_listed_updated_disabled_enabled_and_deleted() {
    let app = crate::spawn_webhook_app(|_| {}).await;
    let (webhook, secret) =
        register(&app, "http://127.0.0.1:9/hook", &["copy.succeeded", "copy.failed"]).await;
    let path = format!("/v1/webhooks/{}", encode(&webhook));

    let listed =
        app.get_json(200, &format!("/v1/webhooks?companyHandle={}", encode(&app.company.to_string()))).await;
    assert_eq!(listed["webhooks"][0]["webhookHandle"], webhook.as_str());
    assert_eq!(listed["webhooks"][0]["events"], json!(["copy.succeeded", "copy.failed"]));
    assert_eq!(listed["webhooks"][0].get("secret"), None, "secrets are only shown when made");
    let shown = app.get_json(200, &format!("{path}/secret")).await;
    assert_eq!(shown["secret"], secret.as_str());

    let updated = call(
        &app,
        200,
        Method::PATCH,
        &path,
        Some(&json!({ "url": "http://127.0.0.1:10/new", "events": [] })),
    )
    .await;
    assert_eq!(updated["url"], "http://127.0.0.1:10/new");
    assert_eq!(updated["events"], json!([]));
    let disabled = app.post_json(200, &format!("{path}/disable"), &json!({})).await;
    assert_eq!(disabled["state"], "disabled");
    let enabled = app.post_json(200, &format!("{path}/enable"), &json!({})).await;
    assert_eq!(enabled["state"], "enabled");
    assert_eq!(enabled["disabledReason"], Value::Null);

    call(&app, 204, Method::DELETE, &path, None).await;
    let gone = app.get_json(404, &path).await;
    assert_eq!(gone["code"], 30001, "{gone}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_companys_endpoint_looks_exactly_like_a_missing_one() {
    let app = crate::spawn_webhook_app(|_| {}).await;
    let (webhook, _) = register(&app, "http://127.0.0.1:9/hook", &[]).await;
    let globex = admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member("bob@globex.example", globex, Role::IpsCompanyAdmin).await;

    let bob = "bob@globex.example";
    let foreign =
        app.request_json_as(404, bob, Method::GET, &format!("/v1/webhooks/{}", encode(&webhook)), None).await;
    let missing = app.request_json_as(404, bob, Method::GET, "/v1/webhooks/w%7C999999", None).await;
    app.request_json_as(404, bob, Method::DELETE, &format!("/v1/webhooks/{}", encode(&webhook)), None).await;

    assert_eq!(foreign["code"], missing["code"]);
    assert_eq!(foreign["reason"].as_str().unwrap().replace(&webhook, "w|999999"), missing["reason"]);
    // Still there for its owner.
    app.get_json(200, &format!("/v1/webhooks/{}", encode(&webhook))).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_get_ips_codes_and_reasons() {
    let app = spawn_app().await;
    let company = app.company.to_string();

    for (body, status, code, reason) in [
        (json!({ "url": "https://hooks.example.com/x" }), 400, 30002, "companyHandle is required"),
        (json!({ "companyHandle": company }), 400, 30002, "url is required"),
        (json!({ "companyHandle": company, "url": "ftp://hooks.example.com/" }), 400, 30001, "http or https"),
        (
            json!({ "companyHandle": company, "url": "https://hooks.example.com/", "events": ["copy.exploded"] }),
            400,
            30001,
            "not an event type",
        ),
        (
            json!({ "companyHandle": "c|999999", "url": "https://hooks.example.com/" }),
            403,
            20000,
            "no access",
        ),
    ] {
        let refused = app.post_json(status, "/v1/webhooks", &body).await;
        assert_eq!(refused["code"], code, "{body}: {refused}");
        assert!(refused["reason"].as_str().unwrap().contains(reason), "{body}: {refused}");
    }
    app.stop().await;
}
