//! The envelope-less entry AEM's Dynamic Media integration posts to: `/scene7/api/IpsApiService`
//! with a `<Request>` body, answered with the bare `<op>Return` (or fault element) as the root.

use ipscopy::soap::xml::Element;

use crate::{
    client::{IPS, items, text},
    helpers::{PASSWORD, TestApp, spawn_app},
};

const AEM_NS: &str = "http://www.scene7.com/IpsApi/xsd/2017-10-29-beta";

/// POSTs a `<Request>` as AEM marshals it (faults asked for with HTTP 200); returns status and root.
async fn request(app: &TestApp, password: &str, param: &str) -> (u16, Element) {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Request xmlns="{AEM_NS}"><authHeader xmlns="{IPS}"><user>{}</user><password>{password}</password><appName>AEM</appName><faultHttpStatusCode>200</faultHttpStatusCode></authHeader>{param}</Request>"#,
        app.email
    );
    let response = app
        .http
        .post(format!("{}/scene7/api/IpsApiService", app.base))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let raw = response.bytes().await.expect("a body");
    (
        status,
        Element::parse(&raw).unwrap_or_else(|e| panic!("not XML ({e}): {}", String::from_utf8_lossy(&raw))),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aem_style_request_copies_an_image_finds_it_by_search_and_gets_a_bare_fault() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);

    let (status, copied) = request(
        &app,
        PASSWORD,
        &format!(
            "<copyImageParam>{c}<assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle><name>from-aem</name><urlModifier>wid=64</urlModifier></copyImageParam>",
            app.folder
        ),
    )
    .await;
    assert_eq!((status, copied.name.as_str(), copied.ns.as_deref()), (200, "copyImageReturn", Some(AEM_NS)));
    let handle = text(&copied, "assetHandle").to_string();

    let (_, found) = request(
        &app,
        PASSWORD,
        &format!("<searchAssetsParam>{c}<includeSubfolders>true</includeSubfolders></searchAssetsParam>"),
    )
    .await;
    assert_eq!(found.name, "searchAssetsReturn");
    // The XPath AEM reads: /searchAssetsReturn/assetArray/items.
    let names: Vec<&str> = items(&found, "assetArray").iter().map(|a| text(a, "name")).collect();
    assert!(names.contains(&"from-aem") && names.contains(&"chelsea"), "{names:?}");
    let copy = items(&found, "assetArray").into_iter().find(|a| text(a, "name") == "from-aem").unwrap();
    assert_eq!(text(copy, "assetHandle"), handle);

    let (status, fault) =
        request(&app, "wrong", &format!("<getCompanyInfoParam>{c}</getCompanyInfoParam>")).await;
    assert_eq!((status, fault.name.as_str(), fault.ns.as_deref()), (200, "authenticationFault", Some(IPS)));
    assert_eq!(text(&fault, "code"), "10001");

    let (status, two) =
        request(&app, PASSWORD, &format!("<getCompanyInfoParam>{c}</getCompanyInfoParam><x/>")).await;
    assert_eq!((status, two.name.as_str()), (200, "ipsApiFault"));
    assert_eq!(text(&two, "code"), "30003");
    app.stop().await;
}
