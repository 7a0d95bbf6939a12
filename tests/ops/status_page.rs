//! The status page in a real browser: headless Debian Chromium loads `/status`, runs its script
//! and shows the queue depth the test created; a screenshot is kept under the target directory.

use std::{path::PathBuf, process::Command};

use ipscopy::app::Roles;

use crate::{helpers::spawn, scrape::queues_until};

/// Debian's Chromium (`apt-get install chromium`), or the browser named by `CHROMIUM`.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Runs headless Chromium on `url` with `action` (`--dump-dom` or `--screenshot=…`); the virtual
/// time budget lets the page's script fetch and draw before the page is read.
fn browse(url: &str, profile: &std::path::Path, action: &str) -> String {
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,1400",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("running {} (apt-get install chromium): {e}", chromium()));
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 DOM")
}

/// The text of the element with `id` in a dumped DOM.
fn text_of(dom: &str, id: &str) -> Option<String> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let after = &dom[start..];
    let open = after.find('>')? + 1;
    let close = after[open..].find('<')?;
    Some(after[open..open + close].trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_the_queue_depth_in_a_browser_and_leaves_a_screenshot() {
    let app = spawn(Roles { api: true, worker: false }, |_| {}).await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    for i in 0..3 {
        app.submit(202, &app.copy_body(source, &format!("waiting-{i}"), "wid=40")).await;
    }
    queues_until(&app, "three ready messages", |f| f["broker"]["ready"] == 3).await;
    let url = format!("{}/status", app.ops_base);
    let profile = tempfile::tempdir().unwrap();
    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ops");
    std::fs::create_dir_all(&artefacts).unwrap();
    let screenshot = artefacts.join("status.png");
    let _ = std::fs::remove_file(&screenshot);

    let (dom, shot) = tokio::task::spawn_blocking({
        let (url, profile, screenshot) = (url.clone(), profile.path().to_path_buf(), screenshot.clone());
        move || {
            let dom = browse(&url, &profile, "--dump-dom");
            browse(&url, &profile, &format!("--screenshot={}", screenshot.display()));
            (dom, std::fs::metadata(&screenshot).map(|m| m.len()))
        }
    })
    .await
    .unwrap();

    assert!(dom.contains("data-loaded=\"true\""), "the page's script did not finish a refresh:\n{dom}");
    assert_eq!(text_of(&dom, "depth-ready").as_deref(), Some("3"), "{dom}");
    assert_eq!(text_of(&dom, "queue-name"), Some(app.topology().jobs_queue));
    assert_eq!(text_of(&dom, "broker-state").as_deref(), Some("broker up"));
    assert!(dom.contains("<td>queued</td><td>3</td>"), "jobs by state are listed:\n{dom}");
    assert!(dom.contains("<polyline"), "the charts are drawn:\n{dom}");
    assert!(shot.is_ok_and(|len| len > 10_000), "screenshot saved at {}", screenshot.display());
    app.stop().await;
}
