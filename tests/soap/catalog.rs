//! Catalog calls around a copy: assets, search, names, folders, trash, modifiers.

use ipscopy::app::Roles;

use crate::{
    client::{Soap, items, text},
    helpers::{spawn, spawn_app},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_assets_honours_response_and_exclude_field_arrays() {
    let app = spawn_app().await;
    let source = app.add_image("chelsea", "chelsea.png").await;
    let c = format!(
        "<companyHandle>{}</companyHandle><assetHandleArray><items>{source}</items></assetHandleArray>",
        app.company
    );

    let only = app
        .call("getAssets", &format!("{c}<responseFieldArray><items>assetArray/items/name</items><items>assetArray/items/imageInfo</items></responseFieldArray>"))
        .await;
    let without = app
        .call(
            "getAssets",
            &format!(
                "{c}<excludeFieldArray><items>assetArray/items/imageInfo/width</items></excludeFieldArray>"
            ),
        )
        .await;

    let asset = items(only.ok("getAssets"), "assetArray")[0].clone();
    let names: Vec<&str> = asset.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["name", "imageInfo"]);
    assert_eq!(text(asset.child("imageInfo").unwrap(), "width"), "451");
    let asset = items(without.ok("getAssets"), "assetArray")[0].clone();
    let image = asset.child("imageInfo").unwrap();
    assert!(image.child("width").is_none());
    assert_eq!(text(image, "height"), "300");
    assert_eq!(text(&asset, "name"), "chelsea");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_assets_filters_by_folder_and_name_pages_and_sorts() {
    let app = spawn_app().await;
    for name in ["beta", "alpha", "gamma", "alpine"] {
        app.add_image(name, "rocket.jpg").await;
    }
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let starts_with_al = "<systemFieldConditionArray><items><field>Name</field><op>StartsWith</op><value>al</value></items></systemFieldConditionArray>";

    let page1 = app
        .call("searchAssets", &format!("{c}<folder>Acme/</folder><includeSubfolders>true</includeSubfolders><recordsPerPage>3</recordsPerPage><resultsPage>1</resultsPage><sortBy>Name</sortBy><sortDirection>Descending</sortDirection>"))
        .await;
    let page2 = app
        .call("searchAssets", &format!("{c}<recordsPerPage>3</recordsPerPage><resultsPage>2</resultsPage><sortBy>Name</sortBy><sortDirection>Descending</sortDirection>"))
        .await;
    let named = app.call("searchAssets", &format!("{c}{starts_with_al}<sortBy>Name</sortBy>")).await;
    let root_only = app.call("searchAssets", &format!("{c}<folder>Acme/</folder>")).await;
    let bad_sort = app.call("searchAssets", &format!("{c}<sortBy>Colour</sortBy>")).await;

    let names = |reply: &crate::client::Reply| -> Vec<String> {
        items(reply.ok("searchAssets"), "assetArray").iter().map(|a| text(a, "name").to_string()).collect()
    };
    assert_eq!(text(page1.ok("searchAssets"), "totalRows"), "4");
    assert_eq!(names(&page1), ["gamma", "beta", "alpine"]);
    assert_eq!(names(&page2), ["alpha"]);
    assert_eq!(names(&named), ["alpha", "alpine"]);
    assert!(names(&root_only).is_empty(), "the images live in Acme/copies/, not directly in Acme/");
    let (_, code, reason) = bad_sort.fault();
    assert_eq!(code, 30001);
    assert!(reason.contains("Colour") && reason.contains("FileSize"), "{reason}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_deletes_go_to_the_trash_and_report_each_bad_item_without_faulting() {
    let app = spawn_app().await;
    let a = app.add_image("a", "rocket.jpg").await;
    let b = app.add_image("b", "rocket.jpg").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);

    let deleted = app
        .call("deleteAssets", &format!("{c}<assetHandleArray><items>{a}</items><items>a|424242</items><items>junk</items><items>{b}</items></assetHandleArray>"))
        .await;
    let trashed =
        app.call("searchAssets", &format!("{c}<trashState>InTrash</trashState><sortBy>Name</sortBy>")).await;
    let visible = app.call("searchAssets", &c).await;
    let restored = app
        .call(
            "restoreAssetsFromTrash",
            &format!("{c}<assetHandleArray><items>{a}</items><items>{a}</items></assetHandleArray>"),
        )
        .await;

    let deleted = deleted.ok("deleteAssets");
    assert_eq!((text(deleted, "successCount"), text(deleted, "errorCount")), ("2", "2"));
    let errors = items(deleted, "errorDetailArray");
    assert_eq!(text(errors[0], "assetHandle"), "a|424242");
    assert_eq!(text(errors[0], "code"), "30001");
    assert!(text(errors[1], "reason").contains("not a valid handle"));
    let in_trash: Vec<&str> =
        items(trashed.ok("searchAssets"), "assetArray").iter().map(|a| text(a, "name")).collect();
    assert_eq!(in_trash, ["a", "b"]);
    assert_eq!(text(visible.ok("searchAssets"), "totalRows"), "0");
    let restored = restored.ok("restoreAssetsFromTrash");
    assert_eq!((text(restored, "successCount"), text(restored, "errorCount")), ("1", "1"));
    assert!(text(items(restored, "errorDetailArray")[0], "reason").contains("not in the trash"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emptying_the_trash_deletes_the_stored_objects_and_refuses_assets_not_in_it() {
    let app = spawn_app().await;
    let gone = app.add_image("gone", "rocket.jpg").await;
    let kept = app.add_image("kept", "rocket.jpg").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let storage = &app.running.as_ref().unwrap().storage;
    let key =
        |asset: &ipscopy::domain::AssetHandle| ipscopy::storage::asset_key(app.company.0, asset.asset_id);
    app.call("deleteAsset", &format!("{c}<assetHandle>{gone}</assetHandle>")).await.ok("deleteAsset");

    let emptied = app
        .call(
            "emptyAssetsFromTrash",
            &format!("{c}<assetHandleArray><items>{gone}</items><items>{kept}</items><items>{gone}</items></assetHandleArray>"),
        )
        .await;
    let restored = app
        .call(
            "restoreAssetsFromTrash",
            &format!("{c}<assetHandleArray><items>{gone}</items></assetHandleArray>"),
        )
        .await;

    let emptied = emptied.ok("emptyAssetsFromTrash");
    assert_eq!((text(emptied, "successCount"), text(emptied, "errorCount")), ("1", "2"));
    let reasons: Vec<&str> = items(emptied, "errorDetailArray").iter().map(|e| text(e, "reason")).collect();
    assert!(reasons[0].contains("not in the trash") && reasons[1].contains("already emptied"), "{reasons:?}");
    assert!(storage.get(&key(&gone)).await.is_err(), "the emptied asset's object is deleted");
    assert!(storage.get(&key(&kept)).await.is_ok(), "the other asset's object is kept");
    assert_eq!(
        text(restored.ok("restoreAssetsFromTrash"), "errorCount"),
        "1",
        "an emptied asset cannot come back"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trashed_master_stays_while_a_copy_of_it_is_queued_and_is_emptied_once_the_copy_is_made() {
    // No worker yet: the copy waits in the queue.
    let app = spawn(Roles { api: true, worker: false }, |_| {}).await;
    let master = app.add_image("master", "rocket.jpg").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    let empty = format!("{c}<assetHandleArray><items>{master}</items></assetHandleArray>");
    let storage = &app.running.as_ref().unwrap().storage;
    let key = ipscopy::storage::asset_key(app.company.0, master.asset_id);
    let accepted = app.submit(202, &app.copy_body(master, "copy", "wid=50")).await;
    app.call("deleteAsset", &format!("{c}<assetHandle>{master}</assetHandle>")).await.ok("deleteAsset");

    let while_queued = app.call("emptyAssetsFromTrash", &empty).await;
    let mut worker = app.worker_command().spawn().expect("the worker starts");
    let job = app.wait_for_job(accepted["jobHandle"].as_str().unwrap()).await;
    let after = app.call("emptyAssetsFromTrash", &empty).await;
    worker.kill().await.expect("the worker stops");

    let while_queued = while_queued.ok("emptyAssetsFromTrash");
    assert_eq!(text(while_queued, "errorCount"), "1");
    let reason = text(items(while_queued, "errorDetailArray")[0], "reason");
    assert!(reason.contains("master of 1 copies still queued or running"), "{reason}");
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(text(after.ok("emptyAssetsFromTrash"), "successCount"), "1");
    assert!(storage.get(&key).await.is_err(), "the emptied master's object is deleted");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asset_names_are_checked_and_found_company_wide_including_trashed_ones() {
    let app = spawn_app().await;
    let a = app.add_image("taken", "rocket.jpg").await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);
    app.call("deleteAsset", &format!("{c}<assetHandle>{a}</assetHandle>")).await.ok("deleteAsset");

    let check = app
        .call(
            "checkAssetNames",
            &format!("{c}<assetNameArray><items>free</items><items>taken</items></assetNameArray>"),
        )
        .await;
    let by_name = app
        .call(
            "getAssetsByName",
            &format!("{c}<nameArray><items>taken</items><items>free</items></nameArray>"),
        )
        .await;
    let by_type = app
        .call("getAssetsByName", &format!("{c}<nameArray><items>taken</items></nameArray><assetTypeArray><items>Video</items></assetTypeArray>"))
        .await;

    let in_use: Vec<&str> =
        items(check.ok("checkAssetNames"), "inUseNameArray").iter().map(|i| i.text.as_str()).collect();
    assert_eq!(in_use, ["taken"]);
    let found = items(by_name.ok("getAssetsByName"), "assetArray");
    assert_eq!(found.len(), 1);
    assert_eq!(text(found[0], "trashState"), "InTrash");
    assert!(items(by_type.ok("getAssetsByName"), "assetArray").is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_created_listed_and_walked_as_a_tree() {
    let app = spawn_app().await;
    let c = format!("<companyHandle>{}</companyHandle>", app.company);

    let created = app.call("createFolder", &format!("{c}<folderPath>/copies/2024</folderPath>")).await;
    let again = app.call("createFolder", &format!("{c}<folderPath>Acme/copies/2024/</folderPath>")).await;
    let orphan = app.call("createFolder", &format!("{c}<folderPath>/nowhere/deep</folderPath>")).await;
    let flat = app.call("getFolders", &c).await;
    let shallow = app.call("getFolderTree", &format!("{c}<depth>1</depth>")).await;
    let full = app.call("getFolderTree", &format!("{c}<depth>-1</depth>")).await;

    assert_eq!(text(created.ok("createFolder"), "folderHandle"), "Acme/copies/2024/");
    assert!(again.fault().2.contains("already exists"));
    assert!(orphan.fault().2.contains("Acme/nowhere/"));
    let paths: Vec<&str> =
        items(flat.ok("getFolders"), "folderArray").iter().map(|f| text(f, "path")).collect();
    assert_eq!(paths, ["Acme/", "Acme/copies/", "Acme/copies/2024/"]);
    let root = shallow.ok("getFolderTree").child("folders").expect("the root folder").clone();
    assert_eq!(text(&root, "path"), "Acme/");
    assert_eq!(text(&root, "hasSubfolders"), "true");
    let copies = items(&root, "subfolderArray")[0].clone();
    assert_eq!(text(&copies, "path"), "Acme/copies/");
    assert_eq!(text(&copies, "hasSubfolders"), "true");
    assert!(copies.child("subfolderArray").is_none(), "depth 1 stops below the root");
    let root = full.ok("getFolderTree").child("folders").expect("the root folder").clone();
    let leaf = items(items(&root, "subfolderArray")[0], "subfolderArray")[0].clone();
    assert_eq!(text(&leaf, "path"), "Acme/copies/2024/");
    assert_eq!(text(&leaf, "hasSubfolders"), "false");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_url_modifier_stores_both_modifiers_and_refuses_bad_commands() {
    let app = spawn_app().await;
    let a = app.add_image("chelsea", "chelsea.png").await;
    let c = format!("<companyHandle>{}</companyHandle><assetHandle>{a}</assetHandle>", app.company);

    let set = app
        .call(
            "setUrlModifier",
            &format!(
                "{c}<urlModifier>rotate=90</urlModifier><urlPostApplyModifier>fmt=png</urlPostApplyModifier>"
            ),
        )
        .await;
    let bad = app.call("setUrlModifier", &format!("{c}<urlModifier>wid=-3</urlModifier>")).await;
    let read = app
        .call(
            "getAssets",
            &format!(
                "<companyHandle>{}</companyHandle><assetHandleArray><items>{a}</items></assetHandleArray>",
                app.company
            ),
        )
        .await;

    assert!(set.ok("setUrlModifier").children.is_empty());
    assert_eq!(bad.fault().1, 30001);
    let image = items(read.ok("getAssets"), "assetArray")[0].child("imageInfo").unwrap().clone();
    assert_eq!(text(&image, "urlModifier"), "rotate=90");
    assert_eq!(text(&image, "urlPostApplyModifier"), "fmt=png");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_lists_the_callers_companies_and_others_users_are_off_limits() {
    let app = spawn_app().await;
    app.add_member("carl@acme.example", app.company, ipscopy::domain::Role::IpsUser).await;

    let mine = app.call("getCompanyMembership", "").await;
    let theirs = app.call("getUserInfo", "<email>carl@acme.example</email>").await;

    let memberships = items(mine.ok("getCompanyMembership"), "membershipArray");
    assert_eq!(memberships.len(), 1);
    assert_eq!(text(memberships[0], "role"), "IpsUser");
    assert_eq!(text(memberships[0], "isActive"), "true");
    assert_eq!(text(memberships[0].child("company").unwrap(), "name"), "Acme");
    let (element, code, _) = theirs.fault();
    assert_eq!((element.as_str(), code), ("authorizationFault", 20007));
    app.stop().await;
}
