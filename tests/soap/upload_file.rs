//! The IPS UploadFile servlet as the docs describe it: an `auth` part, an `uploadParams` part,
//! then files; a job continued by its handle until `endJob`; getActiveJobs and getJobLogDetails
//! show it with a row per file; faults come back as the fault element with HTTP 200.

use ipscopy::soap::xml::Element;
use reqwest::multipart::{Form, Part};

use crate::{
    client::{IPS, Soap, items, text},
    helpers::{PASSWORD, TestApp, fixture, spawn_app},
};

fn auth(email: &str, password: &str) -> String {
    format!(r#"<authHeader xmlns="{IPS}"><user>{email}</user><password>{password}</password></authHeader>"#)
}

/// POSTs a servlet request: `auth`, `uploadParams` holding `params`, then `files` as
/// (file name, bytes); returns the HTTP status and the answer's root element.
async fn post(app: &TestApp, auth: String, params: &str, files: Vec<(&str, Vec<u8>)>) -> (u16, Element) {
    let upload_params = format!(
        "<uploadPostParam><companyHandle>{}</companyHandle><destFolder>{}</destFolder>{params}</uploadPostParam>",
        app.company, app.folder
    );
    let mut form = Form::new().text("auth", auth).text("uploadParams", upload_params);
    for (name, bytes) in files {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_string()));
    }
    let response =
        app.http.post(format!("{}/scene7/UploadFile", app.base)).multipart(form).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (status, Element::parse(&body).unwrap_or_else(|e| panic!("{}: {}", e.0, String::from_utf8_lossy(&body))))
}

const POST_JOB: &str = "<uploadParams><overwrite>false</overwrite><readyForPublish>true</readyForPublish><createMask>false</createMask></uploadParams>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_two_posts_stores_each_file_and_shows_as_one_upload_file_job_with_a_row_per_file() {
    let app = spawn_app().await;
    let me = || auth(&app.email, PASSWORD);

    let (status, first) = post(
        &app,
        me(),
        &format!("<jobName>spring</jobName>{POST_JOB}"),
        vec![("rocket.jpg", fixture("rocket.jpg"))],
    )
    .await;
    let job = text(&first, "jobHandle").to_string();
    let active = app
        .call(
            "getActiveJobs",
            &format!("<companyHandle>{}</companyHandle><jobHandle>{job}</jobHandle>", app.company),
        )
        .await;
    let active =
        items(active.ok("getActiveJobs"), "jobArray").iter().map(|j| (*j).clone()).collect::<Vec<_>>();
    let more = format!("<jobHandle>{job}</jobHandle><endJob>true</endJob>{POST_JOB}");
    let (_, second) = post(
        &app,
        me(),
        &more,
        vec![("chelsea.png", fixture("chelsea.png")), ("notes.png", b"not an image".to_vec())],
    )
    .await;
    let after = format!("<jobHandle>{job}</jobHandle>{POST_JOB}");
    let (_, ended) = post(&app, me(), &after, vec![]).await;
    let details = format!(
        "<companyHandle>{}</companyHandle><jobHandle>{job}</jobHandle><sortBy>AssetName</sortBy>",
        app.company
    );
    let logs = app.call("getJobLogDetails", &details).await;
    let logs = items(logs.ok("getJobLogDetails"), "jobLogArray");
    let names = format!(
        "<companyHandle>{}</companyHandle><nameArray><items>rocket</items><items>chelsea</items></nameArray>",
        app.company
    );
    let assets = app.call("getAssetsByName", &names).await;

    assert_eq!((status, first.name.as_str()), (200, "uploadPostReturn"), "{first:?}");
    assert!(job.contains("uploadFileServlet"), "{job}");
    assert_eq!(active.len(), 1, "the open job is active");
    assert_eq!(text(&active[0], "type"), "UploadFile");
    assert_eq!(text(&active[0], "originalName"), "spring");
    assert_eq!(text(&second, "jobHandle"), job, "a continued job keeps its handle");
    assert_eq!(ended.name, "ipsApiFault", "an ended job takes no more: {ended:?}");
    assert_eq!(logs.len(), 1);
    for (field, value) in [
        ("jobSubType", "UploadFile"),
        ("totalFileCount", "3"),
        ("fileSuccessCount", "2"),
        ("fileErrorCount", "1"),
    ] {
        assert_eq!(text(logs[0], field), value, "{field}: {:?}", logs[0]);
    }
    let rows: Vec<(String, String)> = items(logs[0], "detailArray")
        .iter()
        .map(|d| (text(d, "assetName").to_string(), text(d, "logType").to_string()))
        .collect();
    assert_eq!(
        rows,
        [("chelsea", "Info"), ("notes.png", "Error"), ("rocket", "Info")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(items(assets.ok("getAssetsByName"), "assetArray").len(), 2, "both images are assets");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_an_option_this_server_lacks_or_a_huge_auth_part_is_a_typed_fault_with_http_200() {
    let app = spawn_app().await;
    let photo = || vec![("rocket.jpg", fixture("rocket.jpg"))];

    let (status, wrong) =
        post(&app, auth(&app.email, "not-the-password"), "<jobName>x</jobName>", photo()).await;
    let knockout = "<jobName>x</jobName><uploadParams><overwrite>false</overwrite><readyForPublish>true</readyForPublish><createMask>false</createMask><knockoutBackgroundOptions/></uploadParams>";
    let (_, refused) = post(&app, auth(&app.email, PASSWORD), knockout, photo()).await;
    let (_, no_job) = post(&app, auth(&app.email, PASSWORD), "", photo()).await;
    let (_, huge) =
        post(&app, format!("<authHeader>{}</authHeader>", "x".repeat(100_000)), "", photo()).await;

    assert_eq!(
        (status, wrong.name.as_str(), text(&wrong, "code")),
        (200, "authenticationFault", "10001"),
        "{wrong:?}"
    );
    assert_eq!(refused.name, "ipsApiFault");
    assert!(text(&refused, "reason").contains("knockoutBackgroundOptions is not supported"), "{refused:?}");
    assert_eq!(text(&no_job, "code"), "30002", "{no_job:?}");
    assert!(text(&huge, "reason").contains("form field auth is over 65536 bytes"), "{huge:?}");
    let names = format!(
        "<companyHandle>{}</companyHandle><assetNameArray><items>rocket</items></assetNameArray>",
        app.company
    );
    let in_use = app.call("checkAssetNames", &names).await;
    assert!(
        items(in_use.ok("checkAssetNames"), "inUseNameArray").is_empty(),
        "no refused request stored the file"
    );
    app.stop().await;
}
