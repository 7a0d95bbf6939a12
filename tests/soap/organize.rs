//! What a copy workflow does next: rename and move copies (even while they render), count them.

use ipscopy::admin;

use crate::{
    client::{Soap, items, text},
    copy::wait_for_log,
    helpers::{TestApp, spawn_app},
};

/// The asset as `getAssets` reads it.
pub async fn asset(app: &TestApp, handle: &str) -> ipscopy::soap::xml::Element {
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let reply = app
        .call("getAssets", &format!("{c}<assetHandleArray><items>{handle}</items></assetHandleArray>"))
        .await;
    items(reply.ok("getAssets"), "assetArray").first().map(|a| (*a).clone()).expect("the asset is there")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_renamed_and_moved_while_it_renders_gets_its_render_under_the_new_name_and_folder() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let archive = admin::add_folder(&app.pool, app.company, "/archive").await.unwrap();
    let c = format!("<companyHandle>{}</companyHandle>", app.company);

    let copied = app
        .call(
            "copyImage",
            &format!(
                "{c}<assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle><name>draft</name><urlModifier>wid=100</urlModifier>",
                app.folder
            ),
        )
        .await;
    let handle = text(copied.ok("copyImage"), "assetHandle").to_string();
    let renamed = app
        .call(
            "renameAsset",
            &format!("{c}<assetHandle>{handle}</assetHandle><newName>final</newName><validateName>true</validateName>"),
        )
        .await;
    let moved = app
        .call(
            "moveAsset",
            &format!("{c}<assetHandle>{handle}</assetHandle><folderHandle>f|{archive}</folderHandle>"),
        )
        .await;
    renamed.ok("renameAsset");
    moved.ok("moveAsset");
    // A copy job is found by its asset's name, which is now the new one.
    wait_for_log(&app, "final").await;
    let copy = asset(&app, &handle).await;

    assert_eq!(text(&copy, "name"), "final");
    assert_eq!(text(&copy, "folderHandle"), archive.to_string());
    assert_eq!(text(copy.child("imageInfo").unwrap(), "width"), "100");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_onto_a_name_in_use_is_30000_and_bad_names_or_handles_are_30001() {
    let app = spawn_app().await;
    let one = app.add_image("one", "chelsea.png").await;
    app.add_image("two", "chelsea.png").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let rename = |handle: String, name: &str| {
        format!(
            "{c}<assetHandle>{handle}</assetHandle><newName>{name}</newName><validateName>true</validateName>"
        )
    };

    let taken = app.call("renameAsset", &rename(one.to_string(), "two")).await;
    let bad = app.call("renameAsset", &rename(one.to_string(), "a/b")).await;
    let foreign = app.call("renameAsset", &rename("a|739|1|537".into(), "x")).await;
    let without_flag =
        app.call("renameAsset", &format!("{c}<assetHandle>{one}</assetHandle><newName>x</newName>")).await;

    let (_, code, reason) = taken.fault();
    assert_eq!(code, 30000, "{reason}");
    assert!(reason.contains("\"two\""), "{reason}");
    assert_eq!(bad.fault().1, 30001);
    assert!(foreign.fault().2.contains("does not exist"), "{}", foreign.raw);
    assert_eq!(without_flag.fault().1, 30002, "validateName is required, as in IPS");
    assert_eq!(text(&asset(&app, &one.to_string()).await, "name"), "one", "nothing was renamed");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_assets_moves_each_item_it_can_and_reports_the_others_and_counts_follow_the_trash() {
    let app = spawn_app().await;
    let one = app.add_image("one", "chelsea.png").await;
    let two = app.add_image("two", "chelsea.png").await;
    let archive = admin::add_folder(&app.pool, app.company, "/archive").await.unwrap();
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let item = |asset: &str, folder: &str| {
        format!("<items><assetHandle>{asset}</assetHandle><folderHandle>{folder}</folderHandle></items>")
    };

    let moved = app
        .call(
            "moveAssets",
            &format!(
                "{c}<assetMoveArray>{}{}{}</assetMoveArray>",
                item(&one.to_string(), archive.as_str()),
                item("a|739|1|537", archive.as_str()),
                item(&two.to_string(), "Acme/nowhere/")
            ),
        )
        .await;
    let before = app.call("getAssetCounts", &c).await;
    app.call("deleteAsset", &format!("{c}<assetHandle>{two}</assetHandle>")).await.ok("deleteAsset");
    let after = app.call("getAssetCounts", &c).await;

    let reply = moved.ok("moveAssets");
    assert_eq!((text(reply, "successCount"), text(reply, "errorCount")), ("1", "2"), "{}", moved.raw);
    let failed: Vec<&str> = items(reply, "errorDetailArray").iter().map(|e| text(e, "assetHandle")).collect();
    assert_eq!(failed, ["a|739|1|537".to_string(), two.to_string()]);
    assert_eq!(text(&asset(&app, &one.to_string()).await, "folderHandle"), archive.to_string());
    assert_eq!(text(&asset(&app, &two.to_string()).await, "folderHandle"), app.folder.to_string());
    let count = |reply: &crate::client::Reply| {
        let counts = items(reply.ok("getAssetCounts"), "countArray");
        counts
            .iter()
            .map(|c| (text(c, "assetType").to_string(), text(c, "count").to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(count(&before), [("Image".to_string(), "2".to_string())]);
    assert_eq!(count(&after), [("Image".to_string(), "1".to_string())]);
    app.stop().await;
}
