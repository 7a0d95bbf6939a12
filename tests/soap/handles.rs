//! Asset and folder handle shapes over SOAP: ours (`a|<companyId>|1|<assetId>`), the older ones
//! we issued, real IPS handles that name none of our assets, and `f|`-prefixed folder handles.

use ipscopy::domain::AssetHandle;

use crate::{
    client::{Soap, items, text},
    helpers::{TestApp, spawn_app},
};

/// The copyImage doc example's source handle: well formed, never one of ours.
const DOC_EXAMPLE: &str = "a|739|1|537";

/// A source whose asset id differs from its company id, so its legacy `a|N|1|N` is not also
/// the handle we issue for it.
async fn source(app: &TestApp) -> AssetHandle {
    app.add_image("spare", "rocket.jpg").await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    assert_ne!(source.asset_id, source.company_id);
    source
}

fn company(app: &TestApp) -> String {
    format!("<companyHandle>{}</companyHandle>", app.company)
}

fn copy_params(app: &TestApp, source: &str, name: &str) -> String {
    format!(
        "{}<assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle><name>{name}</name><urlModifier/>",
        company(app),
        app.folder
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_image_from_the_doc_examples_handle_faults_30001_does_not_exist_like_a_missing_asset() {
    let app = spawn_app().await;
    source(&app).await;
    let missing = AssetHandle::new(app.company.0, 999_999).to_string();

    let real = app.call("copyImage", &copy_params(&app, DOC_EXAMPLE, "x")).await;
    let absent = app.call("copyImage", &copy_params(&app, &missing, "x")).await;

    let (element, code, reason) = real.fault();
    assert_eq!((element.as_str(), code), ("ipsApiFault", 30001), "{reason}");
    assert_eq!(reason, format!("asset {DOC_EXAMPLE} does not exist in company {}", app.company));
    assert_eq!(reason.replace(DOC_EXAMPLE, &missing), absent.fault().2);
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(jobs, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_asset_calls_with_a_real_ips_handle_fault_30001_does_not_exist() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let elsewhere = format!("a|{}|1|{}", app.company.0 + 1000, source.asset_id);

    for handle in [DOC_EXAMPLE, "a|944|10|2", elsewhere.as_str()] {
        let deleted =
            app.call("deleteAsset", &format!("{}<assetHandle>{handle}</assetHandle>", company(&app))).await;
        let modified = app
            .call(
                "setUrlModifier",
                &format!(
                    "{}<assetHandle>{handle}</assetHandle><urlModifier>wid=8</urlModifier>",
                    company(&app)
                ),
            )
            .await;

        for reply in [deleted, modified] {
            let (element, code, reason) = reply.fault();
            assert_eq!((element.as_str(), code), ("ipsApiFault", 30001), "{handle}: {reason}");
            assert_eq!(reason, format!("asset {handle} does not exist in company {}", app.company));
        }
    }
    let in_trash: i64 = sqlx::query_scalar("select count(*) from assets where trash_state <> 'NotInTrash'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(in_trash, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_assets_leaves_out_a_real_ips_handle_as_it_leaves_out_a_missing_asset() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let missing = AssetHandle::new(app.company.0, 999_999);
    let array = format!(
        "<assetHandleArray><items>{DOC_EXAMPLE}</items><items>{source}</items><items>{missing}</items><items>a|944|10|2</items></assetHandleArray>"
    );

    let reply = app.call("getAssets", &format!("{}{array}", company(&app))).await;
    let malformed = app
        .call(
            "getAssets",
            &format!("{}<assetHandleArray><items>a|1|2</items></assetHandleArray>", company(&app)),
        )
        .await;

    let assets = items(reply.ok("getAssets"), "assetArray");
    let handles: Vec<&str> = assets.iter().map(|a| text(a, "assetHandle")).collect();
    assert_eq!(handles, [source.to_string()]);
    let (_, code, reason) = malformed.fault();
    assert_eq!(code, 30001);
    assert!(reason.contains("not a valid handle"), "{reason}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_assets_reports_a_real_ips_handle_as_an_item_that_does_not_exist() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let missing = AssetHandle::new(app.company.0, 999_999);

    let deleted = app
        .call(
            "deleteAssets",
            &format!(
                "{}<assetHandleArray><items>{DOC_EXAMPLE}</items><items>{missing}</items><items>a|944|10|2</items><items>a|1|2</items><items>{source}</items></assetHandleArray>",
                company(&app)
            ),
        )
        .await;

    let deleted = deleted.ok("deleteAssets");
    assert_eq!((text(deleted, "successCount"), text(deleted, "errorCount")), ("1", "4"));
    let errors = items(deleted, "errorDetailArray");
    let missing = missing.to_string();
    for (error, handle) in errors.iter().zip([DOC_EXAMPLE, &missing, "a|944|10|2"]) {
        assert_eq!((text(error, "assetHandle"), text(error, "code")), (handle, "30001"));
        assert_eq!(
            text(error, "reason"),
            format!("asset {handle} does not exist in company {}", app.company)
        );
    }
    assert!(text(errors[3], "reason").contains("not a valid handle"), "{:?}", errors[3]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_issued_before_the_company_was_in_them_still_work_and_answers_carry_the_new_shape() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let id = source.asset_id;
    let legacy = format!("a|{id}|1|{id}");

    let read = app
        .call(
            "getAssets",
            &format!(
                "{}<assetHandleArray><items>{legacy}</items><items>a|{id}</items></assetHandleArray>",
                company(&app)
            ),
        )
        .await;
    let copied = app.call("copyImage", &copy_params(&app, &legacy, "from-legacy")).await;
    let modified = app
        .call(
            "setUrlModifier",
            &format!("{}<assetHandle>a|{id}</assetHandle><urlModifier>wid=9</urlModifier>", company(&app)),
        )
        .await;

    let handles: Vec<String> = items(read.ok("getAssets"), "assetArray")
        .iter()
        .map(|a| text(a, "assetHandle").to_string())
        .collect();
    assert_eq!(handles, [source.to_string()], "both legacy handles name the one asset");
    let copy = text(copied.ok("copyImage"), "assetHandle");
    assert!(copy.starts_with(&format!("a|{}|1|", app.company.0)) && copy != source.to_string(), "{copy}");
    modified.ok("setUrlModifier");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_prefixed_folder_handles_are_taken_wherever_a_folder_is() {
    let app = spawn_app().await;
    let source = source(&app).await;
    let c = company(&app);
    let f = format!("f|{}", app.folder);

    let folders = app.call("getFolders", &format!("{c}<folderPath>{f}</folderPath>")).await;
    let tree = app.call("getFolderTree", &format!("{c}<folderPath>{f}</folderPath><depth>0</depth>")).await;
    let found = app.call("searchAssets", &format!("{c}<folder>{f}</folder>")).await;
    let created = app.call("createFolder", &format!("{c}<folderPath>{f}2024/</folderPath>")).await;
    let copied = app
        .call(
            "copyImage",
            &format!("{c}<assetHandle>{source}</assetHandle><folderHandle>{f}2024/</folderHandle><name>in-f</name><urlModifier/>"),
        )
        .await;

    let paths: Vec<&str> =
        items(folders.ok("getFolders"), "folderArray").iter().map(|f| text(f, "path")).collect();
    assert_eq!(paths, [app.folder.as_str()]);
    let root = tree.ok("getFolderTree").child("folders").unwrap_or_else(|| panic!("{}", tree.raw));
    assert_eq!(text(root, "path"), app.folder.as_str());
    assert_eq!(text(found.ok("searchAssets"), "totalRows"), "2");
    assert_eq!(text(created.ok("createFolder"), "folderHandle"), format!("{}2024/", app.folder));
    copied.ok("copyImage");
    app.stop().await;
}
