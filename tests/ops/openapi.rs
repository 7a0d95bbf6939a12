//! `/openapi.json` documents exactly the `/v1` routes the routers serve: a route added, removed
//! or given another method without the document following fails here.

use std::{collections::BTreeSet, path::Path};

use serde_json::Value;

use crate::helpers::spawn_app;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every `(method, path)` under `/v1` that a `.route("…", get(…).post(…))` in `src/` declares.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for (start, _) in source.match_indices(".route(") {
            let call = balanced(&source[start + ".route".len()..]);
            let Some(route) = call.split('"').nth(1) else { continue };
            if !route.starts_with("/v1") {
                continue;
            }
            for method in METHODS {
                let declared = call
                    .match_indices(&format!("{method}("))
                    .any(|(i, _)| !call[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if declared {
                    routes.insert((method.to_string(), route.to_string()));
                }
            }
        }
    }
    routes
}

/// The text of the parenthesised call that `text` starts with.
fn balanced(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..=i];
                }
            }
            _ => {}
        }
    }
    text
}

fn routes_in_document(document: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn the_document_lists_every_v1_route_and_no_other() {
    let document = serde_json::to_value(ipscopy::http::openapi::document()).unwrap();
    let served = routes_in_source();
    let documented = routes_in_document(&document);
    assert!(served.len() > 10, "the route scan found too little: {served:?}");

    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "src/http/openapi.rs has drifted from the routers.\nserved but not documented: {undocumented:?}\n\
         documented but not served: {unrouted:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_openapi_3_and_each_operation_reaches_a_handler() {
    let app = spawn_app().await;
    let text = app.get_text(200, "/openapi.json").await;
    let served: Value = serde_json::from_str(&text).unwrap();
    assert!(served["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{served}");
    assert_eq!(served, serde_json::to_value(ipscopy::http::openapi::document()).unwrap());

    for (method, path) in routes_in_document(&served) {
        let concrete =
            path.split('/').map(|p| if p.starts_with('{') { "x" } else { p }).collect::<Vec<_>>().join("/");
        let response = app
            .http
            .request(method.to_uppercase().parse().unwrap(), format!("{}{concrete}", app.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        // An unknown route answers 404 "no route …" and an unknown method 405; handlers answer
        // otherwise (here mostly 401, since no credentials are sent).
        let reason = serde_json::from_slice::<Value>(&body).unwrap_or_default()["reason"].to_string();
        assert_ne!(status, 405, "{method} {path} is documented but not routed");
        assert!(
            !(status == 404 && reason.contains("no route")),
            "{method} {path} is documented but not routed"
        );
    }
    app.stop().await;
}

/// The document as committed at the repository root, for clients generated without a server.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_committed_openapi_json_is_the_document_the_server_serves() {
    let current = serde_json::to_string_pretty(&ipscopy::http::openapi::document()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &current).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == current,
        "openapi.json differs from the document the handlers describe; review the change and \
         rewrite it with: UPDATE_OPENAPI=1 cargo test --test ops committed_openapi"
    );
}
