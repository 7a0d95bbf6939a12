//! schemathesis, a fuzzer we did not write, against the served `/openapi.json` with every
//! check on: each request the document allows must be accepted (or refused only for a missing
//! resource or right), each one it forbids refused, and every answer must match the document.

use std::process::Command;

use crate::helpers::{PASSWORD, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_against_the_served_api_document() {
    // The fuzzer sends wrong credentials thousands of times on purpose (each must get a 401); the
    // login throttle, which would answer 429 after ten, has tests of its own.
    let app = spawn_app_with(|s| {
        s.login.login_max_failures_per_user = 0;
        s.login.login_max_failures_per_address = 0;
    })
    .await;
    // A real source, so the copies that do reach a company of ours have something to find.
    app.add_image("chelsea", "chelsea.png").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/openapi_client/run.sh");
    let args = [app.base.clone(), app.email.clone(), PASSWORD.to_string()];

    // The fuzzer blocks on HTTP while the server runs on this test's runtime threads.
    let output = tokio::task::spawn_blocking(move || Command::new("bash").arg(script).args(args).output())
        .await
        .expect("the fuzzer task ends")
        .expect("bash runs");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "schemathesis reported failures:\n{stdout}\n{stderr}");
    assert!(stdout.contains("passed"), "schemathesis ran no test:\n{stdout}");
    app.stop().await;
}
