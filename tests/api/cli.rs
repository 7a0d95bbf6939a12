//! The `ipscopy submit` and `ipscopy upload` commands against a running system.

use crate::helpers::{PASSWORD, TestApp, spawn_app};

async fn submit_file(app: &TestApp, file: &std::path::Path) -> (bool, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipscopy"))
        .args(["submit", "--company", &app.company.to_string(), "--url", &app.base, "--user", &app.email])
        .env("IPSCOPY_PASSWORD", PASSWORD)
        .arg(file)
        .output()
        .await
        .expect("ipscopy runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.stdout.is_empty(), "no summary printed; stderr:\n{stderr}");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_pushes_a_csv_reports_refusals_and_a_rerun_creates_nothing_new() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copies.csv");
    let folder = app.folder.to_string();
    std::fs::write(
        &file,
        format!(
            "assetHandle,folderHandle,name,urlModifier\n\
             {source},{folder},one,wid=10\n\
             {source},{folder},two,wid=20&fmt=png\n\
             {source},{folder},three,hei=5\n\
             {source},{folder},broken,wid=banana\n"
        ),
    )
    .unwrap();

    let (ok, first) = submit_file(&app, &file).await;
    let (ok_again, second) = submit_file(&app, &file).await;

    assert!(!ok, "a refused line makes the command fail:\n{first}");
    assert!(first.contains("accepted         3"), "{first}");
    assert!(first.contains("refused          1"), "{first}");
    assert!(first.contains("succeeded        3"), "{first}");
    assert!(first.contains("broken") && first.contains("wid"), "{first}");
    assert!(!ok_again);
    assert_eq!(first, second, "a re-run answers the same");
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(jobs, 3);
    app.stop().await;
}

/// Runs `ipscopy upload` of `dir` into the test folder: (success, stdout, stderr).
async fn upload_dir(app: &TestApp, dir: &std::path::Path) -> (bool, String, String) {
    upload_dir_with(app, dir, &[]).await
}

async fn upload_dir_with(app: &TestApp, dir: &std::path::Path, flags: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipscopy"))
        .args(["upload", "--company", &app.company.to_string(), "--folder", &app.folder.to_string()])
        .args(["--url", &app.base, "--user", &app.email])
        .args(flags)
        .env("IPSCOPY_PASSWORD", PASSWORD)
        .arg(dir)
        .output()
        .await
        .expect("ipscopy runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_brings_a_directory_in_reports_refusals_and_a_rerun_uploads_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("cats")).unwrap();
    std::fs::write(dir.path().join("rocket.jpg"), crate::helpers::fixture("rocket.jpg")).unwrap();
    std::fs::write(dir.path().join("cats/chelsea.png"), crate::helpers::fixture("chelsea.png")).unwrap();
    std::fs::write(dir.path().join("cats/broken.png"), b"not a png at all").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not sent: not an image's extension").unwrap();

    let (ok, stdout, stderr) = upload_dir(&app, dir.path()).await;
    let (ok_again, stdout_again, stderr_again) = upload_dir(&app, dir.path()).await;

    assert!(!ok, "a refused file makes the command fail:\n{stderr}");
    assert!(stderr.contains("uploaded         2"), "{stderr}");
    assert!(stderr.contains("refused          1"), "{stderr}");
    assert!(stderr.contains("broken.png: HTTP 400"), "{stderr}");
    let uploaded: Vec<&str> = stdout.lines().collect();
    assert_eq!(uploaded.len(), 2, "{stdout}");
    assert!(uploaded.iter().all(|line| line.starts_with(&format!("a|{}|", app.company.0))), "{stdout}");
    assert!(!ok_again);
    assert!(stderr_again.contains("uploaded         0"), "{stderr_again}");
    assert!(stderr_again.contains("already present  2"), "{stderr_again}");
    assert_eq!(stdout_again, "");
    let names: Vec<String> =
        sqlx::query_scalar("select name from assets where state = 'ready' order by name")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(names, ["chelsea", "rocket"]);
    app.stop().await;
}

#[tokio::test]
async fn render_writes_each_file_through_the_modifier_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipscopy"))
        .args(["render", "--modifier", "wid=120&fmt=png", "--out-dir"])
        .arg(dir.path())
        .arg(fixtures.join("chelsea.png"))
        .arg(fixtures.join("rocket.jpg"))
        .output()
        .await
        .unwrap();
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipscopy"))
        .args(["render", "--modifier", "wid=-1", "--out-dir"])
        .arg(dir.path())
        .arg(fixtures.join("chelsea.png"))
        .output()
        .await
        .unwrap();

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("120x80") && report.contains("png"), "{report}");
    for (name, height) in [("chelsea.png", 80), ("rocket.png", 80)] {
        let copy = image::open(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((copy.width(), copy.height()), (120, height), "{name}");
    }
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("wid"), "{}", String::from_utf8_lossy(&bad.stderr));
}

#[tokio::test]
async fn a_malformed_broker_list_ends_ipscopy_run_at_once_with_one_line_naming_the_setting() {
    let data = tempfile::tempdir().unwrap();
    for (amqp_url, says) in [
        ("amqp://guest:pw-secret@127.0.0.1:5672/%2f,127.0.0.1:5673", "entry 2"),
        ("http://guest:pw-secret@127.0.0.1:5672/", "scheme \"http\""),
    ] {
        let output = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            tokio::process::Command::new(env!("CARGO_BIN_EXE_ipscopy"))
                .arg("run")
                .env("AMQP_URL", amqp_url)
                .env("IPSCOPY_DATA_DIR", data.path())
                .env("IPSCOPY_HTTP_ADDR", "127.0.0.1:0")
                .env("IPSCOPY_OPS_ADDR", "127.0.0.1:0")
                .env("RUST_LOG", "off")
                .output(),
        )
        .await
        .expect("the process ends by itself")
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{amqp_url} was accepted");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: AMQP_URL (--amqp-url): "), "{stderr}");
        assert!(stderr.contains(says) && !stderr.contains("pw-secret"), "{stderr}");
    }
}
