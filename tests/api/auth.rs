use std::net::IpAddr;

use ipscopy::{admin, domain::Role};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, encode, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_credentials_gets_authentication_fault_10000() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;

    let response = app
        .http
        .post(format!("{}/v1/copies", app.base))
        .json(&app.copy_body(source, "x", ""))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"ipscopy\"");
    let fault: serde_json::Value = response.json().await.unwrap();
    assert_eq!(fault["code"], 10000);
    assert_eq!(fault["fault"], "authenticationFault");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_user_get_the_same_fault_10001() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let body = app.copy_body(source, "x", "");

    let wrong_password = app.submit_as(401, &app.email, "guess", &body).await;
    let unknown_user = app.submit_as(401, "nobody@acme.example", PASSWORD, &body).await;

    assert_eq!(wrong_password["code"], 10001);
    assert_eq!(unknown_user, wrong_password);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_of_another_company_gets_authorization_fault_20000_whether_or_not_the_company_exists() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let other = admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member("hank@globex.example", other, Role::IpsUser).await;
    let body = app.copy_body(source, "stolen", "");

    let fault = app.submit_as(403, "hank@globex.example", PASSWORD, &body).await;
    let mut missing_company = body.clone();
    missing_company["companyHandle"] = serde_json::json!("c|4242");
    let missing_fault = app.submit_as(403, "hank@globex.example", PASSWORD, &missing_company).await;

    assert_eq!(fault["code"], 20000);
    assert_eq!(fault["fault"], "authorizationFault");
    assert_eq!(missing_fault["code"], 20000);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_that_may_only_read_get_20003_on_copy() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    for (email, role) in [
        ("viewer@acme.example", Role::ImagePortalUser),
        ("trial@acme.example", Role::TrialSiteUser),
        ("ws@acme.example", Role::WebServiceUser),
    ] {
        app.add_member(email, app.company, role).await;

        let fault = app.submit_as(403, email, PASSWORD, &app.copy_body(source, email, "")).await;

        assert_eq!(fault["code"], 20003, "{role}");
        assert!(fault["reason"].as_str().unwrap().contains(role.as_str()), "{fault}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_writer_role_may_copy() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    for role in [
        Role::IpsCompanyAdmin,
        Role::ImagePortalAdmin,
        Role::ImagePortalContrib,
        Role::ImagePortalContribUser,
    ] {
        let email = format!("{role}@acme.example");
        app.add_member(&email, app.company, role).await;

        app.submit_as(202, &email, PASSWORD, &app.copy_body(source, &email, "wid=8")).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ips_admin_may_copy_in_a_company_without_a_membership() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    admin::add_user(&app.pool, "root@ips.example", PASSWORD, Some(Role::IpsAdmin)).await.unwrap();

    app.submit_as(202, "root@ips.example", PASSWORD, &app.copy_body(source, "by-admin", "wid=8")).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_companys_jobs_and_assets_look_exactly_like_missing_ones() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let accepted = app.submit(202, &app.copy_body(source, "private", "wid=8")).await;
    let other = admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member("hank@globex.example", other, Role::IpsUser).await;
    let job = accepted["jobHandle"].as_str().unwrap();
    let asset = accepted["assetHandle"].as_str().unwrap();

    let hank = "hank@globex.example";
    app.get_json_as(404, hank, &format!("/v1/jobs/{}", encode(job))).await;
    let asset_fault = app.get_json_as(404, hank, &format!("/v1/assets/{}", encode(asset))).await;
    app.get_json_as(404, hank, &format!("/v1/assets/{}/content", encode(asset))).await;
    let missing_fault = app.get_json_as(404, hank, &format!("/v1/assets/{}", encode("a|9999"))).await;

    assert_eq!(asset_fault["code"], missing_fault["code"]);
    assert!(!asset_fault.to_string().contains("private"));
    app.wait_for_job(job).await;
    app.stop().await;
}

/// A client whose connections come from `address` (any of 127.0.0.0/8 reaches the test server).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder().local_address(address.parse::<IpAddr>().unwrap()).build().unwrap()
}

