//! `POST /v1/assets`: masters brought in over HTTP, raw or as a multipart part, then copied;
//! and every way a body can be refused, with nothing kept.

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{
    PASSWORD, TestApp, encode, fixture, pixel_bomb,
    requests::{Reply, send_expecting},
    spawn_app, spawn_app_with,
};

/// The upload URL for the test company and folder under `name`.
fn upload_url(app: &TestApp, name: &str, overwrite: bool) -> String {
    format!(
        "{}/v1/assets?companyHandle={}&folderHandle={}&name={name}&overwrite={overwrite}",
        app.base,
        encode(&app.company.to_string()),
        encode(&app.folder.to_string())
    )
}

/// POSTs `bytes` as the raw body of an upload named `name`.
async fn upload_raw(app: &TestApp, expected: u16, name: &str, bytes: Vec<u8>, overwrite: bool) -> Reply {
    let request = app
        .http
        .post(upload_url(app, name, overwrite))
        .basic_auth(&app.email, Some(PASSWORD))
        .header("content-type", "application/octet-stream")
        .body(bytes);
    send_expecting(expected, request).await
}

/// The keys the store holds for the test company.
async fn stored_keys(app: &TestApp) -> Vec<String> {
    let storage = &app.running.as_ref().expect("running").storage;
    storage.list_keys(&format!("companies/{}/", app.company.0)).await.expect("listing")
}

