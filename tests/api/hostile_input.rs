//! Names, folder paths and handles built to be interpreted — traversal, NUL and control
//! characters, SQL, huge strings, bytes that are not UTF-8 — sent over HTTP: each is refused with
//! its fault before anything is written, or stored exactly as sent, never interpreted.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, encode, spawn_app};

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&app.pool).await.unwrap()
}

/// POSTs raw bytes as a JSON copy request.
async fn post_raw(app: &TestApp, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/v1/copies", app.base))
        .basic_auth(&app.email, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_and_folder_paths_are_refused_with_30001_before_anything_is_written() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let long = "x".repeat(100_000);
    let names = [
        "../etc/passwd",
        "a/b",
        "a\\b",
        "..",
        ".",
        "nul\0byte",
        "bell\u{7}",
        "line\nbreak",
        " padded",
        &long,
    ];
    let folders = [
        "Acme/copies/../../",
        "Acme/../Globex/",
        "../../etc/",
        "/etc/",
        "Acme/co\0pies/",
        "Acme/copies\r\n/",
        "Acme/copies",
        &"x/".repeat(600),
    ];
    let assets_before = count(&app, "assets").await;

    let mut answers = Vec::new();
    for name in names {
        answers.push((format!("name {name:.40?}"), app.submit(400, &app.copy_body(source, name, "")).await));
    }
    for folder in folders {
        let mut body = app.copy_body(source, "fine-name", "");
        body["folderHandle"] = json!(folder);
        answers.push((format!("folderHandle {folder:.40?}"), app.submit(400, &body).await));
    }

    for (what, fault) in &answers {
        assert_eq!(fault["code"], 30001, "{what}: {fault}");
        assert!(fault["reason"].as_str().is_some_and(|r| !r.is_empty()), "{what}: {fault}");
    }
    assert_eq!(count(&app, "assets").await, assets_before);
    assert_eq!(count(&app, "jobs").await, 0);
    assert_eq!(count(&app, "outbox").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_full_of_sql_quotes_and_unicode_are_stored_exactly_as_sent_under_keys_made_of_ids() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let names = [
        "Robert'); drop table assets;--",
        "' or '1'='1",
        "$$; select pg_sleep(30); $$",
        "100% _off_ \"quoted\" `tick`",
        "Ünïcode 写真 🙂",
        "...",
        "%00%2e%2e%2f",
    ];

    let mut stored = Vec::new();
    for name in names {
        let accepted = app.submit(202, &app.copy_body(source, name, "wid=8")).await;
        let asset = accepted["assetHandle"].as_str().unwrap().to_string();
        app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
        stored.push((name, app.get_json(200, &format!("/v1/assets/{}", encode(&asset))).await));
    }

    for (name, asset) in &stored {
        assert_eq!(asset["name"].as_str(), Some(*name), "{asset}");
    }
    assert_eq!(count(&app, "assets").await, 1 + names.len() as i64, "the assets table is intact");
    let storage = &app.running.as_ref().unwrap().storage;
    let keys = storage.list_keys("").await.unwrap();
    assert_eq!(keys.len(), 1 + names.len());
    for key in &keys {
        let parts: Vec<&str> = key.split('/').collect();
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        assert!(
            parts.len() == 4
                && parts[0] == "companies"
                && numeric(parts[1])
                && parts[2] == "assets"
                && numeric(parts[3]),
            "{key} is not made of ids alone"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_utf8_huge_bodies_and_traversal_in_handles_get_a_fault_with_code_and_reason() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let mut body = serde_json::to_vec(&app.copy_body(source, "NAME", "")).unwrap();
    let at = body.windows(4).position(|w| w == b"NAME").unwrap();
    body.splice(at..at + 4, *b"\xff\xfe\x00x");

    let (json_status, json_fault) = post_raw(&app, body).await;
    let huge_fault = app.submit(413, &app.copy_body(source, &"x".repeat(2 << 20), "")).await;
    let mut answers = Vec::new();
    for path in [
        "/v1/assets/%FF%FE",
        "/v1/assets/..%2F..%2Fetc%2Fpasswd",
        "/v1/jobs/j%7C1%7C%7C..%2F..%7C1",
        "/v1/batches/b%7C1%7C1%00",
        "/v1/webhooks/w%7C1'%20or%201=1",
        "/v1/webhooks/w%7C1/messages?limit=%FF",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .basic_auth(&app.email, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        answers.push((path, (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)))));
    }

    assert_eq!((json_status, &json_fault["code"]), (400, &json!(30003)), "{json_fault}");
    assert_eq!(huge_fault["code"], 30001, "{huge_fault}");
    for (path, (status, fault)) in &answers {
        assert!(matches!(status, 400 | 404), "{path}: {status} {fault}");
        assert_eq!(fault["code"], 30001, "{path}: {fault}");
        assert_eq!(fault["fault"], "ipsApiFault", "{path}: {fault}");
    }
    assert_eq!(count(&app, "jobs").await, 0);
    app.stop().await;
}
