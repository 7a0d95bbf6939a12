//! The copy workflow over SOAP: copyImage, the job, the new asset.

use std::time::Duration;

use crate::{
    client::{Soap, items, text},
    helpers::{TestApp, spawn, spawn_app},
};
use ipscopy::app::Roles;
use ipscopy::soap::xml::Element;

/// Polls `getJobLogDetails` by the copy's name until its log exists; panics after 60 s.
pub async fn wait_for_log(app: &TestApp, name: &str) -> Element {
    let params = format!("<companyHandle>{}</companyHandle><originalName>{name}</originalName>", app.company);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let reply = app.call("getJobLogDetails", &params).await;
        if let Some(log) = items(reply.ok("getJobLogDetails"), "jobLogArray").first() {
            return (*log).clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no job log for {name} after 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn copy_params(app: &TestApp, source: &str, name: &str, modifier: &str) -> String {
    format!(
        "<companyHandle>{}</companyHandle><assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle><name>{name}</name><urlModifier>{modifier}</urlModifier>",
        app.company, app.folder
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_pending_at_once_then_its_job_finishes_and_get_assets_reads_the_rendered_copy() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let reply = app
        .call("copyImage", &copy_params(&app, &source.to_string(), "chelsea-small", "wid=200&amp;fmt=png"))
        .await;
    let handle = text(reply.ok("copyImage"), "assetHandle").to_string();
    let log = wait_for_log(&app, "chelsea-small").await;
    let assets = app
        .call(
            "getAssets",
            &format!("<companyHandle>{}</companyHandle><assetHandleArray><items>{handle}</items></assetHandleArray>", app.company),
        )
        .await;

    assert_eq!(text(&log, "fileSuccessCount"), "1", "{log:?}");
    assert_eq!(text(&log, "fatalError"), "false");
    assert!(text(&log, "jobHandle").starts_with(&format!("j|{}||copyImage-", app.company.0)));
    let detail = items(&log, "detailArray");
    assert_eq!(text(detail[0], "assetHandle"), handle);
    let assets = items(assets.ok("getAssets"), "assetArray");
    assert_eq!(assets.len(), 1);
    let asset = assets[0];
    assert_eq!(text(asset, "assetHandle"), handle);
    assert_eq!(text(asset, "type"), "Image");
    assert_eq!(text(asset, "name"), "chelsea-small");
    assert_eq!(text(asset, "folderHandle"), "Acme/copies/");
    assert_eq!(text(asset, "fileName"), "chelsea-small.png");
    assert_eq!(text(asset, "createUser"), app.email);
    assert_eq!(text(asset, "trashState"), "NotInTrash");
    let image = asset.child("imageInfo").unwrap();
    // 451x300 scaled to 200 wide keeps its aspect.
    assert_eq!((text(image, "width"), text(image, "height")), ("200", "133"));
    assert_eq!(text(image, "urlModifier"), "wid=200&fmt=png");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_copy_leaves_get_active_jobs_and_its_log_is_found_by_job_handle() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let reply = app.call("copyImage", &copy_params(&app, &source.to_string(), "tracked", "wid=50")).await;
    reply.ok("copyImage");

    let log = wait_for_log(&app, "tracked").await;
    let active = app.call("getActiveJobs", &format!("<companyHandle>{}</companyHandle>", app.company)).await;
    let by_handle = app
        .call(
            "getJobLogDetails",
            &format!(
                "<companyHandle>{}</companyHandle><jobHandle>{}</jobHandle>",
                app.company,
                text(&log, "jobHandle")
            ),
        )
        .await;

    assert!(items(active.ok("getActiveJobs"), "jobArray").is_empty(), "{}", active.raw);
    let logs = items(by_handle.ok("getJobLogDetails"), "jobLogArray");
    assert_eq!(text(logs[0], "originalJobName"), "tracked");
    assert!(!text(logs[0], "endDate").is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_faults_name_the_problem_and_write_nothing() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let s = source.to_string();

    let cases = [
        // A name in use is 30000, as in a real IPS capture.
        (copy_params(&app, &s, "chelsea", ""), 30000, "already used"),
        (copy_params(&app, "a|999999", "x", ""), 30001, "does not exist"),
        (copy_params(&app, &s, "x", "wid=abc"), 30001, "urlModifier"),
        (copy_params(&app, "not-a-handle", "x", ""), 30001, "not a valid handle"),
        (
            format!(
                "<companyHandle>{}</companyHandle><assetHandle>{s}</assetHandle><name>x</name>",
                app.company
            ),
            30002,
            "folderHandle",
        ),
    ];
    for (params, code, needle) in cases {
        let reply = app.call("copyImage", &params).await;
        let (element, got, reason) = reply.fault();
        assert_eq!((element.as_str(), got), ("ipsApiFault", code), "{reason}");
        assert!(reason.contains(needle), "{reason:?} should mention {needle:?}");
    }
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(jobs, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_in_the_trash_cannot_be_copied_until_restored() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    app.call("deleteAsset", &format!("{c}<assetHandle>{source}</assetHandle>")).await.ok("deleteAsset");

    let refused = app.call("copyImage", &copy_params(&app, &source.to_string(), "from-trash", "")).await;
    app.call(
        "restoreAssetsFromTrash",
        &format!("{c}<assetHandleArray><items>{source}</items></assetHandleArray>"),
    )
    .await
    .ok("restoreAssetsFromTrash");
    let accepted = app.call("copyImage", &copy_params(&app, &source.to_string(), "from-trash", "")).await;

    let (_, code, reason) = refused.fault();
    assert_eq!(code, 30001);
    assert!(reason.contains("trash"), "{reason}");
    accepted.ok("copyImage");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_copy_is_listed_by_get_active_jobs_as_new_and_has_no_log_yet() {
    // No worker runs, so the job stays queued.
    let app = spawn(Roles { api: true, worker: false }, |_| {}).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let handle = text(
        app.call("copyImage", &copy_params(&app, &source.to_string(), "waiting", "")).await.ok("copyImage"),
        "assetHandle",
    )
    .to_string();
    let c = format!("<companyHandle>{}</companyHandle>", app.company);

    let active = app.call("getActiveJobs", &c).await;
    let log = app.call("getJobLogDetails", &format!("{c}<originalName>waiting</originalName>")).await;

    let jobs = items(active.ok("getActiveJobs"), "jobArray");
    assert_eq!(jobs.len(), 1, "{}", active.raw);
    assert_eq!(text(jobs[0], "state"), "New");
    assert_eq!(text(jobs[0], "originalName"), "waiting");
    assert_eq!(text(jobs[0], "submitUserEmail"), app.email);
    assert!(text(jobs[0], "description").contains(&handle));
    assert!(items(log.ok("getJobLogDetails"), "jobLogArray").is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_job_logs_lists_finished_copies_filtered_by_submitter_and_dates() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    app.call("copyImage", &copy_params(&app, &source.to_string(), "logged", "wid=40")).await.ok("copyImage");
    wait_for_log(&app, "logged").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let user = app.call("getUserInfo", "").await;
    let me = text(user.ok("getUserInfo").child("userInfo").unwrap(), "userHandle").to_string();

    let mine = app.call("getJobLogs", &format!("{c}<userHandle>{me}</userHandle>")).await;
    let anyone_in_my_companies = app.call("getJobLogs", "").await;
    let someone_else = app.call("getJobLogs", &format!("{c}<userHandle>u|424242</userHandle>")).await;
    let future = app.call("getJobLogs", &format!("{c}<startDate>2999-01-01T00:00:00Z</startDate>")).await;
    let bad = app.call("getJobLogs", &format!("{c}<numRows>0</numRows>")).await;

    let logs = items(mine.ok("getJobLogs"), "jobLogArray");
    assert_eq!(logs.len(), 1, "{}", mine.raw);
    assert_eq!(text(logs[0], "originalJobName"), "logged");
    assert_eq!(text(logs[0], "fileSuccessCount"), "1");
    assert!(logs[0].child("detailArray").is_none(), "getJobLogs lists logs without their details");
    assert_eq!(items(anyone_in_my_companies.ok("getJobLogs"), "jobLogArray").len(), 1);
    assert!(items(someone_else.ok("getJobLogs"), "jobLogArray").is_empty());
    assert!(items(future.ok("getJobLogs"), "jobLogArray").is_empty());
    assert_eq!(bad.fault().1, 30001);
    app.stop().await;
}
