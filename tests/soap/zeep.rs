//! A real SOAP toolkit against our WSDL: `tests/soap_client/client.py` (Python zeep).

use crate::helpers::{PASSWORD, run_script, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zeep_client_generated_from_our_wsdl_copies_an_image_and_reads_the_copy() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let args = vec![
        app.base.clone(),
        app.email.clone(),
        PASSWORD.to_string(),
        app.company.to_string(),
        source.to_string(),
        app.folder.to_string(),
    ];

    let run = run_script("tests/soap_client/run.sh", args).await;

    assert!(run.passed, "zeep client failed:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("ok: a|"), "{}", run.stdout);
    app.stop().await;
}
