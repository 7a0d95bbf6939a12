//! `POST /v1/imports` from a bucket of the object store: masters read by `s3Key` from a bucket
//! the operator allowed, then copied; what is refused at once; and a retried submit that
//! imports nothing twice.

use serde_json::{Value, json};

use crate::helpers::{TestApp, encode, fixture, spawn_app_with};

/// Puts `fixture_name` into `bucket` of the app's store under `key`.
async fn put_in_bucket(app: &TestApp, bucket: &str, key: &str, fixture_name: &str) {
    let storage = app.running.as_ref().expect("running").storage.in_bucket(bucket);
    storage.ensure_bucket().await.expect("bucket");
    storage.put(key, fixture(fixture_name), "application/octet-stream").await.expect("put");
}

fn s3_item(app: &TestApp, key: &str, name: &str) -> Value {
    json!({ "s3Key": key, "folderHandle": app.folder.to_string(), "name": name })
}

async fn spawn_importing_app() -> TestApp {
    spawn_app_with(|s| s.import.import_s3_buckets = vec!["incoming".into(), "archive".into()]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_read_by_s3_key_from_an_allowed_bucket_becomes_an_asset_that_copies() {
    let app = spawn_importing_app().await;
    put_in_bucket(&app, "incoming", "shoot/rocket.jpg", "rocket.jpg").await;
    put_in_bucket(&app, "archive", "2024/chelsea.png", "chelsea.png").await;
    let mut from_archive = s3_item(&app, "2024/chelsea.png", "chelsea");
    from_archive["s3Bucket"] = json!("archive");
    let body = json!({ "companyHandle": app.company.to_string(), "items": [
        s3_item(&app, "shoot/rocket.jpg", "rocket"),
        from_archive,
        s3_item(&app, "shoot/none.jpg", "none"),
    ]});

    let accepted = app.post_json(202, "/v1/imports", &body).await;
    let mut jobs = Vec::new();
    for item in accepted["items"].as_array().unwrap() {
        jobs.push(app.wait_for_job(item["jobHandle"].as_str().unwrap()).await);
    }
    let rocket = jobs[0]["asset"].clone();
    let (_, content) = app.content(200, rocket["assetHandle"].as_str().unwrap()).await;
    let copy = json!({
        "companyHandle": app.company.to_string(),
        "assetHandle": rocket["assetHandle"],
        "folderHandle": app.folder.to_string(),
        "name": "rocket-small",
        "urlModifier": "wid=100&fmt=png",
    });
    let copy = app.submit(202, &copy).await;
    let copy = app.wait_for_job(copy["jobHandle"].as_str().unwrap()).await;

    assert_eq!(jobs[0]["state"], "succeeded");
    assert_eq!(jobs[0]["sourceUrl"], "s3://incoming/shoot/rocket.jpg");
    assert_eq!(content, fixture("rocket.jpg"));
    assert_eq!(jobs[1]["asset"]["imageInfo"]["format"], "png", "{}", jobs[1]);
    assert_eq!(jobs[2]["error"]["code"], "SourceMissing", "{}", jobs[2]);
    assert!(jobs[2]["error"]["reason"].as_str().unwrap().contains("s3://incoming/shoot/none.jpg"));
    assert_eq!(copy["state"], "succeeded", "{copy}");
    assert_eq!(copy["asset"]["imageInfo"]["width"], 100);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_that_cannot_be_imported_are_refused_at_once_each_with_its_reason() {
    let app = spawn_importing_app().await;
    let other = app.add_unique_company("Other").await.1;
    let mut wrong_bucket = s3_item(&app, "a.jpg", "wrong-bucket");
    wrong_bucket["s3Bucket"] = json!("payroll");
    let mut both = s3_item(&app, "a.jpg", "both");
    both["sourceUrl"] = json!("https://images.example/a.jpg");
    let mut other_folder = s3_item(&app, "a.jpg", "other-folder");
    other_folder["folderHandle"] = json!(other.to_string());
    let body = json!({ "companyHandle": app.company.to_string(), "items": [
        wrong_bucket,
        both,
        json!({ "folderHandle": app.folder.to_string(), "name": "nothing" }),
        other_folder,
        s3_item(&app, "a.jpg", "twice"),
        s3_item(&app, "b.jpg", "twice"),
    ]});

    let accepted = app.post_json(202, "/v1/imports", &body).await;
    let results = accepted["items"].as_array().unwrap();
    let reason = |i: usize| results[i]["reason"].as_str().unwrap_or_default().to_string();

    assert!(reason(0).contains("\"payroll\" is not one imports may read"), "{}", reason(0));
    assert!(reason(1).contains("not both"), "{}", reason(1));
    assert_eq!(results[2]["code"], 30002, "{}", results[2]);
    assert!(reason(3).contains("does not exist in company"), "{}", reason(3));
    assert!(results[4]["jobHandle"].is_string(), "{}", results[4]);
    assert!(reason(5).contains("appears twice"), "{}", reason(5));
    assert_eq!((accepted["acceptedCount"].as_u64(), accepted["rejectedCount"].as_u64()), (Some(1), Some(5)));

    let none = spawn_app_with(|_| {}).await;
    let body = json!({ "companyHandle": none.company.to_string(), "items": [s3_item(&none, "a.jpg", "a")] });
    let refused = none.post_json(202, "/v1/imports", &body).await;
    assert_eq!(refused["importHandle"], Value::Null, "every item refused: nothing written");
    assert!(
        refused["items"][0]["reason"].as_str().unwrap().contains("IPSCOPY_IMPORT_S3_BUCKETS"),
        "{refused}"
    );
    none.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_import_with_its_idempotency_key_gets_the_first_answer_and_imports_once() {
    let app = spawn_importing_app().await;
    put_in_bucket(&app, "incoming", "rocket.jpg", "rocket.jpg").await;
    let body =
        json!({ "companyHandle": app.company.to_string(), "items": [s3_item(&app, "rocket.jpg", "rocket")] });
    let send = || {
        app.http
            .post(format!("{}/v1/imports", app.base))
            .basic_auth(&app.email, Some(crate::helpers::PASSWORD))
            .header("Idempotency-Key", "import-7")
            .json(&body)
    };

    let first = crate::helpers::requests::send_expecting(202, send()).await.json();
    let second = crate::helpers::requests::send_expecting(202, send()).await.json();
    let job = app.wait_for_job(first["items"][0]["jobHandle"].as_str().unwrap()).await;
    let import =
        app.get_json(200, &format!("/v1/imports/{}", encode(first["importHandle"].as_str().unwrap()))).await;

    assert_eq!(first, second);
    assert_eq!(job["state"], "succeeded");
    assert_eq!(import["acceptedCount"], 1);
    assert_eq!(import["counts"]["succeeded"], 1);
    app.stop().await;
}
