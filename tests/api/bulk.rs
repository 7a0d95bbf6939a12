//! Bulk submitters: batches, idempotent retries, long-polls and ETags.

use serde_json::{Value, json};

use ipscopy::domain::AssetHandle;

use crate::helpers::{PASSWORD, TestApp, encode, requests::send_expecting, spawn_app};

/// POSTs `body` with an optional `Idempotency-Key`; returns the `Idempotent-Replayed` header and
/// the JSON body.
async fn post(
    app: &TestApp,
    expected: u16,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> (Option<String>, Value) {
    let mut request =
        app.http.post(format!("{}{path}", app.base)).basic_auth(&app.email, Some(PASSWORD)).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let reply = send_expecting(expected, request).await;
    (reply.header("idempotent-replayed"), reply.json())
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&app.pool).await.unwrap()
}

fn item(app: &TestApp, source: &str, name: &str, url_modifier: &str) -> Value {
    json!({ "assetHandle": source, "folderHandle": app.folder.to_string(), "name": name, "urlModifier": url_modifier })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reports_each_item_and_enqueues_only_the_valid_ones() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    let body = json!({
        "companyHandle": app.company.to_string(),
        "items": [
            item(&app, &source, "small", "wid=32"),
            item(&app, "a|424242", "ghost", "wid=32"),
            item(&app, &source, "bad-modifier", "wid=0"),
            item(&app, &source, "small", "wid=64"),
            item(&app, &source, "chelsea", "wid=64"),
            item(&app, &source, "png", "wid=16&fmt=png"),
        ],
    });

    let (_, batch) = post(&app, 202, "/v1/copies/batch", None, &body).await;

    assert_eq!(batch["acceptedCount"], 2);
    assert_eq!(batch["rejectedCount"], 4);
    let items = batch["items"].as_array().unwrap();
    assert!(items[0]["jobHandle"].as_str().unwrap().starts_with("j|"), "{batch}");
    assert!(items[5]["assetHandle"].as_str().unwrap().starts_with("a|"), "{batch}");
    assert_eq!(items[1]["code"], 30001);
    assert!(items[1]["reason"].as_str().unwrap().contains("a|424242"));
    assert!(items[2]["reason"].as_str().unwrap().contains("wid"), "{}", items[2]);
    assert!(items[3]["reason"].as_str().unwrap().contains("twice"), "{}", items[3]);
    assert!(items[4]["reason"].as_str().unwrap().contains("already used"), "{}", items[4]);
    assert_eq!(count(&app, "jobs").await, 2);
    for accepted in [&items[0], &items[5]] {
        let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
        assert_eq!(job["state"], "succeeded", "{job}");
    }
    let status_body =
        app.get_json(200, &format!("/v1/batches/{}", encode(batch["batchHandle"].as_str().unwrap()))).await;
    assert_eq!(status_body["counts"]["succeeded"], 2);
    assert_eq!(status_body["completed"], true);
    assert_eq!(status_body["failedItems"], json!([]));
    app.stop().await;
}

