//! The SSRF guard: non-public targets are refused at registration, at submit and on the
//! address actually connected to; redirects are not followed. Nothing here leaves 127.0.0.1:
//! refused addresses are refused before any connection.

use serde_json::json;

use crate::{
    copy_and_wait,
    helpers::{encode, spawn_app},
    receiver::{Receiver, Reply},
    register, spawn_webhook_app, webhook_log,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_at_metadata_private_loopback_or_names_resolving_there_are_refused_with_30001() {
    let app = spawn_app().await; // default settings: no network is opened

    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://localhost:8080/hook",
    ] {
        let body = json!({ "companyHandle": app.company.to_string(), "url": url });
        let refused = app.post_json(400, "/v1/webhooks", &body).await;
        assert_eq!(refused["code"], 30001, "{url}: {refused}");
        assert!(refused["reason"].as_str().unwrap().contains("non-public address"), "{url}: {refused}");
    }
    let list =
        app.get_json(200, &format!("/v1/webhooks?companyHandle={}", encode(&app.company.to_string()))).await;
    assert_eq!(list["webhooks"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_with_a_callback_url_at_the_metadata_address_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let source = app.add_image("source", "chelsea.png").await;
    let mut body = app.copy_body(source, "copy", "wid=32");
    body["callbackUrl"] = json!("http://169.254.169.254/latest/meta-data/iam/");

    let refused = app.submit(400, &body).await;

    assert_eq!(refused["code"], 30001);
    assert!(
        refused["reason"].as_str().unwrap().starts_with("callbackUrl points to the non-public"),
        "{refused}"
    );
    body.as_object_mut().unwrap().remove("callbackUrl");
    // The name was not taken by the refused copy.
    app.submit(202, &body).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_endpoint_that_now_points_to_loopback_is_refused_when_connecting() {
    // As after a DNS change: the endpoints are in the database, the addresses are not allowed.
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut handles = Vec::new();
    for url in [format!("http://localhost:{}/rebound", receiver.addr.port()), receiver.url("/literal")] {
        let id: i64 = sqlx::query_scalar(
            "insert into webhook_endpoints (company_id, url, secret) values ($1, $2, $3) returning endpoint_id",
        )
        .bind(app.company.0)
        .bind(&url)
        .bind("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        .fetch_one(&app.pool)
        .await
        .unwrap();
        handles.push(format!("w|{id}"));
    }

    copy_and_wait(&app, "copy", json!({})).await;
    let mut errors = Vec::new();
    for handle in &handles {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let attempt = loop {
            let log = webhook_log(&app, handle, "attempts").await;
            if let Some(first) = log["attempts"].as_array().unwrap().first() {
                break first.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no attempt logged for {handle}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(attempt["succeeded"], false);
        assert_eq!(attempt["responseStatusCode"], json!(null), "{attempt}");
        errors.push(attempt["error"].as_str().unwrap().to_string());
    }

    assert!(errors[0].starts_with("refused before connecting: localhost resolves to"), "{errors:?}");
    assert!(
        errors[1].starts_with("refused: the URL points to the non-public address 127.0.0.1"),
        "{errors:?}"
    );
    assert!(receiver.deliveries().is_empty(), "nothing reached the receiver");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_and_count_as_failed_attempts() {
    let app = spawn_webhook_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let (webhook, _) = register(&app, &receiver.url("/moved"), &[]).await;
    receiver.reply_with([Reply::status(307).with_header("location", receiver.url("/landed"))]);

    copy_and_wait(&app, "redirected", json!({})).await;
    let deliveries = receiver.wait_for(2).await; // the redirect, then the scheduled retry

    assert!(
        deliveries.iter().all(|d| d.path == "/moved"),
        "{:?}",
        deliveries.iter().map(|d| &d.path).collect::<Vec<_>>()
    );
    let log = webhook_log(&app, &webhook, "attempts").await;
    assert_eq!(log["attempts"][0]["responseStatusCode"], 307, "{log}");
    assert_eq!(log["attempts"][0]["succeeded"], false, "{log}");
    app.stop().await;
}
