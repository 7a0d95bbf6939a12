//! Failed-login throttling on the SOAP front: the same limits as the JSON API, answered as an
//! `ipsApiFault` that says when to retry.

use ipscopy::{domain::Role, soap::xml::Element};

use crate::{
    client::{IPS_2014, Reply, Soap, auth_header, envelope, text},
    helpers::{PASSWORD, TestApp, spawn_app},
};

/// Calls `getCompanyInfo` as `email` from a connection bound to `from` (any of 127.0.0.0/8).
async fn company_info(app: &TestApp, from: &str, email: &str, password: &str) -> Reply {
    let client =
        reqwest::Client::builder().local_address(from.parse::<std::net::IpAddr>().ok()).build().unwrap();
    let params = format!("<companyHandle>{}</companyHandle>", app.company);
    let response = client
        .post(format!("{}/scene7/services/IpsApiService", app.base))
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(&auth_header(email, password), IPS_2014, "getCompanyInfo", &params))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let raw = response.text().await.unwrap();
    let doc = Element::parse(raw.as_bytes()).ok();
    Reply { status, content_type: String::new(), raw, doc }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_ten_failed_logins_the_right_password_gets_an_ips_api_fault_saying_when_to_retry() {
    let app = spawn_app().await;
    app.add_member("bob@acme.example", app.company, Role::IpsUser).await;
    for attempt in 1..=10 {
        let reply = company_info(&app, "127.0.0.1", &app.email, "guess").await;
        assert_eq!(reply.fault_code(), Some(10001), "attempt {attempt}: {}", reply.raw);
    }

    let throttled = company_info(&app, "127.0.0.1", &app.email, PASSWORD).await;
    let bob = company_info(&app, "127.0.0.2", "bob@acme.example", PASSWORD).await;

    assert_eq!(throttled.status, 500);
    let (element, code, reason) = throttled.fault();
    assert_eq!((element.as_str(), code), ("ipsApiFault", 30000));
    assert!(reason.contains("too many failed logins for this user; retry in "), "{reason}");
    assert_eq!(text(throttled.body(), "faultstring"), "ipsApiFault");
    bob.ok("getCompanyInfo");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_login_counts_its_wrong_passwords_so_it_cannot_be_used_to_guess_around_the_limit() {
    let app = spawn_app().await;
    app.add_member("bob@acme.example", app.company, Role::IpsUser).await;
    let guess = format!("<email>{}</email><password>guess</password>", app.email);
    for _ in 0..10 {
        let reply = app.call_as("bob@acme.example", IPS_2014, "checkLogin", &guess).await;
        assert_eq!(text(reply.ok("checkLogin"), "status"), "InvalidLogin");
    }

    let right = format!("<email>{}</email><password>{PASSWORD}</password>", app.email);
    let oracle = app.call_as("bob@acme.example", IPS_2014, "checkLogin", &right).await;
    let own = app.call("getCompanyInfo", &format!("<companyHandle>{}</companyHandle>", app.company)).await;

    assert_eq!(oracle.fault_code(), Some(30000), "{}", oracle.raw);
    assert_eq!(own.fault_code(), Some(30000), "{}", own.raw);
    app.stop().await;
}
