//! Renaming, moving and deleting folders: subfolders and assets follow, a copy rendering into
//! a moved folder lands there, and deleted folders' assets wait in the trash for a restore.

use ipscopy::admin;

use crate::{
    client::{Soap, items, text},
    copy::wait_for_log,
    helpers::{TestApp, spawn_app},
    organize::asset,
};

/// The company's folder paths, as `getFolders` lists them.
async fn folder_paths(app: &TestApp) -> Vec<String> {
    let reply = app.call("getFolders", &format!("<companyHandle>{}</companyHandle>", app.company)).await;
    items(reply.ok("getFolders"), "folderArray").iter().map(|f| text(f, "path").to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_renamed_and_moved_while_a_copy_renders_into_it_takes_the_copy_and_its_subfolders_along() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    admin::add_folder(&app.pool, app.company, "/shoot").await.unwrap();
    let day = admin::add_folder(&app.pool, app.company, "/shoot/day1").await.unwrap();
    admin::add_folder(&app.pool, app.company, "/archive").await.unwrap();
    let c = format!("<companyHandle>{}</companyHandle>", app.company);

    let copied = app
        .call(
            "copyImage",
            &format!(
                "{c}<assetHandle>{source}</assetHandle><folderHandle>{day}</folderHandle><name>pick</name><urlModifier>wid=100</urlModifier>"
            ),
        )
        .await;
    let renamed = app
        .call(
            "renameFolder",
            &format!("{c}<folderHandle>f|Acme/shoot/</folderHandle><folderName>best</folderName>"),
        )
        .await;
    let moved = app
        .call(
            "moveFolder",
            &format!(
                "{c}<folderHandle>Acme/best/</folderHandle><destFolderHandle>/archive</destFolderHandle>"
            ),
        )
        .await;
    let handle = text(copied.ok("copyImage"), "assetHandle").to_string();
    wait_for_log(&app, "pick").await;
    let copy = asset(&app, &handle).await;

    assert_eq!(text(renamed.ok("renameFolder"), "folderHandle"), "Acme/best/");
    assert_eq!(text(moved.ok("moveFolder"), "folderHandle"), "Acme/archive/best/");
    assert_eq!(
        folder_paths(&app).await,
        ["Acme/", "Acme/archive/", "Acme/archive/best/", "Acme/archive/best/day1/", "Acme/copies/"]
    );
    assert_eq!(text(&copy, "folderHandle"), "Acme/archive/best/day1/");
    assert_eq!(text(copy.child("imageInfo").expect("the render landed"), "width"), "100");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_may_not_go_onto_another_into_itself_or_take_an_asset_name_and_the_root_stays_put() {
    let app = spawn_app().await;
    app.add_image("chelsea", "chelsea.png").await;
    admin::add_folder(&app.pool, app.company, "/a").await.unwrap();
    admin::add_folder(&app.pool, app.company, "/a/inner").await.unwrap();
    admin::add_folder(&app.pool, app.company, "/b").await.unwrap();
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let rename = |folder: &str, name: &str| {
        format!("{c}<folderHandle>{folder}</folderHandle><folderName>{name}</folderName>")
    };
    let mv = |folder: &str, dest: &str| {
        format!("{c}<folderHandle>{folder}</folderHandle><destFolderHandle>{dest}</destFolderHandle>")
    };

    let onto_sibling = app.call("renameFolder", &rename("/a", "b")).await;
    let onto_asset = app.call("renameFolder", &rename("/a", "chelsea")).await;
    let bad_name = app.call("renameFolder", &rename("/a", "x/y")).await;
    let root = app.call("renameFolder", &rename("Acme/", "Other")).await;
    let missing = app.call("renameFolder", &rename("/nowhere", "x")).await;
    let into_itself = app.call("moveFolder", &mv("/a", "/a/inner")).await;
    let onto_existing = app.call("moveFolder", &mv("/a/inner", "/b")).await;
    app.call("createFolder", &format!("{c}<folderPath>/a/inner</folderPath>")).await.ok("createFolder");
    let clash = app.call("moveFolder", &mv("/a/inner", "/b")).await;
    let delete_root = app.call("deleteFolder", &format!("{c}<folderHandle>Acme/</folderHandle>")).await;

    assert_eq!(onto_sibling.fault().1, 30000, "{}", onto_sibling.raw);
    assert!(onto_asset.fault().2.contains("\"chelsea\""), "{}", onto_asset.raw);
    assert_eq!(bad_name.fault().1, 30001);
    assert!(root.fault().2.contains("root folder"), "{}", root.raw);
    assert!(missing.fault().2.contains("Acme/nowhere/"), "{}", missing.raw);
    assert!(into_itself.fault().2.contains("into itself"), "{}", into_itself.raw);
    assert_eq!(text(onto_existing.ok("moveFolder"), "folderHandle"), "Acme/b/inner/");
    let (_, code, reason) = clash.fault();
    assert_eq!(code, 30000, "{reason}");
    assert!(reason.contains("Acme/b/inner/"), "{reason}");
    assert!(delete_root.fault().2.contains("root folder"), "{}", delete_root.raw);
    assert_eq!(
        folder_paths(&app).await,
        ["Acme/", "Acme/a/", "Acme/a/inner/", "Acme/b/", "Acme/b/inner/", "Acme/copies/"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_folder_trashes_its_assets_and_a_restore_puts_one_back_in_the_folder_made_again() {
    let app = spawn_app().await;
    let kept = app.add_image("kept", "chelsea.png").await;
    let one = app.add_image("one", "chelsea.png").await;
    let two = app.add_image("two", "chelsea.png").await;
    admin::add_folder(&app.pool, app.company, "/shoot").await.unwrap();
    let day = admin::add_folder(&app.pool, app.company, "/shoot/day1").await.unwrap();
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    for handle in [&one, &two] {
        app.call(
            "moveAsset",
            &format!("{c}<assetHandle>{handle}</assetHandle><folderHandle>{day}</folderHandle>"),
        )
        .await
        .ok("moveAsset");
    }

    let deleted = app.call("deleteFolder", &format!("{c}<folderHandle>/shoot</folderHandle>")).await;
    let again = app.call("deleteFolder", &format!("{c}<folderHandle>/shoot</folderHandle>")).await;
    let copy_into_it = app
        .call(
            "copyImage",
            &format!(
                "{c}<assetHandle>{kept}</assetHandle><folderHandle>{day}</folderHandle><name>late</name><urlModifier>wid=10</urlModifier>"
            ),
        )
        .await;
    let folders_after_delete = folder_paths(&app).await;
    let trashed = asset(&app, &one.to_string()).await;
    let restored = app
        .call(
            "restoreAssetsFromTrash",
            &format!("{c}<assetHandleArray><items>{one}</items></assetHandleArray>"),
        )
        .await;

    deleted.ok("deleteFolder");
    assert!(again.fault().2.contains("Acme/shoot/"), "{}", again.raw);
    assert!(copy_into_it.fault().2.contains("Acme/shoot/day1/"), "{}", copy_into_it.raw);
    assert_eq!(folders_after_delete, ["Acme/", "Acme/copies/"]);
    assert_eq!(text(&trashed, "trashState"), "InTrash");
    assert_eq!(text(&trashed, "folderHandle"), "Acme/shoot/day1/", "the trash shows where it was");
    assert_eq!(text(restored.ok("restoreAssetsFromTrash"), "successCount"), "1");
    let back = asset(&app, &one.to_string()).await;
    assert_eq!((text(&back, "trashState"), text(&back, "folderHandle")), ("NotInTrash", "Acme/shoot/day1/"));
    assert_eq!(text(&asset(&app, &two.to_string()).await, "trashState"), "InTrash");
    assert_eq!(text(&asset(&app, &kept.to_string()).await, "trashState"), "NotInTrash");
    assert_eq!(folder_paths(&app).await, ["Acme/", "Acme/copies/", "Acme/shoot/", "Acme/shoot/day1/"]);
    app.stop().await;
}
