//! A real SOAP toolkit against our WSDL: `tests/soap_client/client.py` (Python zeep).

use std::process::Command;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zeep_client_generated_from_our_wsdl_copies_an_image_and_reads_the_copy() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/soap_client/run.sh");
    let args = [
        app.base.clone(),
        app.email.clone(),
        PASSWORD.to_string(),
        app.company.to_string(),
        source.to_string(),
        app.folder.to_string(),
    ];

    // The client blocks on HTTP while the server runs on this test's runtime threads.
    let output = tokio::task::spawn_blocking(move || Command::new("bash").arg(script).args(args).output())
        .await
        .expect("the client task ends")
        .expect("bash runs");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "zeep client failed:\n{stdout}\n{stderr}");
    assert!(stdout.starts_with("ok: a|"), "{stdout}");
    app.stop().await;
}