/// Moves an asset to the trash as an IPS client does, with `deleteAsset` over SOAP.
async fn trash(app: &TestApp, asset: AssetHandle) {
    let body = format!(
        r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><deleteAssetParam xmlns="http://www.scene7.com/IpsApi/xsd/2014-04-03"><companyHandle>{}</companyHandle><assetHandle>{asset}</assetHandle></deleteAssetParam></soapenv:Body></soapenv:Envelope>"#,
        app.company
    );
    let response = app
        .http
        .post(format!("{}/scene7/services/IpsApiService", app.base))
        .basic_auth(&app.email, Some(PASSWORD))
        .header("content-type", "text/xml")
        .header("soapaction", "deleteAsset")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let reply = response.text().await.unwrap();
    assert!(status == 200 && reply.contains("deleteAssetReturn"), "{status}: {reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_item_whose_source_is_in_the_trash_gets_the_fault_a_single_copy_of_it_gets() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    trash(&app, source).await;

    let (_, single) =
        post(&app, 400, "/v1/copies", None, &app.copy_body(source, "from-trash", "wid=10")).await;
    let batch_body = json!({
        "companyHandle": app.company.to_string(),
        "items": [item(&app, &source.to_string(), "from-trash", "wid=10")],
    });
    let (_, batch) = post(&app, 202, "/v1/copies/batch", None, &batch_body).await;

    assert_eq!(single["code"], 30001);
    assert!(single["reason"].as_str().unwrap().contains("in the trash; restore it"), "{single}");
    assert_eq!(batch["rejectedCount"], 1);
    assert_eq!(batch["batchHandle"], Value::Null);
    let refused = &batch["items"][0];
    assert_eq!(
        (&refused["code"], &refused["fault"], &refused["reason"]),
        (&single["code"], &single["fault"], &single["reason"]),
        "{batch}"
    );
    assert_eq!(count(&app, "jobs").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_lists_its_failed_items_with_their_errors() {
    let app = spawn_app().await;
    let good = app.add_image("good", "chelsea.png").await.to_string();
    let broken = app.add_image("broken", "chelsea-truncated.png").await.to_string();
    let body = json!({
        "companyHandle": app.company.to_string(),
        "items": [item(&app, &good, "fine", "wid=20"), item(&app, &broken, "doomed", "wid=20")],
    });

    let (_, batch) = post(&app, 202, "/v1/copies/batch", None, &body).await;
    for accepted in batch["items"].as_array().unwrap() {
        app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    }
    let status =
        app.get_json(200, &format!("/v1/batches/{}", encode(batch["batchHandle"].as_str().unwrap()))).await;

    assert_eq!(status["counts"]["succeeded"], 1);
    assert_eq!(status["counts"]["failed"], 1);
    assert_eq!(status["completed"], true);
    assert_eq!(status["failedItems"][0]["name"], "doomed");
    assert_eq!(status["failedItems"][0]["code"], "SourceUndecodable");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_more_than_a_thousand_items_is_refused_whole() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    let items: Vec<Value> = (0..1001).map(|i| item(&app, &source, &format!("n{i}"), "wid=8")).collect();

    let (_, fault) = post(
        &app,
        400,
        "/v1/copies/batch",
        None,
        &json!({"companyHandle": app.company.to_string(), "items": items}),
    )
    .await;

    assert_eq!(fault["code"], 30001);
    assert!(fault["reason"].as_str().unwrap().contains("1000"));
    assert_eq!(count(&app, "jobs").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_with_the_same_key_gets_the_same_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let single = app.copy_body(source, "once", "wid=10");
    let batch = json!({
        "companyHandle": app.company.to_string(),
        "items": [item(&app, &source.to_string(), "batched", "wid=10")],
    });

    let (replay1, first) = post(&app, 202, "/v1/copies", Some("key-1"), &single).await;
    let (replay2, second) = post(&app, 202, "/v1/copies", Some("key-1"), &single).await;
    let (_, first_batch) = post(&app, 202, "/v1/copies/batch", Some("key-2"), &batch).await;
    let (batch_replay, second_batch) = post(&app, 202, "/v1/copies/batch", Some("key-2"), &batch).await;

    assert_eq!((replay1, replay2.as_deref()), (None, Some("true")));
    assert_eq!(first, second);
    assert_eq!(batch_replay.as_deref(), Some("true"));
    assert_eq!(first_batch, second_batch);
    assert_eq!(count(&app, "jobs").await, 2);
    assert_eq!(count(&app, "batches").await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_key_with_another_body_is_a_409_and_a_refused_request_frees_its_key() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    post(&app, 202, "/v1/copies", Some("k"), &app.copy_body(source, "one", "wid=10")).await;
    let (_, fault) = post(&app, 409, "/v1/copies", Some("k"), &app.copy_body(source, "two", "wid=10")).await;
    post(&app, 400, "/v1/copies", Some("k2"), &app.copy_body(source, "bad", "wid=x")).await;
    let (replayed, _) =
        post(&app, 202, "/v1/copies", Some("k2"), &app.copy_body(source, "bad", "wid=10")).await;

    assert!(fault["reason"].as_str().unwrap().contains("different request"));
    assert_eq!(replayed, None);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_returns_as_soon_as_the_job_is_final_and_etags_spare_unchanged_answers() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let (_, accepted) = post(&app, 202, "/v1/copies", None, &app.copy_body(source, "polled", "wid=10")).await;
    let path = format!("{}/v1/jobs/{}", app.base, encode(accepted["jobHandle"].as_str().unwrap()));

    let response =
        app.http.get(format!("{path}?wait=30s")).basic_auth(&app.email, Some(PASSWORD)).send().await.unwrap();

    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["state"], "succeeded", "one long-poll sees the end: {job}");
    let again = app
        .http
        .get(&path)
        .basic_auth(&app.email, Some(PASSWORD))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    app.get_json(400, &format!("/v1/jobs/{}?wait=later", encode(accepted["jobHandle"].as_str().unwrap())))
        .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_companys_large_backlog_does_not_starve_another_companys_single_copy() {
    let app = crate::helpers::spawn_app_with(|s| s.amqp.broker_window = 8).await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    for round in 0..2 {
        let items: Vec<Value> =
            (0..600).map(|i| item(&app, &source, &format!("bulk-{round}-{i}"), "wid=8")).collect();
        post(
            &app,
            202,
            "/v1/copies/batch",
            None,
            &json!({"companyHandle": app.company.to_string(), "items": items}),
        )
        .await;
    }
    let other = ipscopy::admin::add_company(&app.pool, "Globex").await.unwrap();
    let folder = ipscopy::admin::add_folder(&app.pool, other, "/in").await.unwrap();
    app.add_member("hank@globex.example", other, ipscopy::domain::Role::IpsUser).await;
    let storage = &app.running.as_ref().unwrap().storage;
    let theirs = ipscopy::admin::add_image(
        &app.pool,
        storage,
        other,
        &folder,
        "theirs",
        crate::helpers::fixture("chelsea.png"),
    )
    .await
    .unwrap();
    let body = json!({
        "companyHandle": other.to_string(),
        "assetHandle": theirs.to_string(),
        "folderHandle": folder.to_string(),
        "name": "small",
        "urlModifier": "wid=8",
    });

    let accepted = app.submit_as(202, "hank@globex.example", PASSWORD, &body).await;
    let path = format!("/v1/jobs/{}?wait=60s", encode(accepted["jobHandle"].as_str().unwrap()));
    let job = app.get_json_as(200, "hank@globex.example", &path).await;

    assert_eq!(job["state"], "succeeded", "{job}");
    let unfinished: i64 = sqlx::query_scalar(
        "select count(*) from jobs where company_id = $1 and state in ('queued', 'running')",
    )
    .bind(app.company.0)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(unfinished > 900, "Globex's copy waited for {} of Acme's 1200 jobs", 1200 - unfinished);
    let in_broker: i64 = sqlx::query_scalar(
        "select count(*) from jobs where published_at is not null and state in ('queued', 'running')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(in_broker <= 8, "the broker window holds {in_broker} jobs");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_over_its_submit_rate_gets_429_with_retry_after() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.http.company_submit_rate = 1;
        s.http.company_submit_burst = 2;
    })
    .await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    app.submit(202, &app.copy_body(source, "one", "wid=8")).await;
    app.submit(202, &app.copy_body(source, "two", "wid=8")).await;
    let response = app
        .http
        .post(format!("{}/v1/copies", app.base))
        .basic_auth(&app.email, Some(PASSWORD))
        .json(&app.copy_body(source, "three", "wid=8"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let fault: Value = response.json().await.unwrap();
    assert!(fault["reason"].as_str().unwrap().contains("faster than allowed"), "{fault}");
    assert_eq!(count(&app, "jobs").await, 2);
    app.stop().await;
}