/// Copies `asset` at `wid=100` and waits for the job.
async fn copy_of(app: &TestApp, asset: &Value, name: &str) -> Value {
    let body = serde_json::json!({
        "companyHandle": app.company.to_string(),
        "assetHandle": asset["assetHandle"],
        "folderHandle": app.folder.to_string(),
        "name": name,
        "urlModifier": "wid=100&fmt=png",
    });
    let accepted = app.submit(202, &body).await;
    app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_as_the_body_becomes_a_ready_asset_that_copies() {
    let app = spawn_app().await;
    let photo = fixture("rocket.jpg");

    let reply = upload_raw(&app, 201, "rocket", photo.clone(), false).await;
    let asset = reply.json();
    let copy = copy_of(&app, &asset, "rocket-small").await;
    let (content_type, stored) = app.content(200, asset["assetHandle"].as_str().unwrap()).await;

    assert_eq!(asset["state"], "ready");
    assert_eq!(asset["version"], 1);
    assert_eq!(asset["folderHandle"], app.folder.to_string());
    assert_eq!(
        (&asset["imageInfo"]["width"], &asset["imageInfo"]["height"], &asset["imageInfo"]["format"]),
        (&Value::from(640), &Value::from(427), &Value::from("jpeg"))
    );
    assert_eq!(asset["imageInfo"]["fileSize"], photo.len());
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("/v1/assets/{}", asset["assetHandle"].as_str().unwrap()).as_str())
    );
    assert_eq!((content_type.as_str(), stored), ("image/jpeg", photo));
    assert_eq!(copy["state"], "succeeded", "{copy}");
    assert_eq!(copy["asset"]["imageInfo"]["width"], 100);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_as_a_multipart_part_takes_its_fields_from_the_form_and_its_name_from_the_file() {
    let app = spawn_app().await;
    let form = Form::new()
        .text("companyHandle", app.company.to_string())
        .text("folderHandle", app.folder.to_string())
        .part(
            "file",
            Part::bytes(fixture("chelsea.png")).file_name("chelsea.png").mime_str("image/png").unwrap(),
        );
    let request = app
        .http
        .post(format!("{}/v1/assets", app.base))
        .basic_auth(&app.email, Some(PASSWORD))
        .multipart(form);

    let asset = send_expecting(201, request).await.json();
    let copy = copy_of(&app, &asset, "chelsea-small").await;

    assert_eq!(asset["name"], "chelsea");
    assert_eq!(
        (&asset["imageInfo"]["width"], &asset["imageInfo"]["format"]),
        (&Value::from(451), &Value::from("png"))
    );
    assert_eq!(copy["state"], "succeeded", "{copy}");
    assert_eq!(copy["asset"]["imageInfo"]["height"], 67);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overwrite_gives_the_asset_a_new_master_and_version_while_earlier_copies_stay_as_they_were() {
    let app = spawn_app().await;
    let first = upload_raw(&app, 201, "master", fixture("chelsea.png"), false).await.json();
    let copy = copy_of(&app, &first, "from-v1").await;

    let refused = upload_raw(&app, 409, "master", fixture("rocket.jpg"), false).await.json();
    let replaced = upload_raw(&app, 200, "master", fixture("rocket.jpg"), true).await.json();
    let (_, content) = app.content(200, first["assetHandle"].as_str().unwrap()).await;
    let (_, copied) = app.content(200, copy["assetHandle"].as_str().unwrap()).await;
    let keys = stored_keys(&app).await;

    assert!(refused["reason"].as_str().unwrap().contains("overwrite=true"), "{refused}");
    assert_eq!(replaced["assetHandle"], first["assetHandle"]);
    assert_eq!(
        (&replaced["version"], &replaced["imageInfo"]["format"]),
        (&Value::from(2), &Value::from("jpeg"))
    );
    assert_eq!(content, fixture("rocket.jpg"), "every read shows the new master");
    let copied = image::load_from_memory(&copied).expect("the copy decodes");
    assert_eq!((copied.width(), copied.height()), (100, 67), "the copy of the first master is unchanged");
    assert_eq!(keys.len(), 2, "the new master and the copy; the old master's object is gone: {keys:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_whole_images_are_refused_with_a_reason_and_nothing_is_kept() {
    let app = spawn_app_with(|s| s.http.upload_max_bytes = 200_000).await;
    let bomb = pixel_bomb();
    let mut jpeg = fixture("rocket.jpg");
    jpeg.truncate(jpeg.len() / 2);

    let text = upload_raw(&app, 400, "text", b"this is not an image".to_vec(), false).await.json();
    let truncated_png =
        upload_raw(&app, 400, "cut-png", fixture("chelsea-truncated.png"), false).await.json();
    let truncated_jpeg = upload_raw(&app, 400, "cut-jpeg", jpeg, false).await.json();
    let bomb = upload_raw(&app, 400, "bomb", bomb, false).await.json();
    let empty = upload_raw(&app, 400, "empty", Vec::new(), false).await.json();
    let too_large = upload_raw(&app, 413, "large", fixture("chelsea.png"), false).await.json();
    let keys = stored_keys(&app).await;
    // Every refused name is free again.
    let retry = upload_raw(&app, 201, "cut-jpeg", fixture("rocket.jpg"), false).await.json();

    for refused in [&text, &truncated_png, &truncated_jpeg, &bomb, &empty, &too_large] {
        assert_eq!(refused["fault"], "ipsApiFault", "{refused}");
    }
    assert!(text["reason"].as_str().unwrap().contains("not a JPEG, PNG"), "{text}");
    assert!(truncated_png["reason"].as_str().unwrap().contains("truncated"), "{truncated_png}");
    assert!(truncated_jpeg["reason"].as_str().unwrap().contains("truncated"), "{truncated_jpeg}");
    assert!(bomb["reason"].as_str().unwrap().contains("100000×100000"), "{bomb}");
    assert_eq!(empty["code"], 30002, "{empty}");
    assert!(too_large["reason"].as_str().unwrap().contains("200000 bytes"), "{too_large}");
    assert!(keys.is_empty(), "nothing refused was stored: {keys:?}");
    assert_eq!(retry["state"], "ready");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_into_another_companys_folder_or_without_its_fields_is_refused() {
    let app = spawn_app().await;
    // A company the test user is not a member of.
    let other = ipscopy::admin::add_company(&app.pool, "Elsewhere").await.expect("company");
    let other_folder = ipscopy::admin::add_folder(&app.pool, other, "/copies").await.expect("folder");
    let photo = fixture("chelsea.png");
    let url = |company: String, folder: String| {
        format!(
            "{}/v1/assets?companyHandle={}&folderHandle={}&name=x",
            app.base,
            encode(&company),
            encode(&folder)
        )
    };
    let post = |url: String| app.http.post(url).basic_auth(&app.email, Some(PASSWORD)).body(photo.clone());

    let foreign_company =
        send_expecting(403, post(url(other.to_string(), other_folder.to_string()))).await.json();
    let foreign_folder =
        send_expecting(404, post(url(app.company.to_string(), other_folder.to_string()))).await.json();
    let no_name = send_expecting(
        400,
        post(format!(
            "{}/v1/assets?companyHandle={}&folderHandle={}",
            app.base,
            encode(&app.company.to_string()),
            encode(&app.folder.to_string())
        )),
    )
    .await
    .json();

    assert_eq!(foreign_company["code"], 20000, "{foreign_company}");
    assert!(
        foreign_folder["reason"].as_str().unwrap().contains(&other_folder.to_string()),
        "{foreign_folder}"
    );
    assert_eq!(
        (&no_name["code"], &no_name["reason"]),
        (&Value::from(30002), &Value::from("name is required"))
    );
    assert!(stored_keys(&app).await.is_empty());
    app.stop().await;
}

/// A PNG of noise, which does not compress: `width × height × 3` bytes and a little more.
fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_F491_u32;
    let pixels = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    pixels.write_to(&mut out, image::ImageFormat::Png).expect("a PNG");
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_larger_than_a_store_part_streams_in_whole_and_copies() {
    let app = spawn_app().await;
    let photo = noise_png(2400, 1600);
    assert!(photo.len() > ipscopy::storage::PART_SIZE, "the master spans more than one part");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        photo.chunks(100_000).map(|c| Ok(c.to_vec())).collect();
    let request = app
        .http
        .post(upload_url(&app, "noise", false))
        .basic_auth(&app.email, Some(PASSWORD))
        .header("content-type", "image/png")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));

    let asset = send_expecting(201, request).await.json();
    let copy = copy_of(&app, &asset, "noise-small").await;
    let (_, stored) = app.content(200, asset["assetHandle"].as_str().unwrap()).await;

    assert_eq!(asset["imageInfo"]["fileSize"], photo.len());
    assert!(stored == photo, "the stored master differs from the upload");
    assert_eq!(copy["state"], "succeeded", "{copy}");
    assert_eq!(stored_keys(&app).await.len(), 2, "the master and its copy, no parts");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_queued_before_its_master_was_replaced_renders_the_new_master() {
    // No worker yet: the copy waits in the queue while its master changes.
    let app = crate::helpers::spawn(ipscopy::app::Roles { api: true, worker: false }, |_| {}).await;
    let master = upload_raw(&app, 201, "master", fixture("rocket.jpg"), false).await.json();
    let body = serde_json::json!({
        "companyHandle": app.company.to_string(),
        "assetHandle": master["assetHandle"],
        "folderHandle": app.folder.to_string(),
        "name": "copy",
        "urlModifier": "fmt=png",
    });
    let accepted = app.submit(202, &body).await;

    let replaced = upload_raw(&app, 200, "master", fixture("chelsea.png"), true).await.json();
    let mut worker = app.worker_command().spawn().expect("the worker starts");
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    worker.kill().await.expect("the worker stops");

    assert_eq!(replaced["version"], 2);
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(
        (&job["asset"]["imageInfo"]["width"], &job["asset"]["imageInfo"]["height"]),
        (&Value::from(451), &Value::from(300)),
        "the copy is of the new master (chelsea.png), not the old one (rocket.jpg, 640×427)"
    );
    app.stop().await;
}
