use ipscopy::{admin, domain::Role};

use crate::helpers::{PASSWORD, encode, spawn_app};

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

    let (wrong_status, wrong_password) = app.submit_as(&app.email, "guess", &body).await;
    let (unknown_status, unknown_user) = app.submit_as("nobody@acme.example", PASSWORD, &body).await;

    assert_eq!(wrong_status, 401);
    assert_eq!(wrong_password["code"], 10001);
    assert_eq!((unknown_status, &unknown_user), (wrong_status, &wrong_password));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_of_another_company_gets_authorization_fault_20000_whether_or_not_the_company_exists() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let other = admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member("hank@globex.example", other, Role::IpsUser).await;
    let body = app.copy_body(source, "stolen", "");

    let (status, fault) = app.submit_as("hank@globex.example", PASSWORD, &body).await;
    let mut missing_company = body.clone();
    missing_company["companyHandle"] = serde_json::json!("c|4242");
    let (missing_status, missing_fault) =
        app.submit_as("hank@globex.example", PASSWORD, &missing_company).await;

    assert_eq!(status, 403);
    assert_eq!(fault["code"], 20000);
    assert_eq!(fault["fault"], "authorizationFault");
    assert_eq!(missing_status, 403);
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

        let (status, fault) = app.submit_as(email, PASSWORD, &app.copy_body(source, email, "")).await;

        assert_eq!(status, 403, "{role}: {fault}");
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

        let (status, accepted) =
            app.submit_as(&email, PASSWORD, &app.copy_body(source, &email, "wid=8")).await;

        assert_eq!(status, 202, "{role}: {accepted}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ips_admin_may_copy_in_a_company_without_a_membership() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    admin::add_user(&app.pool, "root@ips.example", PASSWORD, Some(Role::IpsAdmin)).await.unwrap();

    let (status, accepted) =
        app.submit_as("root@ips.example", PASSWORD, &app.copy_body(source, "by-admin", "wid=8")).await;

    assert_eq!(status, 202, "{accepted}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_companys_jobs_and_assets_look_exactly_like_missing_ones() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let (_, accepted) = app.submit(&app.copy_body(source, "private", "wid=8")).await;
    let other = admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member("hank@globex.example", other, Role::IpsUser).await;
    let job = accepted["jobHandle"].as_str().unwrap();
    let asset = accepted["assetHandle"].as_str().unwrap();

    let (job_status, job_fault) =
        app.get_json_as("hank@globex.example", &format!("/v1/jobs/{}", encode(job))).await;
    let (asset_status, asset_fault) =
        app.get_json_as("hank@globex.example", &format!("/v1/assets/{}", encode(asset))).await;
    let (content_status, _) =
        app.get_json_as("hank@globex.example", &format!("/v1/assets/{}/content", encode(asset))).await;
    let (missing_status, missing_fault) =
        app.get_json_as("hank@globex.example", &format!("/v1/assets/{}", encode("a|9999"))).await;

    assert_eq!(job_status, 404, "{job_fault}");
    assert_eq!(asset_status, 404, "{asset_fault}");
    assert_eq!(content_status, 404);
    assert_eq!(missing_status, 404);
    assert_eq!(asset_fault["code"], missing_fault["code"]);
    assert!(!asset_fault.to_string().contains("private"));
    app.wait_for_job(job).await;
    app.stop().await;
}
