//! Managing endpoints: register, list, read, update, disable, delete; access rules.

use ipscopy::{admin, domain::Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, encode, spawn_app},
    register,
};

async fn call(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    app.request_json_as(&app.email, method, path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_is_registered_listed_updated_disabled_enabled_and_deleted() {
    let app = crate::spawn_webhook_app(|_| {}).await;
    let (webhook, secret) =
        register(&app, "http://127.0.0.1:9/hook", &["copy.succeeded", "copy.failed"]).await;
    let path = format!("/v1/webhooks/{}", encode(&webhook));

    let (status, listed) =
        app.get_json(&format!("/v1/webhooks?companyHandle={}", encode(&app.company.to_string()))).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["webhooks"][0]["webhookHandle"], webhook.as_str());
    assert_eq!(listed["webhooks"][0]["events"], json!(["copy.succeeded", "copy.failed"]));
    assert_eq!(listed["webhooks"][0].get("secret"), None, "secrets are only shown when made");
    let (_, shown) = app.get_json(&format!("{path}/secret")).await;
    assert_eq!(shown["secret"], secret.as_str());

    let (status, updated) =
        call(&app, Method::PATCH, &path, Some(&json!({ "url": "http://127.0.0.1:10/new", "events": [] })))
            .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["url"], "http://127.0.0.1:10/new");
    assert_eq!(updated["events"], json!([]));
    let (_, disabled) = app.post_json(&format!("{path}/disable"), &json!({})).await;
    assert_eq!(disabled["state"], "disabled");
    let (_, enabled) = app.post_json(&format!("{path}/enable"), &json!({})).await;
    assert_eq!(enabled["state"], "enabled");
    assert_eq!(enabled["disabledReason"], Value::Null);

    let (status, _) = call(&app, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, gone) = app.get_json(&path).await;
    assert_eq!((status, gone["code"].clone()), (404, json!(30001)), "{gone}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_companys_endpoint_looks_exactly_like_a_missing_one() {
    let app = crate::spawn_webhook_app(|_| {}).await;
    let (webhook, _) = register(&app, "http://127.0.0.1:9/hook", &[]).await;
    let globex = admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member("bob@globex.example", globex, Role::IpsCompanyAdmin).await;

    let foreign = app
        .request_json_as(
            "bob@globex.example",
            Method::GET,
            &format!("/v1/webhooks/{}", encode(&webhook)),
            None,
        )
        .await;
    let missing =
        app.request_json_as("bob@globex.example", Method::GET, "/v1/webhooks/w%7C999999", None).await;
    let deleted = app
        .request_json_as(
            "bob@globex.example",
            Method::DELETE,
            &format!("/v1/webhooks/{}", encode(&webhook)),
            None,
        )
        .await;

    assert_eq!(foreign.0, 404);
    assert_eq!(foreign.1["code"], missing.1["code"]);
    assert_eq!(foreign.1["reason"].as_str().unwrap().replace(&webhook, "w|999999"), missing.1["reason"]);
    assert_eq!(deleted.0, 404, "{}", deleted.1);
    let (status, _) = app.get_json(&format!("/v1/webhooks/{}", encode(&webhook))).await;
    assert_eq!(status, 200, "still there for its owner");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_get_ips_codes_and_reasons() {
    let app = spawn_app().await;
    let company = app.company.to_string();

    for (body, code, reason) in [
        (json!({ "url": "https://hooks.example.com/x" }), 30002, "companyHandle is required"),
        (json!({ "companyHandle": company }), 30002, "url is required"),
        (json!({ "companyHandle": company, "url": "ftp://hooks.example.com/" }), 30001, "http or https"),
        (
            json!({ "companyHandle": company, "url": "https://hooks.example.com/", "events": ["copy.exploded"] }),
            30001,
            "not an event type",
        ),
        (json!({ "companyHandle": "c|999999", "url": "https://hooks.example.com/" }), 20000, "no access"),
    ] {
        let (status, refused) = app.post_json("/v1/webhooks", &body).await;
        assert!(status >= 400, "{body}: {refused}");
        assert_eq!(refused["code"], code, "{body}: {refused}");
        assert!(refused["reason"].as_str().unwrap().contains(reason), "{body}: {refused}");
    }
    app.stop().await;
}
