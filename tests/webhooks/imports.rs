//! Imports by URL through the whole system, served by a local HTTP server: a mixed list gets
//! its per-item results, each accepted item its job outcome and its `asset.imported` /
//! `asset.import_failed` event, and the import its `import.completed`.

use std::{collections::HashMap, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, encode, fixture, pixel_bomb, serve},
    receiver::Receiver,
    register, spawn_webhook_app,
};

/// Sources of every kind an import meets, on a random loopback port; returns its base URL.
async fn source_server() -> String {
    let image = |name: &'static str, mime: &'static str| {
        move || async move { ([(header::CONTENT_TYPE, mime)], fixture(name)).into_response() }
    };
    let trickle = || async {
        // The first KiB of a photo at once, then a byte every 300 ms: never whole in time.
        let photo = Bytes::from(fixture("rocket.jpg"));
        let head = photo.slice(..1024);
        let rest = futures::stream::unfold(1024usize, move |at| {
            let photo = photo.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Some((Ok::<_, std::io::Error>(photo.slice(at..at + 1)), at + 1))
            }
        });
        let body = futures::StreamExt::chain(futures::stream::iter([Ok(head)]), rest);
        Response::new(Body::from_stream(body))
    };
    let app = Router::new()
        .route("/photos/rocket.jpg", get(image("rocket.jpg", "image/jpeg")))
        .route("/photos/chelsea.png", get(image("chelsea.png", "image/png")))
        .route(
            "/photos/moved.jpg",
            get(|| async {
                (StatusCode::FOUND, [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")])
                    .into_response()
            }),
        )
        .route("/notes.txt", get(|| async { "these are notes, not an image" }))
        .route("/bomb.png", get(|| async { pixel_bomb() }))
        .route("/slow.jpg", get(trickle));
    serve(app).await
}

fn item(app: &TestApp, url: &str, name: &str) -> Value {
    json!({ "sourceUrl": url, "folderHandle": app.folder.to_string(), "name": name })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_import_list_gets_each_items_result_its_events_and_one_import_completed() {
    let app = spawn_webhook_app(|s| {
        s.import.import_allowed_networks = vec!["127.0.0.1/32".parse().unwrap()];
        s.import.import_timeout_secs = 1.5;
        s.worker.retry_delay_scale = 0.001;
    })
    .await;
    let receiver = Receiver::start().await;
    register(&app, &receiver.url("/hook"), &["asset.imported", "asset.import_failed", "import.completed"])
        .await;
    let base = source_server().await;
    let items = vec![
        item(&app, &format!("{base}/photos/rocket.jpg"), "rocket"),
        item(&app, &format!("{base}/photos/chelsea.png"), "chelsea"),
        item(&app, &format!("{base}/photos/missing.jpg"), "missing"),
        item(&app, &format!("{base}/photos/moved.jpg"), "moved"),
        item(&app, &format!("{base}/notes.txt"), "notes"),
        item(&app, &format!("{base}/bomb.png"), "bomb"),
        item(&app, &format!("{base}/slow.jpg"), "slow"),
        item(&app, "http://10.1.2.3/photo.jpg", "private"),
        item(&app, "http://169.254.169.254/latest/meta-data/", "metadata"),
        item(&app, "ftp://example.com/photo.jpg", "ftp"),
    ];
    let body = json!({ "companyHandle": app.company.to_string(), "items": items });

    let accepted = app.post_json(202, "/v1/imports", &body).await;
    let import = accepted["importHandle"].as_str().expect("an import handle").to_string();
    let events = receiver.wait_for(8).await;
    let status = app.get_json(200, &format!("/v1/imports/{}", encode(&import))).await;

    assert_eq!((accepted["acceptedCount"].as_u64(), accepted["rejectedCount"].as_u64()), (Some(7), Some(3)));
    for (index, why) in
        [(7, "non-public address 10.1.2.3"), (8, "non-public address 169.254.169.254"), (9, "http or https")]
    {
        let refused = &accepted["items"][index];
        assert_eq!(refused["code"], 30001, "{refused}");
        assert!(refused["reason"].as_str().unwrap().contains(why), "{refused}");
    }
    let mut jobs = HashMap::new();
    for (index, name) in ["rocket", "chelsea", "missing", "moved", "notes", "bomb", "slow"].iter().enumerate()
    {
        let handle = accepted["items"][index]["jobHandle"].as_str().expect("accepted").to_string();
        jobs.insert(*name, app.wait_for_job(&handle).await);
    }
    let code = |name: &str| jobs[name]["error"]["code"].as_str().unwrap_or("none").to_string();
    let reason = |name: &str| jobs[name]["error"]["reason"].as_str().unwrap_or_default().to_string();
    assert_eq!(jobs["rocket"]["state"], "succeeded");
    assert_eq!(jobs["rocket"]["kind"], "import");
    assert_eq!(jobs["rocket"]["asset"]["imageInfo"]["format"], "jpeg");
    assert_eq!(jobs["chelsea"]["asset"]["imageInfo"]["format"], "png");
    let (_, stored) = app.content(200, jobs["rocket"]["assetHandle"].as_str().unwrap()).await;
    assert_eq!(stored, fixture("rocket.jpg"), "the master is the served file, byte for byte");
    assert_eq!(code("missing"), "SourceMissing");
    assert!(reason("missing").contains("404"), "{}", reason("missing"));
    assert_eq!(code("moved"), "FetchRefused");
    assert!(reason("moved").contains("do not follow redirects"), "{}", reason("moved"));
    assert_eq!(code("notes"), "SourceUndecodable");
    assert_eq!(code("bomb"), "LimitExceeded");
    assert_eq!(code("slow"), "FetchFailed");
    assert_eq!(jobs["slow"]["attempts"], 3, "a trickling source is retried, then given up");
    for name in ["missing", "moved", "notes", "bomb"] {
        assert_eq!(jobs[name]["attempts"], 1, "{name} failed for good at once");
    }

    assert_eq!(
        status["counts"],
        json!({"queued": 0, "running": 0, "succeeded": 2, "failed": 5, "cancelled": 0})
    );
    assert_eq!(status["completed"], true);
    let failed: Vec<(&str, &str)> = status["failedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        failed,
        [
            ("missing", "SourceMissing"),
            ("moved", "FetchRefused"),
            ("notes", "SourceUndecodable"),
            ("bomb", "LimitExceeded"),
            ("slow", "FetchFailed")
        ]
    );
    assert_eq!(status["failedItems"][0]["sourceUrl"], format!("{base}/photos/missing.jpg"));

    let mut types: Vec<(String, String)> = events
        .iter()
        .map(|d| {
            let event = d.json();
            let name =
                event["data"]["sourceUrl"].as_str().unwrap_or("-").rsplit('/').next().unwrap().to_string();
            (event["type"].as_str().unwrap().to_string(), name)
        })
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            ("asset.import_failed", "bomb.png"),
            ("asset.import_failed", "missing.jpg"),
            ("asset.import_failed", "moved.jpg"),
            ("asset.import_failed", "notes.txt"),
            ("asset.import_failed", "slow.jpg"),
            ("asset.imported", "chelsea.png"),
            ("asset.imported", "rocket.jpg"),
            ("import.completed", "-"),
        ]
        .map(|(t, n)| (t.to_string(), n.to_string()))
    );
    let completed = events.iter().map(|d| d.json()).find(|e| e["type"] == "import.completed").unwrap();
    assert_eq!(completed["data"]["importHandle"], import.as_str());
    assert_eq!(completed["data"]["counts"], json!({"succeeded": 2, "failed": 5, "cancelled": 0}));
    let imported = events.iter().map(|d| d.json()).find(|e| e["type"] == "asset.imported").unwrap();
    assert_eq!(imported["data"]["importHandle"], import.as_str());
    assert!(imported["data"]["imageInfo"]["width"].as_u64().is_some(), "{imported}");

    // Every failed item gave its name back.
    let again = json!({ "companyHandle": app.company.to_string(),
                        "items": [item(&app, &format!("{base}/photos/rocket.jpg"), "missing")] });
    app.post_json(202, "/v1/imports", &again).await;
    app.stop().await;
}
