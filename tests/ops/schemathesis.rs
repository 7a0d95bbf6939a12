//! schemathesis, a fuzzer we did not write, against the served `/openapi.json` with every
//! check on: each request the document allows must be accepted (or refused only for a missing
//! resource or right), each one it forbids refused, and every answer must match the document.

use crate::helpers::{PASSWORD, run_script, spawn_app_with};

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
    let args = vec![app.base.clone(), app.email.clone(), PASSWORD.to_string()];

    let run = run_script("tests/openapi_client/run.sh", args).await;

    assert!(run.passed, "schemathesis reported failures:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("passed"), "schemathesis ran no test:\n{}", run.stdout);
    app.stop().await;
}