/// Lists the company's webhooks as `email`: status, `Retry-After` and body.
async fn log_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> (u16, Option<u64>, Value) {
    let response = client
        .get(format!("{}/v1/webhooks?companyHandle={}", app.base, encode(&app.company.to_string())))
        .basic_auth(email, Some(password))
        .send()
        .await
        .unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry_after, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_ten_failed_logins_a_user_gets_429_even_with_the_right_password_while_others_log_in() {
    let app = spawn_app().await;
    app.add_member("bob@acme.example", app.company, Role::IpsUser).await;
    let (home, elsewhere) = (client_from("127.0.0.1"), client_from("127.0.0.2"));
    for attempt in 1..=10 {
        let (status, _, fault) = log_in(&app, &home, &app.email, "guess").await;
        assert_eq!((status, &fault["code"]), (401, &json!(10001)), "attempt {attempt}: {fault}");
    }

    let (status, retry_after, fault) = log_in(&app, &home, &app.email, PASSWORD).await;
    let (moved_status, _, _) = log_in(&app, &elsewhere, &app.email, PASSWORD).await;
    let (bob_status, _, bob_sees) = log_in(&app, &elsewhere, "bob@acme.example", PASSWORD).await;

    assert_eq!(status, 429, "{fault}");
    assert_eq!(fault["code"], 30000);
    assert_eq!(fault["fault"], "ipsApiFault");
    let reason = fault["reason"].as_str().unwrap();
    assert!(reason.contains("too many failed logins for this user"), "{reason}");
    let retry_after = retry_after.expect("a Retry-After header");
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert!(reason.contains(&format!("retry in {retry_after} s")), "{reason}");
    assert_eq!(moved_status, 429, "the user is throttled from every address");
    assert_eq!(bob_status, 200, "{bob_sees}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_failed_too_often_is_refused_for_every_user_while_other_addresses_log_in() {
    let app = spawn_app_with(|s| s.login.login_max_failures_per_address = 5).await;
    let (home, elsewhere) = (client_from("127.0.0.1"), client_from("127.0.0.2"));
    for n in 0..5 {
        let (status, _, _) = log_in(&app, &home, &format!("guess{n}@acme.example"), "guess").await;
        assert_eq!(status, 401);
    }

    let (status, retry_after, fault) = log_in(&app, &home, &app.email, PASSWORD).await;
    let (other_status, _, other) = log_in(&app, &elsewhere, &app.email, PASSWORD).await;

    assert_eq!(status, 429, "{fault}");
    assert!(retry_after.is_some());
    assert!(fault["reason"].as_str().unwrap().contains("from address 127.0.0.1"), "{fault}");
    assert_eq!(other_status, 200, "{other}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_login_forgives_the_users_earlier_failures() {
    let app = spawn_app().await;
    let home = client_from("127.0.0.1");
    for _ in 0..9 {
        assert_eq!(log_in(&app, &home, &app.email, "guess").await.0, 401);
    }
    assert_eq!(log_in(&app, &home, &app.email, PASSWORD).await.0, 200);

    for _ in 0..9 {
        assert_eq!(log_in(&app, &home, &app.email, "guess").await.0, 401);
    }
    let (status, _, body) = log_in(&app, &home, &app.email, PASSWORD).await;

    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_login_still_refuses_other_passwords_and_follows_a_password_change() {
    let app = spawn_app().await;
    let home = client_from("127.0.0.1");
    assert_eq!(log_in(&app, &home, &app.email, PASSWORD).await.0, 200);
    assert_eq!(log_in(&app, &home, &app.email, PASSWORD).await.0, 200, "the remembered check");
    assert_eq!(log_in(&app, &home, &app.email, "guess").await.0, 401);

    let hash = ipscopy::auth::hash_password("a-new-password").unwrap();
    sqlx::query("update users set password_hash = $1 where email = $2")
        .bind(hash)
        .bind(&app.email)
        .execute(&app.pool)
        .await
        .unwrap();
    let (old_status, _, fault) = log_in(&app, &home, &app.email, PASSWORD).await;
    let (new_status, _, body) = log_in(&app, &home, &app.email, "a-new-password").await;

    assert_eq!(old_status, 401, "the old password stops working at once: {fault}");
    assert_eq!(new_status, 200, "{body}");
    app.stop().await;
}
