//! Asset handle shapes on the JSON API: ours (`a|<companyId>|1|<assetId>`), the older ones we
//! issued (`a|N|1|N`, `a|N`), and real IPS handles (`a|739|1|537`) that name none of our assets.

use ipscopy::domain::AssetHandle;
use serde_json::{Value, json};

use crate::helpers::{TestApp, encode, spawn_app};

/// Real IPS handles from the copyImage and other operations' docs: well formed, never ours.
const REAL_IPS: [&str; 3] = ["a|739|1|537", "a|944|10|2", "a|716|25|160"];

/// The answer with `handle` replaced, so answers about two handles can be compared.
fn masked(body: &Value, handle: &str) -> String {
    body.to_string().replace(handle, "<handle>")
}

/// A source whose asset id differs from its company id, so the legacy `a|N|1|N` of it is not
/// also the handle we issue for it.
async fn source(app: &TestApp) -> AssetHandle {
    app.add_image("spare", "rocket.jpg").await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    assert_ne!(source.asset_id, source.company_id);
    source
}

async fn reserved(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from assets where source_asset_id is not null")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_answers_name_assets_with_the_company_in_the_real_ips_shape() {
    let app = spawn_app().await;
    let source = source(&app).await;

    let accepted = app.submit(202, &app.copy_body(source, "copy", "wid=8")).await;
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    let prefix = format!("a|{}|1|", app.company.0);
    assert_eq!(source.to_string(), format!("{prefix}{}", source.asset_id));
    let handle = accepted["assetHandle"].as_str().unwrap();
    assert!(handle.starts_with(&prefix) && handle != source.to_string(), "{accepted}");
    assert_eq!(
        (job["assetHandle"].as_str(), job["sourceAssetHandle"].as_str()),
        (Some(handle), Some(&*source.to_string()))
    );
    assert_eq!(job["asset"]["assetHandle"], handle);
    assert_eq!(job["asset"]["imageInfo"]["sourceAssetHandle"], source.to_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_ips_asset_handle_reads_as_a_missing_asset_not_a_malformed_one() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let missing = AssetHandle::new(app.company.0, 999_999).to_string();
    let missing_body = app.get_json(404, &format!("/v1/assets/{}", encode(&missing))).await;
    // Our shape with another company's id names nothing, even where that asset id exists here.
    let elsewhere = format!("a|{}|1|{}", app.company.0 + 1000, source.asset_id);

    for handle in REAL_IPS.iter().copied().chain([elsewhere.as_str()]) {
        let body = app.get_json(404, &format!("/v1/assets/{}", encode(handle))).await;
        let content = app.get_json(404, &format!("/v1/assets/{}/content", encode(handle))).await;

        assert_eq!(masked(&body, handle), masked(&missing_body, &missing), "{handle}");
        assert_eq!(body["reason"], format!("asset {handle} does not exist"));
        assert_eq!(content, body, "{handle}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_truly_malformed_asset_handles_are_a_400() {
    let app = spawn_app().await;

    for handle in ["x", "a|", "a|1|2", "a|-1", "a|0", "a|1x", "a|1|1|1|1", "a|7|one|7", "a|1||1"] {
        let body = app.get_json(400, &format!("/v1/assets/{}", encode(handle))).await;

        assert_eq!(
            (body["code"].as_u64(), body["fault"].as_str()),
            (Some(30001), Some("ipsApiFault")),
            "{handle}"
        );
        assert!(body["reason"].as_str().unwrap().contains("not a valid handle"), "{handle}: {body}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_from_a_real_ips_handle_gets_the_fault_of_a_copy_from_a_missing_asset() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let missing = AssetHandle::new(app.company.0, 999_999);
    let body_of = |handle: &str| {
        let mut body = app.copy_body(source, "x", "wid=10");
        body["assetHandle"] = json!(handle);
        body
    };
    let missing_fault = app.submit(404, &app.copy_body(missing, "x", "wid=10")).await;

    for handle in REAL_IPS {
        let fault = app.submit(404, &body_of(handle)).await;

        assert_eq!(masked(&fault, handle), masked(&missing_fault, &missing.to_string()), "{handle}");
        assert_eq!(fault["reason"], format!("asset {handle} does not exist in company {}", app.company));
    }
    assert_eq!(reserved(&app).await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_item_naming_a_real_ips_handle_is_refused_like_one_naming_a_missing_asset() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let item = |handle: &str, name: &str| json!({"assetHandle": handle, "folderHandle": app.folder.to_string(), "name": name, "urlModifier": "wid=8"});
    let missing = AssetHandle::new(app.company.0, 999_999).to_string();
    let body = json!({
        "companyHandle": app.company.to_string(),
        "items": [item(&source.to_string(), "kept"), item("a|739|1|537", "real"), item(&missing, "missing"), item("a|1|2", "bad")],
    });

    let batch = app.post_json(202, "/v1/copies/batch", &body).await;

    assert_eq!(
        (batch["acceptedCount"].as_u64(), batch["rejectedCount"].as_u64()),
        (Some(1), Some(3)),
        "{batch}"
    );
    let items = batch["items"].as_array().unwrap();
    assert_eq!(masked(&items[1], "a|739|1|537"), masked(&items[2], &missing));
    assert!(items[1]["reason"].as_str().unwrap().contains("does not exist"), "{}", items[1]);
    assert!(items[3]["reason"].as_str().unwrap().contains("not a valid handle"), "{}", items[3]);
    assert_eq!(reserved(&app).await, 1);
    app.wait_for_job(items[0]["jobHandle"].as_str().unwrap()).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_issued_before_the_company_was_in_them_still_name_their_asset() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let id = source.asset_id;

    for (legacy, name) in [(format!("a|{id}|1|{id}"), "from-long"), (format!("a|{id}"), "from-short")] {
        let asset = app.get_json(200, &format!("/v1/assets/{}", encode(&legacy))).await;
        let mut body = app.copy_body(source, name, "wid=8");
        body["assetHandle"] = json!(legacy);
        let accepted = app.submit(202, &body).await;
        let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

        assert_eq!(asset["assetHandle"], source.to_string(), "{legacy}");
        assert_eq!(
            (job["state"].as_str(), job["sourceAssetHandle"].as_str()),
            (Some("succeeded"), Some(&*source.to_string())),
            "{legacy}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_goes_into_a_folder_named_by_an_f_prefixed_handle() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let mut body = app.copy_body(source, "in-f-folder", "wid=8");
    body["folderHandle"] = json!(format!("f|{}", app.folder));

    let accepted = app.submit(202, &body).await;
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;

    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["asset"]["folderHandle"], app.folder.to_string());
    app.stop().await;
}
