//! Envelopes, namespaces, authentication and faults, as IPS clients see them.

use crate::{
    client::{IPS, IPS_2008, IPS_2014, SOAP12, Soap, auth_header, envelope, text},
    helpers::{PASSWORD, spawn_app},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_image_doc_example_round_trips_in_the_2008_namespace() {
    let app = spawn_app().await;
    let source = app.add_image("macbookwin1", "chelsea.png").await;
    // spec/ips-api.md §3, with this server's handles in place of c|6 and a|739|1|537.
    let params = format!(
        "<companyHandle>{}</companyHandle><assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle><name>Copy_macbookwin1</name><urlModifier/>",
        app.company, app.folder
    );

    let reply = app.call_as(&app.email, IPS_2008, "copyImage", &params).await;

    let ret = reply.ok("copyImage");
    assert_eq!(ret.ns.as_deref(), Some(IPS_2008), "{}", reply.raw);
    assert_eq!(ret.children.len(), 1, "{}", reply.raw);
    let handle = text(ret, "assetHandle");
    assert_eq!(ret.child("assetHandle").unwrap().ns.as_deref(), Some(IPS_2008));
    assert!(handle.starts_with("a|") && handle != source.to_string(), "{handle}");
    assert_eq!(reply.content_type, "text/xml; charset=utf-8");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_come_in_the_namespace_of_the_request_including_unknown_dated_ones() {
    let app = spawn_app().await;
    let params = format!("<companyHandle>{}</companyHandle>", app.company);

    for ns in [
        IPS,
        IPS_2008,
        IPS_2014,
        "http://www.scene7.com/IpsApi/xsd/2013-08-29-beta",
        "http://www.scene7.com/IpsApi/xsd/2031-01-15",
    ] {
        let reply = app.call_as(&app.email, ns, "getCompanyInfo", &params).await;
        let ret = reply.ok("getCompanyInfo");
        assert_eq!(ret.ns.as_deref(), Some(ns));
        let info = ret.child("companyInfo").expect("companyInfo");
        assert_eq!(info.ns.as_deref(), Some(ns));
        assert_eq!(text(info, "companyHandle"), app.company.to_string());
        assert_eq!(text(info, "name"), "Acme");
        assert_eq!(text(info, "rootPath"), "Acme/");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soap_12_request_gets_a_soap_12_reply_and_fault() {
    let app = spawn_app().await;
    let envelope_12 = |headers: &str| {
        format!(
            r#"<env:Envelope xmlns:env="{SOAP12}"><env:Header>{headers}</env:Header><env:Body><getCompanyInfoParam xmlns="{IPS_2014}"><companyName>Acme</companyName></getCompanyInfoParam></env:Body></env:Envelope>"#
        )
    };
    let soap12 = [("content-type", "application/soap+xml; charset=utf-8; action=\"getCompanyInfo\"")];

    let reply = app.post_soap(envelope_12(&auth_header(&app.email, PASSWORD)), &soap12).await;
    let fault = app.post_soap(envelope_12(""), &soap12).await;

    assert_eq!(reply.doc.as_ref().unwrap().ns.as_deref(), Some(SOAP12), "{}", reply.raw);
    assert_eq!(reply.content_type, "application/soap+xml; charset=utf-8");
    assert_eq!(text(reply.ok("getCompanyInfo").child("companyInfo").unwrap(), "name"), "Acme");
    assert_eq!(fault.status, 500);
    assert_eq!(fault.doc.as_ref().unwrap().ns.as_deref(), Some(SOAP12));
    let code = fault.body().child("Code").and_then(|c| c.child("Value")).map(|v| v.text.clone());
    assert_eq!(code.as_deref(), Some("soapenv:Sender"));
    assert_eq!(fault.fault().1, 10000);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_get_http_500_with_an_authentication_fault_10000() {
    let app = spawn_app().await;
    let body = envelope("", IPS_2014, "checkLogin", "<email>x@y</email><password>p</password>");

    let reply = app.post_soap(body, &[("soapaction", "checkLogin")]).await;

    assert_eq!(reply.status, 500);
    let (element, code, reason) = reply.fault();
    assert_eq!((element.as_str(), code), ("authenticationFault", 10000));
    assert!(reason.contains("authHeader"), "{reason}");
    let fault = reply.body();
    assert_eq!(text(fault, "faultcode"), "soapenv:Client");
    assert_eq!(text(fault, "faultstring"), "AuthenticationException");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_fault_10001_sent_with_the_status_the_client_asked_for() {
    let app = spawn_app().await;
    let header = format!(
        r#"<authHeader xmlns="{IPS}"><user>{}</user><password>wrong</password><faultHttpStatusCode>200</faultHttpStatusCode></authHeader>"#,
        app.email
    );
    let params = format!("<companyHandle>{}</companyHandle>", app.company);

    let reply = app.post_soap(envelope(&header, IPS_2014, "getCompanyInfo", &params), &[]).await;

    assert_eq!(reply.status, 200);
    let (element, code, reason) = reply.fault();
    assert_eq!((element.as_str(), code), ("authenticationFault", 10001));
    assert_eq!(reason, "Invalid username/password");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_basic_and_the_legacy_auth_headers_authenticate_too() {
    let app = spawn_app().await;
    let params = format!("<companyHandle>{}</companyHandle>", app.company);
    let basic = format!("Basic {}", base64_of(&format!("{}:{PASSWORD}", app.email)));
    let legacy = format!(
        r#"<AuthUser xmlns="http://www.scene7.com/IpsApi">{}</AuthUser><AuthPassword xmlns="http://www.scene7.com/IpsApi">{PASSWORD}</AuthPassword>"#,
        app.email
    );

    let by_basic = app
        .post_soap(envelope("", IPS_2014, "getCompanyInfo", &params), &[("authorization", basic.as_str())])
        .await;
    let by_legacy = app.post_soap(envelope(&legacy, IPS_2014, "getCompanyInfo", &params), &[]).await;

    by_basic.ok("getCompanyInfo");
    by_legacy.ok("getCompanyInfo");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doc_examples_of_check_login_get_company_info_and_get_user_info_round_trip() {
    let app = spawn_app().await;

    let valid = app
        .call(
            "checkLogin",
            &format!(
                "<companyHandle>{}</companyHandle><email>{}</email><password>{PASSWORD}</password>",
                app.company, app.email
            ),
        )
        .await;
    let invalid =
        app.call("checkLogin", &format!("<email>{}</email><password>nope</password>", app.email)).await;
    // The getCompanyInfo example asks by name in the unversioned namespace.
    let by_name = app.call_as(&app.email, IPS, "getCompanyInfo", "<companyName>Acme</companyName>").await;
    let user = app.call("getUserInfo", "").await;

    assert_eq!(text(valid.ok("checkLogin"), "status"), "ValidLogin");
    assert_eq!(text(invalid.ok("checkLogin"), "status"), "InvalidLogin");
    let info = by_name.ok("getCompanyInfo").child("companyInfo").unwrap();
    let names: Vec<&str> = info.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["companyHandle", "name", "rootPath"]);
    assert_eq!(text(info, "companyHandle"), app.company.to_string());
    let user = user.ok("getUserInfo").child("userInfo").unwrap();
    assert_eq!(text(user, "email"), app.email);
    assert!(text(user, "userHandle").starts_with("u|") && text(user, "userHandle").ends_with(&app.email));
    assert_eq!(text(user, "defaultRole"), "IpsUser");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soap_action_that_disagrees_with_the_body_is_refused() {
    let app = spawn_app().await;
    let body = envelope(&auth_header(&app.email, PASSWORD), IPS_2014, "getUserInfo", "");

    let reply = app.post_soap(body, &[("soapaction", "\"deleteAssets\"")]).await;

    let (element, code, reason) = reply.fault();
    assert_eq!((element.as_str(), code), ("ipsApiFault", 30003));
    assert!(reason.contains("deleteAssets"), "{reason}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_that_is_not_implemented_is_named_in_the_fault() {
    let app = spawn_app().await;

    let reply = app.call("addCompany", "<companyName>Evil</companyName>").await;

    let (_, code, reason) = reply.fault();
    assert_eq!(code, 30003);
    assert!(reason.contains("addCompany"), "{reason}");
    app.stop().await;
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_asset_handles_and_f_prefixed_folder_handles_are_accepted() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let params = format!(
        "<companyHandle>{}</companyHandle><assetHandle>a|{}</assetHandle><folderHandle>f|{}</folderHandle><name>short</name><urlModifier/>",
        app.company, source.asset_id, app.folder
    );

    let reply = app.call("copyImage", &params).await;

    let handle = text(reply.ok("copyImage"), "assetHandle").to_string();
    let parts: Vec<&str> = handle.split('|').collect();
    let company = app.company.0.to_string();
    assert_eq!((parts.len(), parts[0], parts[1], parts[2]), (4, "a", company.as_str(), "1"), "{handle}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_get_folder_tree_doc_example_with_prefixes_and_a_bare_company_id_round_trips() {
    let app = spawn_app().await;
    // The shape of the getFolderTree doc example: ns1-prefixed, unversioned, a pre-4.0 handle.
    let body = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>{}</soapenv:Header><soapenv:Body><ns1:getFolderTreeParam xmlns:ns1="{IPS}"><ns1:companyHandle>{}</ns1:companyHandle><ns1:depth>-1</ns1:depth></ns1:getFolderTreeParam></soapenv:Body></soapenv:Envelope>"#,
        auth_header(&app.email, PASSWORD),
        app.company.0
    );

    let reply = app.post_soap(body, &[("soapaction", "getFolderTree")]).await;

    let ret = reply.ok("getFolderTree");
    assert_eq!(ret.ns.as_deref(), Some(IPS));
    let root = ret.child("folders").unwrap();
    let fields: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(fields, ["folderHandle", "path", "lastModified", "hasSubfolders", "subfolderArray"]);
    assert_eq!(text(root, "path"), "Acme/");
    let sub = root.child("subfolderArray").unwrap().child("items").unwrap();
    assert_eq!(text(sub, "folderHandle"), "Acme/copies/");
    assert_eq!(text(sub, "hasSubfolders"), "false");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wsdl_files_are_served_with_the_address_the_client_used_or_the_one_it_asked_for() {
    let app = spawn_app().await;
    let get = |path: String| {
        let http = app.http.clone();
        async move {
            let response = http.get(path).send().await.expect("request sent");
            (response.status().as_u16(), response.text().await.expect("body"))
        }
    };

    let (status_2014, wsdl_2014) =
        get(format!("{}/scene7/webservice/IpsApi-2014-04-03.wsdl", app.base)).await;
    let (status_2008, wsdl_2008) = get(format!(
        "{}/scene7/webservice/IpsApi-2008-01-15.wsdl?serviceUrl=https://proxy.example/scene7/services/IpsApiService",
        app.base
    ))
    .await;
    let (status_missing, _) = get(format!("{}/scene7/webservice/IpsApi-1999-01-01.wsdl", app.base)).await;
    let (status_axis, wsdl_axis) = get(format!("{}/scene7/services/IpsApiService?wsdl", app.base)).await;

    assert_eq!((status_2014, status_2008, status_missing, status_axis), (200, 200, 404, 200));
    assert_eq!(wsdl_axis, wsdl_2014);
    assert!(wsdl_2014.contains(r#"targetNamespace="http://www.scene7.com/IpsApi/xsd/2014-04-03""#));
    assert!(wsdl_2014.contains(&format!(r#"location="{}/scene7/services/IpsApiService""#, app.base)));
    assert!(wsdl_2008.contains(r#"targetNamespace="http://www.scene7.com/IpsApi/xsd/2008-01-15""#));
    assert!(wsdl_2008.contains(r#"location="https://proxy.example/scene7/services/IpsApiService""#));
    app.stop().await;
}
