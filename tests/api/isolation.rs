//! Tenant isolation over every `/v1` route: a user of Globex tries Acme's assets, folders, jobs,
//! batches and webhooks. Each answer is the documented fault, carries none of Acme's data, and is
//! exactly the answer for a handle that does not exist.

use std::collections::BTreeSet;

use ipscopy::{admin, domain::Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, encode, spawn_app_with};

const HANK: &str = "hank@globex.example";
/// Every Acme name, description and URL holds this, so a leak of any of them shows.
const PRIVATE: &str = "private";

/// One attempt on Acme's handle and its twin on a handle that does not exist.
struct Probe {
    /// The documented route it exercises.
    route: (&'static str, String),
    foreign: (String, Option<Value>),
    missing: (String, Option<Value>),
    /// HTTP status and IPS code both must get.
    expected: (u16, u64),
    /// The part of the answer to compare (batch answers differ in their own handle).
    pick: fn(&Value) -> Value,
}

fn whole(body: &Value) -> Value {
    body.clone()
}

fn first_item(body: &Value) -> Value {
    body["items"][0].clone()
}

/// The answer with every handle the two requests named replaced by one placeholder.
fn masked(body: &Value, handles: &[&str]) -> String {
    let mut text = body.to_string();
    for handle in handles {
        text = text.replace(handle, "<handle>");
    }
    text
}

/// Acme's things, made by its own user.
struct Acme {
    asset: String,
    job: String,
    batch: String,
    import: String,
    hook: String,
    message: String,
    secret: String,
    folder: String,
}

async fn acme(app: &TestApp) -> Acme {
    let source = app.add_image("private-source", "chelsea.png").await;
    let copy = app.submit(202, &app.copy_body(source, "private-copy", "wid=8")).await;
    let item = json!({"assetHandle": source.to_string(), "folderHandle": app.folder.to_string(),
                      "name": "private-batch-copy", "urlModifier": "wid=8"});
    let batch = app
        .post_json(
            202,
            "/v1/copies/batch",
            &json!({"companyHandle": app.company.to_string(), "items": [item]}),
        )
        .await;
    let import = app
        .post_json(
            202,
            "/v1/imports",
            &json!({"companyHandle": app.company.to_string(), "items": [{"sourceUrl": "https://private.invalid/a.jpg",
                    "folderHandle": app.folder.to_string(), "name": "private-import"}]}),
        )
        .await;
    let hook = app
        .post_json(
            201,
            "/v1/webhooks",
            &json!({"companyHandle": app.company.to_string(), "url": "http://127.0.0.1:9/private-hook",
                    "description": "private hook"}),
        )
        .await;
    let hook_handle = hook["webhookHandle"].as_str().expect("Acme's endpoint").to_string();
    let test = app.post_json(202, &format!("/v1/webhooks/{}/test", encode(&hook_handle)), &json!({})).await;
    Acme {
        asset: copy["assetHandle"].as_str().expect("Acme's copy").to_string(),
        job: copy["jobHandle"].as_str().unwrap().to_string(),
        batch: batch["batchHandle"].as_str().expect("Acme's batch").to_string(),
        import: import["importHandle"].as_str().expect("Acme's import").to_string(),
        hook: hook_handle,
        message: test["messageId"].as_str().expect("Acme's message").to_string(),
        secret: hook["secret"].as_str().unwrap().to_string(),
        folder: app.folder.to_string(),
    }
}

fn probes(
    app: &TestApp,
    acme: &Acme,
    globex: &str,
    hank_source: &str,
    hank_folder: &str,
    hank_hook: &str,
) -> Vec<Probe> {
    let acme_company = app.company.to_string();
    let missing_company = "c|999999";
    let missing_asset = "a|999999|1|999999";
    let missing_job = format!("j|{}||copyImage-999999|999999", app.company.0);
    let missing_batch = format!("b|{}|999999", app.company.0);
    let missing_hook = "w|999999";
    let missing_message = "msg_00000000000000000000000000000000";
    let copy = |company: &str, asset: &str, folder: &str| json!({"companyHandle": company, "assetHandle": asset, "folderHandle": folder, "name": "stolen", "urlModifier": ""});
    let batch = |company: &str, asset: &str, folder: &str| json!({"companyHandle": company, "items": [{"assetHandle": asset, "folderHandle": folder, "name": "stolen", "urlModifier": ""}]});
    let import = |company: &str, folder: &str| json!({"companyHandle": company, "items": [{"sourceUrl": "https://images.example/a.jpg", "folderHandle": folder, "name": "stolen"}]});
    let upload = |company: &str, folder: &str| {
        format!("/v1/assets?companyHandle={}&folderHandle={}&name=stolen", encode(company), encode(folder))
    };
    let hook_body = |company: &str| json!({"companyHandle": company, "url": "http://127.0.0.1:9/stolen"});
    let hook_path = |hook: &str, rest: &str| format!("/v1/webhooks/{}{rest}", encode(hook));
    let (foreign_hook, no_hook) = (acme.hook.as_str(), missing_hook);
    let mut probes = vec![
        Probe {
            route: ("post", "/v1/copies".into()),
            foreign: ("/v1/copies".into(), Some(copy(&acme_company, &acme.asset, &acme.folder))),
            missing: ("/v1/copies".into(), Some(copy(missing_company, &acme.asset, &acme.folder))),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/copies".into()),
            foreign: ("/v1/copies".into(), Some(copy(globex, &acme.asset, hank_folder))),
            missing: ("/v1/copies".into(), Some(copy(globex, missing_asset, hank_folder))),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/copies".into()),
            foreign: ("/v1/copies".into(), Some(copy(globex, hank_source, &acme.folder))),
            missing: ("/v1/copies".into(), Some(copy(globex, hank_source, "Acme/nowhere/"))),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/copies/batch".into()),
            foreign: ("/v1/copies/batch".into(), Some(batch(&acme_company, &acme.asset, &acme.folder))),
            missing: ("/v1/copies/batch".into(), Some(batch(missing_company, &acme.asset, &acme.folder))),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/copies/batch".into()),
            foreign: ("/v1/copies/batch".into(), Some(batch(globex, &acme.asset, hank_folder))),
            missing: ("/v1/copies/batch".into(), Some(batch(globex, missing_asset, hank_folder))),
            // The batch is accepted; its one item is refused.
            expected: (202, 30001),
            pick: first_item,
        },
        Probe {
            route: ("get", "/v1/batches/{batch_handle}".into()),
            foreign: (format!("/v1/batches/{}", encode(&acme.batch)), None),
            missing: (format!("/v1/batches/{}", encode(&missing_batch)), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("get", "/v1/jobs/{job_handle}".into()),
            foreign: (format!("/v1/jobs/{}?wait=1s", encode(&acme.job)), None),
            missing: (format!("/v1/jobs/{}?wait=1s", encode(&missing_job)), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/jobs/{job_handle}/cancel".into()),
            foreign: (format!("/v1/jobs/{}/cancel", encode(&acme.job)), None),
            missing: (format!("/v1/jobs/{}/cancel", encode(&missing_job)), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/imports".into()),
            foreign: ("/v1/imports".into(), Some(import(&acme_company, &acme.folder))),
            missing: ("/v1/imports".into(), Some(import(missing_company, &acme.folder))),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/imports".into()),
            foreign: ("/v1/imports".into(), Some(import(globex, &acme.folder))),
            missing: ("/v1/imports".into(), Some(import(globex, "Acme/nowhere/"))),
            // The import is accepted; its one item is refused.
            expected: (202, 30001),
            pick: first_item,
        },
        Probe {
            route: ("get", "/v1/imports/{import_handle}".into()),
            foreign: (format!("/v1/imports/{}", encode(&acme.import)), None),
            missing: (format!("/v1/imports/{}", encode(&missing_batch)), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/folders".into()),
            foreign: (
                "/v1/folders".into(),
                Some(
                    json!({"companyHandle": &acme_company, "folderHandle": format!("{}stolen/", acme.folder)}),
                ),
            ),
            missing: (
                "/v1/folders".into(),
                Some(
                    json!({"companyHandle": missing_company, "folderHandle": format!("{}stolen/", acme.folder)}),
                ),
            ),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/folders".into()),
            foreign: (
                "/v1/folders".into(),
                Some(json!({"companyHandle": globex, "folderHandle": format!("{}stolen/", acme.folder)})),
            ),
            missing: (
                "/v1/folders".into(),
                Some(json!({"companyHandle": globex, "folderHandle": "Acme/nowhere/stolen/"})),
            ),
            expected: (404, 30001),
            pick: whole,
        },
        // Uploads are refused before their body is read: the probes send none.
        Probe {
            route: ("post", "/v1/assets".into()),
            foreign: (upload(&acme_company, &acme.folder), None),
            missing: (upload(missing_company, &acme.folder), None),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/assets".into()),
            foreign: (upload(globex, &acme.folder), None),
            missing: (upload(globex, "Acme/nowhere/"), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("get", "/v1/assets/{asset_handle}".into()),
            foreign: (format!("/v1/assets/{}", encode(&acme.asset)), None),
            missing: (format!("/v1/assets/{}", encode(missing_asset)), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("get", "/v1/assets/{asset_handle}/content".into()),
            foreign: (format!("/v1/assets/{}/content", encode(&acme.asset)), None),
            missing: (format!("/v1/assets/{}/content", encode(missing_asset)), None),
            expected: (404, 30001),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/webhooks".into()),
            foreign: ("/v1/webhooks".into(), Some(hook_body(&acme_company))),
            missing: ("/v1/webhooks".into(), Some(hook_body(missing_company))),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("get", "/v1/webhooks".into()),
            foreign: (format!("/v1/webhooks?companyHandle={}", encode(&acme_company)), None),
            missing: (format!("/v1/webhooks?companyHandle={}", encode(missing_company)), None),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/webhooks/callback".into()),
            foreign: ("/v1/webhooks/callback".into(), Some(json!({"companyHandle": acme_company}))),
            missing: ("/v1/webhooks/callback".into(), Some(json!({"companyHandle": missing_company}))),
            expected: (403, 20000),
            pick: whole,
        },
        Probe {
            route: ("post", "/v1/webhooks/{webhook_handle}/messages/{message_id}/resend".into()),
            foreign: (hook_path(foreign_hook, &format!("/messages/{}/resend", acme.message)), None),
            missing: (hook_path(no_hook, &format!("/messages/{}/resend", acme.message)), None),
            expected: (404, 30001),
            pick: whole,
        },
        // Globex's own endpoint with Acme's message: not Acme's delivery log either.
        Probe {
            route: ("post", "/v1/webhooks/{webhook_handle}/messages/{message_id}/resend".into()),
            foreign: (hook_path(hank_hook, &format!("/messages/{}/resend", acme.message)), None),
            missing: (hook_path(hank_hook, &format!("/messages/{missing_message}/resend")), None),
            expected: (404, 30001),
            pick: whole,
        },
    ];
    let since = json!({"since": "2000-01-01T00:00:00Z"});
    for (method, rest, body) in [
        ("get", "", None),
        ("patch", "", Some(json!({"description": "stolen"}))),
        ("delete", "", None),
        ("post", "/disable", None),
        ("post", "/enable", None),
        ("get", "/secret", None),
        ("post", "/rotate-secret", Some(json!({}))),
        ("get", "/messages", None),
        ("get", "/attempts", None),
        ("post", "/recover", Some(since.clone())),
        ("post", "/test", None),
    ] {
        probes.push(Probe {
            route: (method, format!("/v1/webhooks/{{webhook_handle}}{rest}")),
            foreign: (hook_path(foreign_hook, rest), body.clone()),
            missing: (hook_path(no_hook, rest), body),
            expected: (404, 30001),
            pick: whole,
        });
    }
    probes
}

async fn call(app: &TestApp, expected: u16, method: &str, (path, body): &(String, Option<Value>)) -> Value {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    app.request_json_as(expected, HANK, method, path, body.as_ref()).await
}

fn documented_routes() -> BTreeSet<(String, String)> {
    let document = serde_json::to_value(ipscopy::http::openapi::document()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        // Operators' figures: for IpsAdmin users only here (tests/ops/operators.rs).
        if path.starts_with("/v1/queues") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v1_route_answers_another_companys_handles_exactly_like_missing_ones() {
    let app =
        spawn_app_with(|s| s.webhook.webhook_allowed_networks = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let acme = acme(&app).await;
    let globex = admin::add_company(&app.pool, "Globex").await.unwrap();
    let globex_folder = admin::add_folder(&app.pool, globex, "/copies").await.unwrap();
    app.add_member(HANK, globex, Role::IpsCompanyAdmin).await;
    let hank_source = app.add_image_in(globex, &globex_folder, "hank-source", "chelsea.png").await;
    let hank_hook = app
        .request_json_as(
            201,
            HANK,
            Method::POST,
            "/v1/webhooks",
            Some(&json!({"companyHandle": globex.to_string(), "url": "http://127.0.0.1:9/hank"})),
        )
        .await;
    let hank_hook = hank_hook["webhookHandle"].as_str().expect("Globex's endpoint").to_string();
    let probes = probes(
        &app,
        &acme,
        &globex.to_string(),
        &hank_source.to_string(),
        &globex_folder.to_string(),
        &hank_hook,
    );

    let covered: BTreeSet<_> = probes.iter().map(|p| (p.route.0.to_string(), p.route.1.clone())).collect();
    assert_eq!(covered, documented_routes(), "every documented /v1 route has a probe");
    for probe in &probes {
        let what = format!("{} {}", probe.route.0.to_uppercase(), probe.foreign.0);
        let (status, code) = probe.expected;
        let answer = call(&app, status, probe.route.0, &probe.foreign).await;
        let missing_answer = call(&app, status, probe.route.0, &probe.missing).await;
        let (answer, missing_answer) = ((probe.pick)(&answer), (probe.pick)(&missing_answer));

        assert_eq!(answer["code"].as_u64(), Some(code), "{what}: {answer}");
        assert!(!answer.to_string().contains(PRIVATE), "{what} shows Acme's data: {answer}");
        assert!(!answer.to_string().contains(&acme.secret), "{what} shows Acme's secret");
        let mut names = named_in(&probe.foreign);
        names.extend(named_in(&probe.missing));
        names.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            masked(&answer, &names),
            masked(&missing_answer, &names),
            "{what}: another company's handle must look exactly like a missing one"
        );
    }

    let hook = app.get_json(200, &format!("/v1/webhooks/{}", encode(&acme.hook))).await;
    let secret = app.get_json(200, &format!("/v1/webhooks/{}/secret", encode(&acme.hook))).await;
    let job = app.wait_for_job(&acme.job).await;
    assert_eq!(
        (hook["state"].as_str(), hook["description"].as_str()),
        (Some("enabled"), Some("private hook"))
    );
    assert_eq!(secret["secret"].as_str(), Some(acme.secret.as_str()), "Acme's secret was not rotated");
    assert_eq!(job["state"], "succeeded", "Acme's copy was not cancelled");
    app.stop().await;
}

/// The handles, message ids and folder paths a request names, in its path, query or body.
fn named_in((path, body): &(String, Option<Value>)) -> Vec<String> {
    let in_path = path.split(['/', '?', '=', '&']).map(|part| part.replace("%7C", "|").replace("%2F", "/"));
    let in_body = body.iter().flat_map(strings_in);
    in_path.chain(in_body).filter(|s| s.contains('|') || s.starts_with("msg_") || s.ends_with('/')).collect()
}

/// Every string value in a JSON document.
fn strings_in(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings_in).collect(),
        Value::Object(fields) => fields.values().flat_map(strings_in).collect(),
        _ => Vec::new(),
    }
}
