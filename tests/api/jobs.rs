use crate::helpers::{encode, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_source_fails_the_job_once_with_a_code_and_reason_and_frees_the_name() {
    let app = spawn_app().await;
    let source = app.add_image("broken", "chelsea-truncated.png").await;

    let accepted = app.submit(202, &app.copy_body(source, "from-broken", "wid=100")).await;
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempts"], 1, "a permanent error is not retried: {job}");
    assert_eq!(job["error"]["code"], "SourceUndecodable");
    assert!(job["error"]["reason"].as_str().unwrap().contains("decoded"), "{job}");
    let asset =
        app.get_json(200, &format!("/v1/assets/{}", encode(accepted["assetHandle"].as_str().unwrap()))).await;
    assert_eq!(asset["state"], "failed");
    app.get_json(409, &format!("/v1/assets/{}/content", encode(job["assetHandle"].as_str().unwrap()))).await;
    // The failed copy gave its name back.
    let good = app.add_image("good", "chelsea.png").await;
    app.submit(202, &app.copy_body(good, "from-broken", "wid=100")).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_reports_its_attempts_timestamps_and_handles() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let accepted = app.submit(202, &app.copy_body(source, "copy", "wid=64")).await;
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["jobHandle"], accepted["jobHandle"]);
    assert!(job["jobHandle"].as_str().unwrap().starts_with(&format!("j|{}||copyImage-", app.company.0)));
    assert_eq!(job["companyHandle"], app.company.to_string());
    assert_eq!(job["sourceAssetHandle"], source.to_string());
    assert_eq!(job["attempts"], 1);
    assert_eq!(job["error"], serde_json::Value::Null);
    let created = job["created"].as_str().unwrap();
    let finished = job["finished"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).unwrap()
            <= chrono::DateTime::parse_from_rfc3339(finished).unwrap()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_malformed_job_handle_is_a_clear_fault() {
    let app = spawn_app().await;

    let missing = app
        .get_json(404, &format!("/v1/jobs/{}", encode(&format!("j|{}||copyImage-77|77", app.company.0))))
        .await;
    assert_eq!(missing["code"], 30001);
    let malformed = app.get_json(400, "/v1/jobs/banana").await;
    assert!(malformed["reason"].as_str().unwrap().contains("\"banana\""));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_reports_ready_once_database_storage_and_broker_answer() {
    let app = spawn_app().await;

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let ready = loop {
        let response = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        if status == 200 || tokio::time::Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };

    assert_eq!(ready.0, 200, "{}", ready.1);
    assert_eq!(
        ready.1,
        serde_json::json!({"ready": true, "database": true, "storage": true, "broker": true})
    );
    let health = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_above_the_configured_pixel_ceiling_fails_with_limit_exceeded() {
    // chelsea.png is 451×300 (135,300 pixels).
    let app = spawn_app_with(|s| s.worker.render_max_pixels = 100_000).await;
    let source = app.add_image("large", "chelsea.png").await;

    let accepted = app.submit(202, &app.copy_body(source, "too-large", "wid=100")).await;
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["attempts"], 1, "a limit is permanent: {job}");
    assert_eq!(job["error"]["code"], "LimitExceeded", "{job}");
    assert!(job["error"]["reason"].as_str().unwrap().contains("100000 pixel"), "{job}");
    app.stop().await;
}
