//! Hostile and broken XML: every case gets a fault or 413, and nothing is written.

use crate::{
    client::{IPS_2014, SOAP11, Soap, auth_header, envelope},
    helpers::{PASSWORD, TestApp, spawn_app},
};

/// Rows that any accepted write would add to.
async fn rows(app: &TestApp) -> (i64, i64, i64) {
    let count = |table: &'static str| async move {
        sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table}"))
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    (count("assets").await, count("jobs").await, count("folders").await)
}

fn copy_params(app: &TestApp, source: &str) -> String {
    format!(
        "<companyHandle>{}</companyHandle><assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle><name>evil</name><urlModifier/>",
        app.company, app.folder
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_xml_is_fault_30003_and_writes_nothing() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    let before = rows(&app).await;
    let good =
        envelope(&auth_header(&app.email, PASSWORD), IPS_2014, "copyImage", &copy_params(&app, &source));
    let broken = [
        good.replace("</name>", "</nam>"),
        good[..good.len() - 20].to_string(),
        good.replace("<soapenv:Body>", "<soapenv:Body>&bogus;"),
        "not xml at all".to_string(),
        String::new(),
        format!("<Envelope xmlns=\"urn:not-soap\">{good}</Envelope>"),
    ];

    for body in broken {
        let reply = app.post_soap(body.clone(), &[]).await;
        assert_eq!(reply.status, 500, "{body}: {}", reply.raw);
        let (element, code, _) = reply.fault();
        assert_eq!((element.as_str(), code), ("ipsApiFault", 30003), "{body}: {}", reply.raw);
    }
    assert_eq!(rows(&app).await, before);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_entities_and_entity_expansion_are_refused_before_anything_runs() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    let before = rows(&app).await;
    let body =
        envelope(&auth_header(&app.email, PASSWORD), IPS_2014, "copyImage", &copy_params(&app, &source));
    let xxe = body
        .replacen(
            "<soapenv:Envelope",
            "<!DOCTYPE x [<!ENTITY secret SYSTEM \"file:///etc/passwd\">]><soapenv:Envelope",
            1,
        )
        .replace("<name>evil</name>", "<name>&secret;</name>");
    let laughs = body
        .replacen(
            "<soapenv:Envelope",
            "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><soapenv:Envelope",
            1,
        )
        .replace("<name>evil</name>", "<name>&c;</name>");

    for hostile in [xxe, laughs] {
        let reply = app.post_soap(hostile, &[]).await;
        let (_, code, reason) = reply.fault();
        assert_eq!(code, 30003, "{}", reply.raw);
        assert!(reason.contains("DTD"), "{reason}");
        assert!(!reply.raw.contains("root:"), "file contents leaked: {}", reply.raw);
    }
    assert_eq!(rows(&app).await, before);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_in_a_foreign_namespace_is_refused_with_the_namespaces_we_accept() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await.to_string();
    let before = rows(&app).await;

    let reply = app
        .post_soap(
            envelope(
                &auth_header(&app.email, PASSWORD),
                "http://example.com/IpsApi",
                "copyImage",
                &copy_params(&app, &source),
            ),
            &[],
        )
        .await;

    let (_, code, reason) = reply.fault();
    assert_eq!(code, 30003);
    assert!(
        reason.contains("http://www.scene7.com/IpsApi/xsd") && reason.contains("example.com"),
        "{reason}"
    );
    assert_eq!(rows(&app).await, before);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_elements_are_fault_30002_naming_the_element() {
    let app = spawn_app().await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let empty_body = format!(
        r#"<s:Envelope xmlns:s="{SOAP11}"><s:Header>{}</s:Header><s:Body/></s:Envelope>"#,
        auth_header(&app.email, PASSWORD)
    );

    let cases = [
        ("getAssets", c.clone(), "assetHandleArray"),
        ("copyImage", format!("{c}<assetHandle>a|1</assetHandle><folderHandle>Acme/</folderHandle>"), "name"),
        ("getFolders", String::new(), "companyHandle"),
        ("getFolderTree", c.clone(), "depth"),
        ("checkLogin", "<email>x@y</email>".to_string(), "password"),
    ];
    for (op, params, missing) in cases {
        let reply = app.call(op, &params).await;
        let (element, code, reason) = reply.fault();
        assert_eq!((element.as_str(), code), ("ipsApiFault", 30002), "{op}: {}", reply.raw);
        assert!(reason.contains(missing), "{op}: {reason:?} should name {missing}");
    }
    assert_eq!(app.post_soap(empty_body, &[]).await.fault().1, 30002);
    app.stop().await;
}

/// The status answered to a body over the limit. The server refuses it from its Content-Length
/// and closes without reading it, so the client, still writing, sometimes gets a broken pipe
/// instead of the 413 (seen once in CI); such an attempt is repeated, and a 413 must come. Its
/// own client keeps the connection the server closes out of the test app's pool.
async fn status_of_oversized(app: &TestApp, op: &str, params: &str) -> u16 {
    let body = envelope(&auth_header(&app.email, PASSWORD), IPS_2014, op, params);
    let http = reqwest::Client::new();
    for _ in 0..5 {
        let sent = http
            .post(format!("{}/scene7/services/IpsApiService", app.base))
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", op)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => return response.status().as_u16(),
            Err(e) if e.is_request() => continue,
            Err(e) => panic!("request failed: {e}"),
        }
    }
    panic!("five uploads of the oversized body all lost the server's answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_with_413_and_deep_nesting_with_30003() {
    let app = spawn_app().await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let huge = format!(
        "{c}<nameArray>{}</nameArray>",
        "<items>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</items>".repeat(120_000)
    );
    let deep = format!("{c}{}{}", "<x>".repeat(100), "</x>".repeat(100));

    let too_big = status_of_oversized(&app, "getAssetsByName", &huge).await;
    let too_deep = app.call("getAssetsByName", &deep).await;

    assert_eq!(too_big, 413);
    let (_, code, reason) = too_deep.fault();
    assert_eq!(code, 30003);
    assert!(reason.contains("nested"), "{reason}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multibyte_character_where_the_namespace_date_ends_is_fault_30003_not_a_hang_up() {
    // Found while writing the soap_envelope fuzz target: slicing the namespace at byte 10 panicked.
    let app = spawn_app().await;
    let ns = "http://www.scene7.com/IpsApi/xsd/2014-04-0\u{e9}";
    let body =
        envelope(&auth_header(&app.email, PASSWORD), ns, "getCompanyInfo", "<companyName>x</companyName>");
    let reply = app.post_soap(body, &[]).await;
    assert_eq!(reply.status, 500, "{}", reply.raw);
    let (element, code, reason) = reply.fault();
    assert_eq!((element.as_str(), code), ("ipsApiFault", 30003), "{}", reply.raw);
    assert!(reason.contains("IPS namespace"), "{reason}");
    app.stop().await;
}
