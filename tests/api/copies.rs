use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_copy_is_rendered_at_the_asked_size_and_served_as_png() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let accepted = app.submit(202, &app.copy_body(source, "chelsea-small", "wid=200&fmt=png")).await;

    assert_eq!(accepted["state"], "queued");
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["assetHandle"], accepted["assetHandle"]);
    // 451x300 scaled to 200 wide keeps its aspect: 300 * 200 / 451 = 133.04.
    assert_eq!(job["asset"]["imageInfo"]["width"], 200);
    assert_eq!(job["asset"]["imageInfo"]["height"], 133);
    assert_eq!(job["asset"]["imageInfo"]["format"], "png");
    assert_eq!(job["asset"]["state"], "ready");
    let (content_type, bytes) = app.content(200, accepted["assetHandle"].as_str().unwrap()).await;
    assert_eq!(content_type, "image/png");
    assert_eq!(job["asset"]["imageInfo"]["fileSize"], bytes.len());
    let copy =
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).expect("the copy decodes");
    assert_eq!((copy.width(), copy.height()), (200, 133));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jpeg_copy_honours_height_and_quality() {
    let app = spawn_app().await;
    let source = app.add_image("rocket", "rocket.jpg").await;

    let low = app.submit(202, &app.copy_body(source, "rocket-q20", "hei=100&qlt=20")).await;
    let high = app.submit(202, &app.copy_body(source, "rocket-q95", "HEI=100&fmt=jpeg&qlt=95")).await;

    let low_job = app.wait_for_job(low["jobHandle"].as_str().unwrap()).await;
    let high_job = app.wait_for_job(high["jobHandle"].as_str().unwrap()).await;
    for job in [&low_job, &high_job] {
        assert_eq!(job["state"], "succeeded", "{job}");
        // 640x427 scaled to 100 high: 640 * 100 / 427 = 149.88.
        assert_eq!(job["asset"]["imageInfo"]["width"], 150);
        assert_eq!(job["asset"]["imageInfo"]["height"], 100);
        assert_eq!(job["asset"]["imageInfo"]["format"], "jpeg");
    }
    let (content_type, low_bytes) = app.content(200, low["assetHandle"].as_str().unwrap()).await;
    let (_, high_bytes) = app.content(200, high["assetHandle"].as_str().unwrap()).await;
    assert_eq!(content_type, "image/jpeg");
    assert!(
        low_bytes.len() < high_bytes.len(),
        "q20 {} bytes vs q95 {} bytes",
        low_bytes.len(),
        high_bytes.len()
    );
    let decoded = image::load_from_memory_with_format(&low_bytes, image::ImageFormat::Jpeg).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (150, 100));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_asset_is_visible_as_pending_at_once_with_the_ips_field_names() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let accepted = app.submit(202, &app.copy_body(source, "chelsea-copy", "wid=50")).await;
    let asset_handle = accepted["assetHandle"].as_str().unwrap();
    let asset = app.get_json(200, &format!("/v1/assets/{}", crate::helpers::encode(asset_handle))).await;

    assert_eq!(asset["assetHandle"], asset_handle);
    assert_eq!(asset["type"], "Image");
    assert_eq!(asset["name"], "chelsea-copy");
    assert_eq!(asset["folderHandle"], "Acme/copies/");
    assert_eq!(asset["imageInfo"]["urlModifier"], "wid=50");
    assert_eq!(asset["imageInfo"]["sourceAssetHandle"], source.to_string());
    assert!(matches!(asset["state"].as_str(), Some("pending" | "ready")), "{asset}");
    app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_source_asset_is_refused_with_30001_and_nothing_is_reserved() {
    let app = spawn_app().await;

    let missing = ipscopy::domain::AssetHandle::new(app.company.0, 999);
    let fault = app.submit(404, &app.copy_body(missing, "x", "wid=10")).await;

    assert_eq!(fault["code"], 30001);
    assert_eq!(fault["fault"], "ipsApiFault");
    assert_eq!(
        fault["reason"],
        format!("asset a|{}|1|999 does not exist in company {}", app.company.0, app.company)
    );
    let reserved: i64 = sqlx::query_scalar("select count(*) from assets").fetch_one(&app.pool).await.unwrap();
    assert_eq!(reserved, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_folder_is_refused_with_30001() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let mut body = app.copy_body(source, "x", "wid=10");
    body["folderHandle"] = json!("Acme/nowhere/");

    let fault = app.submit(404, &body).await;

    assert_eq!(fault["code"], 30001);
    assert!(fault["reason"].as_str().unwrap().contains("Acme/nowhere/"), "{fault}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_already_used_in_the_company_is_a_409_with_ips_code_30000() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    app.submit(202, &app.copy_body(source, "twin", "wid=10")).await;
    let fault = app.submit(409, &app.copy_body(source, "twin", "wid=20")).await;
    app.submit(409, &app.copy_body(source, "chelsea", "wid=20")).await;

    // The code IPS gives a name in use (a real capture), whichever front is asked.
    assert_eq!(fault["code"], 30000);
    assert!(fault["reason"].as_str().unwrap().contains("\"twin\""), "{fault}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_url_modifier_is_refused_before_anything_is_enqueued() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let fault = app.submit(400, &app.copy_body(source, "bad", "wid=-5&fmt=png")).await;

    assert_eq!(fault["code"], 30001);
    let reason = fault["reason"].as_str().unwrap();
    assert!(reason.contains("urlModifier") && reason.contains("wid"), "{reason}");
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(jobs, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_fields_are_refused_with_30002_naming_the_field() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let mut body = app.copy_body(source, "x", "");
    body.as_object_mut().unwrap().remove("folderHandle");

    let fault = app.submit(400, &body).await;

    assert_eq!(fault["code"], 30002);
    assert_eq!(fault["reason"], "folderHandle is required");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_refused_with_30003() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(format!("{}/v1/copies", app.base))
        .basic_auth(&app.email, Some(crate::helpers::PASSWORD))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 400);
    let fault: serde_json::Value = response.json().await.unwrap();
    assert_eq!(fault["code"], 30003);
    app.stop().await;
}
