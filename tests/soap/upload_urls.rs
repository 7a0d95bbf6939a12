//! `submitJob` with an `uploadUrlsJob`, as IPS integrations bring masters in by URL: the job's
//! handle, the one `UrlUpload` job `getActiveJobs` shows, its `getJobLogDetails` with a row per
//! file, and every option this server does not implement refused by name.

use std::time::Duration;

use axum::{Router, routing::get};
use ipscopy::soap::xml::Element;

use crate::{
    client::{Soap, items, text},
    helpers::{TestApp, fixture, serve, spawn_app_with},
};

/// A `submitJobParam` body: `urls` as (sourceUrl, destPath), then `extra` inside the job.
fn submit_params(app: &TestApp, job_name: &str, urls: &[(String, String)], extra: &str) -> String {
    let items: String = urls
        .iter()
        .map(|(url, dest)| format!("<items><sourceUrl>{url}</sourceUrl><destPath>{dest}</destPath></items>"))
        .collect();
    format!(
        "<companyHandle>{}</companyHandle><jobName>{job_name}</jobName><uploadUrlsJob><urlArray>{items}</urlArray>\
         <overwrite>false</overwrite><readyForPublish>true</readyForPublish><createMask>false</createMask>\
         <emailSetting>None</emailSetting>{extra}</uploadUrlsJob>",
        app.company
    )
}

/// Polls `getActiveJobs` for `job` until it is no longer listed; returns what it showed first.
async fn active_until_done(app: &TestApp, job: &str) -> Option<Element> {
    let params = format!("<companyHandle>{}</companyHandle><jobHandle>{job}</jobHandle>", app.company);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut first = None;
    loop {
        let reply = app.call("getActiveJobs", &params).await;
        let listed = items(reply.ok("getActiveJobs"), "jobArray").first().map(|j| (*j).clone());
        match listed {
            Some(active) => first = first.or(Some(active)),
            None => return first,
        }
        assert!(tokio::time::Instant::now() < deadline, "{job} still active after 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_urls_job_is_one_url_upload_job_whose_log_has_a_row_per_file() {
    let app =
        spawn_app_with(|s| s.import.import_allowed_networks = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let base = serve(Router::new().route("/in/rocket.jpg", get(|| async { fixture("rocket.jpg") }))).await;
    let urls = [
        (format!("{base}/in/rocket.jpg"), "copies/rocket.jpg".to_string()),
        (format!("{base}/in/gone.jpg"), format!("{}gone.jpg", app.folder)),
    ];

    let reply = app.call("submitJob", &submit_params(&app, "spring-shoot", &urls, "")).await;
    let job = text(reply.ok("submitJob"), "jobHandle").to_string();
    let active = active_until_done(&app, &job).await;
    let details = format!(
        "<companyHandle>{}</companyHandle><originalName>spring-shoot</originalName><sortBy>AssetName</sortBy>",
        app.company
    );
    let logs = app.call("getJobLogDetails", &details).await;
    let logs = items(logs.ok("getJobLogDetails"), "jobLogArray");

    assert!(job.contains("UrlUpload"), "{job}");
    if let Some(active) = active {
        assert_eq!(text(&active, "type"), "UrlUpload");
        assert_eq!(text(&active, "originalName"), "spring-shoot");
        assert_eq!(text(&active, "totalSize"), "2");
    }
    assert_eq!(logs.len(), 1, "one log for the job, not one per file");
    let log = logs[0];
    assert_eq!(text(log, "jobHandle"), job);
    assert_eq!(text(log, "jobSubType"), "UrlUpload");
    for (field, value) in [
        ("totalFileCount", "2"),
        ("fileSuccessCount", "1"),
        ("fileErrorCount", "1"),
        ("transferSuccessCount", "1"),
        ("fatalError", "false"),
    ] {
        assert_eq!(text(log, field), value, "{field}: {log:?}");
    }
    let rows = items(log, "detailArray");
    let rows: Vec<(&str, &str, &str)> =
        rows.iter().map(|d| (text(d, "assetName"), text(d, "logType"), text(d, "logMessage"))).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!((rows[0].0, rows[0].1), ("gone", "Error"));
    assert!(rows[0].2.starts_with("SourceMissing: "), "{rows:?}");
    assert_eq!((rows[1].0, rows[1].1), ("rocket", "Info"));
    assert!(rows[1].2.contains(&format!("imported {base}/in/rocket.jpg")), "{rows:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_this_server_does_not_implement_are_refused_by_name_and_no_url_is_taken() {
    let app = spawn_app_with(|_| {}).await;
    let urls = [("https://images.example/a.jpg".to_string(), "copies/a.jpg".to_string())];
    let refused_url = [
        ("https://images.example/b.jpg".to_string(), "copies/b.jpg".to_string()),
        ("http://169.254.169.254/latest/meta-data/".to_string(), "copies/c.jpg".to_string()),
    ];
    let job = |extra: &str| submit_params(&app, "refused", &urls, extra);
    let cases = [
        (
            job("<knockoutBackgroundOptions><mode>RGB</mode></knockoutBackgroundOptions>"),
            "uploadUrlsJob/knockoutBackgroundOptions",
        ),
        (
            job("").replace("<overwrite>false</overwrite>", "<overwrite>true</overwrite>"),
            "uploadUrlsJob/overwrite=true",
        ),
        (
            job("").replace("<emailSetting>None</emailSetting>", "<emailSetting>All</emailSetting>"),
            "emailSetting \"All\"",
        ),
        (
            job("").replace("<jobName>", "<execTime>2027-01-01T00:00:00Z</execTime><jobName>"),
            "execTime is not supported",
        ),
        (format!("{}<imageServingPublishJob/>", job("")), "imageServingPublishJob is not supported"),
        (
            submit_params(&app, "refused", &refused_url, ""),
            "urlArray item 2: sourceUrl points to the non-public address 169.254.169.254",
        ),
    ];

    for (params, why) in cases {
        let (element, code, reason) = app.call("submitJob", &params).await.fault();
        assert_eq!((element.as_str(), code), ("ipsApiFault", 30001), "{why}: {reason}");
        assert!(reason.contains(why), "{why}: {reason}");
    }
    let names = format!(
        "<companyHandle>{}</companyHandle><assetNameArray><items>a</items><items>b</items></assetNameArray>",
        app.company
    );
    let in_use = app.call("checkAssetNames", &names).await;
    assert!(
        items(in_use.ok("checkAssetNames"), "inUseNameArray").is_empty(),
        "no refused job reserved a name"
    );
    app.stop().await;
}
