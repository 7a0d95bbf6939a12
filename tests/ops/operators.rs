//! Operators' data stays with operators: on the tenants' listener the ops routes answer only to
//! an IpsAdmin user, while the operators' listener serves them; unknown routes answer in the
//! error shape on both.

use ipscopy::domain::Role;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, requests::send_expecting, spawn_app};

const OPS_ROUTES: [&str; 4] = ["/metrics", "/status", "/v1/queues", "/v1/queues/history"];
const TENANT: &str = "tina@globex.example";
const OPERATOR: &str = "olga@ops.example";

async fn get(app: &TestApp, expected: u16, base: &str, path: &str, user: Option<&str>) -> String {
    let mut request = app.http.get(format!("{base}{path}"));
    if let Some(user) = user {
        request = request.basic_auth(user, Some(PASSWORD));
    }
    send_expecting(expected, request).await.text()
}

fn fault(text: &str) -> (u64, String) {
    let body: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not the error shape: {text}"));
    (body["code"].as_u64().unwrap_or(0), body["fault"].as_str().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_routes_on_the_tenants_listener_refuse_anonymous_and_tenant_callers_and_serve_an_ips_admin() {
    let app = spawn_app().await;
    // Acme has a failed copy, whose company and reason an operator's figures would show.
    let broken = app.add_image("broken", "chelsea-truncated.png").await;
    let accepted = app.submit(202, &app.copy_body(broken, "acme-secret-copy", "wid=40")).await;
    app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    let globex = ipscopy::admin::add_company(&app.pool, "Globex").await.unwrap();
    app.add_member(TENANT, globex, Role::IpsCompanyAdmin).await;
    ipscopy::admin::add_user(&app.pool, OPERATOR, PASSWORD, Some(Role::IpsAdmin)).await.unwrap();
    let acme = app.company.to_string();

    for path in OPS_ROUTES {
        let text = get(&app, 401, &app.base, path, None).await;
        assert_eq!(fault(&text), (10000, "authenticationFault".into()), "{path}");
        for tenant in [TENANT, app.email.as_str()] {
            let text = get(&app, 403, &app.base, path, Some(tenant)).await;
            assert_eq!(fault(&text), (20003, "authorizationFault".into()), "{path} {tenant}");
            assert!(!text.contains(&acme) && !text.contains("SourceUndecodable"), "{path}: {text}");
        }
        // For an IpsAdmin, then on the operators' listener.
        get(&app, 200, &app.base, path, Some(OPERATOR)).await;
        get(&app, 200, &app.ops_base, path, None).await;
    }
    let figures = get(&app, 200, &app.ops_base, "/v1/queues", None).await;
    assert!(figures.contains(&acme) && figures.contains("SourceUndecodable"), "{figures}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_answer_in_the_error_shape_on_both_listeners() {
    let app = spawn_app().await;
    for base in [&app.base, &app.ops_base] {
        for (method, path, status) in [
            ("GET", "/no/such/route", 404),
            ("GET", "/scene7/no-such-servlet", 404),
            ("DELETE", "/healthz", 405),
            ("POST", "/readyz", 405),
        ] {
            let response = app
                .http
                .request(method.parse().unwrap(), format!("{base}{path}"))
                .send()
                .await
                .expect("request sent");
            let got = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(got, status, "{method} {base}{path}: {text}");
            let body: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: {text:?}"));
            assert_eq!((body["code"].as_u64(), body["fault"].as_str()), (Some(30001), Some("ipsApiFault")));
            assert!(body["reason"].as_str().is_some_and(|r| r.contains(path)), "{body}");
        }
    }
    app.stop().await;
}
