//! Roles × operations, cell by cell, and company isolation (spec/ips-api.md §7).

use ipscopy::{
    admin,
    domain::{Role, role::Access},
    soap::{OPERATIONS, schema::operation},
};

use crate::{
    client::{IPS_2014, Soap, items, text},
    helpers::{PASSWORD, spawn_app},
};

/// What each operation does, written out here rather than read from the server.
const EXPECTED: &[(&str, Access)] = &[
    ("checkAssetNames", Access::Read),
    ("checkLogin", Access::Read),
    ("copyImage", Access::Write),
    ("createFolder", Access::Write),
    ("renameFolder", Access::Write),
    ("moveFolder", Access::Write),
    ("deleteFolder", Access::Write),
    ("deleteAsset", Access::Write),
    ("restoreAssetsFromTrash", Access::Write),
    ("deleteAssets", Access::Write),
    ("emptyAssetsFromTrash", Access::Write),
    ("getActiveJobs", Access::Read),
    ("getAssets", Access::Read),
    ("getAssetsByName", Access::Read),
    ("getAssetCounts", Access::Read),
    ("renameAsset", Access::Write),
    ("moveAsset", Access::Write),
    ("moveAssets", Access::Write),
    ("getCompanyInfo", Access::Read),
    ("getCompanyMembership", Access::Read),
    ("getFolderTree", Access::Read),
    ("getFolders", Access::Read),
    ("getJobLogDetails", Access::Read),
    ("getJobLogs", Access::Read),
    ("getUserInfo", Access::Read),
    ("searchAssets", Access::Read),
    ("setUrlModifier", Access::Write),
    ("submitJob", Access::Write),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_may_call_exactly_the_operations_its_access_allows_and_gets_20003_otherwise() {
    let app = spawn_app().await;
    let mut implemented: Vec<&str> = OPERATIONS.iter().map(|op| op.name).collect();
    let mut tested: Vec<&str> = EXPECTED.iter().map(|(op, _)| *op).collect();
    implemented.sort_unstable();
    tested.sort_unstable();
    assert_eq!(tested, implemented, "the matrix must cover every implemented operation");
    let source = app.add_image("source", "rocket.jpg").await;
    let (company, folder) = (app.company, app.folder.clone());

    let mut cells = Vec::new();
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("{}@acme.example", role.as_str().to_lowercase());
        app.add_member(&email, company, role).await;
        let victim = app.add_image(&format!("victim-{i}"), "rocket.jpg").await;
        for (op, access) in EXPECTED {
            let c = format!("<companyHandle>{company}</companyHandle>");
            let params = match *op {
                "checkAssetNames" => format!("{c}<assetNameArray><items>source</items></assetNameArray>"),
                "checkLogin" => format!("<email>{email}</email><password>{PASSWORD}</password>"),
                "copyImage" => format!(
                    "{c}<assetHandle>{source}</assetHandle><folderHandle>{folder}</folderHandle><name>copy-{i}</name><urlModifier>wid=20</urlModifier>"
                ),
                "createFolder" => format!("{c}<folderPath>/made-by-{i}</folderPath>"),
                // The folder the role just made, renamed, moved under `folder`, then deleted.
                "renameFolder" => {
                    format!("{c}<folderHandle>/made-by-{i}</folderHandle><folderName>moved-{i}</folderName>")
                }
                "moveFolder" => format!(
                    "{c}<folderHandle>/moved-{i}</folderHandle><destFolderHandle>{folder}</destFolderHandle>"
                ),
                "deleteFolder" => format!("{c}<folderHandle>{folder}moved-{i}/</folderHandle>"),
                "deleteAsset" => format!("{c}<assetHandle>{victim}</assetHandle>"),
                "restoreAssetsFromTrash" | "deleteAssets" | "emptyAssetsFromTrash" => {
                    format!("{c}<assetHandleArray><items>{victim}</items></assetHandleArray>")
                }
                "getAssets" => format!("{c}<assetHandleArray><items>{source}</items></assetHandleArray>"),
                "getAssetsByName" => format!("{c}<nameArray><items>source</items></nameArray>"),
                "getFolderTree" => format!("{c}<depth>-1</depth>"),
                "renameAsset" => format!(
                    "{c}<assetHandle>{victim}</assetHandle><newName>renamed-{i}</newName><validateName>true</validateName>"
                ),
                "moveAsset" => {
                    format!("{c}<assetHandle>{victim}</assetHandle><folderHandle>{folder}</folderHandle>")
                }
                "moveAssets" => format!(
                    "{c}<assetMoveArray><items><assetHandle>{victim}</assetHandle><folderHandle>{folder}</folderHandle></items></assetMoveArray>"
                ),
                "getJobLogDetails" => format!("{c}<originalName>copy-{i}</originalName>"),
                "setUrlModifier" => {
                    format!("{c}<assetHandle>{source}</assetHandle><urlModifier>wid=5</urlModifier>")
                }
                "submitJob" => format!(
                    "{c}<jobName>urls-{i}</jobName><uploadUrlsJob><urlArray><items><sourceUrl>https://images.invalid/{i}.jpg</sourceUrl><destPath>copies/url-{i}.jpg</destPath></items></urlArray><overwrite>false</overwrite><readyForPublish>true</readyForPublish><createMask>false</createMask><emailSetting>None</emailSetting></uploadUrlsJob>"
                ),
                "getUserInfo" | "getCompanyMembership" => String::new(),
                _ => c,
            };
            let reply = app.call_as(&email, IPS_2014, op, &params).await;
            let allowed = role.allows(*access);
            let outcome = reply.fault_code();
            let expected = if allowed { None } else { Some(20003) };
            if outcome != expected {
                cells.push(format!("{role} × {op}: expected {expected:?}, got {outcome:?}: {}", reply.raw));
            }
            if !allowed {
                assert_eq!(reply.fault().0, "authorizationFault");
            }
        }
    }
    assert!(cells.is_empty(), "{} wrong cells:\n{}", cells.len(), cells.join("\n"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_another_company_gets_20000_for_every_company_operation() {
    let app = spawn_app().await;
    let source = app.add_image("source", "rocket.jpg").await;
    let other = admin::add_company(&app.pool, "Other").await.unwrap();
    app.add_member("bob@other.example", other, Role::IpsUser).await;

    let mut wrong = Vec::new();
    for (op, _) in EXPECTED {
        if matches!(*op, "checkLogin" | "getUserInfo" | "getCompanyMembership") {
            continue;
        }
        // Every input any of these calls takes; each call gets those of its own schema.
        let inputs = [
            ("companyHandle", app.company.to_string()),
            ("assetHandle", source.to_string()),
            ("folderHandle", app.folder.to_string()),
            ("name", "stolen".into()),
            ("urlModifier", String::new()),
            ("assetHandleArray", format!("<items>{source}</items>")),
            ("nameArray", "<items>source</items>".into()),
            ("assetNameArray", "<items>source</items>".into()),
            ("folderPath", "/x".into()),
            ("folderName", "stolen".into()),
            ("destFolderHandle", app.folder.to_string()),
            ("depth", "1".into()),
            ("originalName", "x".into()),
            ("newName", "stolen".into()),
            ("validateName", "true".into()),
            ("jobName", "stolen".into()),
            (
                "assetMoveArray",
                format!(
                    "<items><assetHandle>{source}</assetHandle><folderHandle>{}</folderHandle></items>",
                    app.folder
                ),
            ),
        ];
        let takes = &operation(op).expect("a served operation").param;
        let params: String = inputs
            .iter()
            .filter(|(name, _)| takes.iter().any(|f| f.name == *name))
            .map(|(name, value)| format!("<{name}>{value}</{name}>"))
            .collect();
        let reply = app.call_as("bob@other.example", IPS_2014, op, &params).await;
        if reply.fault_code() != Some(20000) {
            wrong.push(format!("{op}: {}", reply.raw));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let stolen = app
        .call(
            "getAssetsByName",
            &format!(
                "<companyHandle>{}</companyHandle><nameArray><items>stolen</items></nameArray>",
                app.company
            ),
        )
        .await;
    assert!(items(stolen.ok("getAssetsByName"), "assetArray").is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessed_handles_of_another_company_reach_nothing_from_ones_own() {
    let app = spawn_app().await;
    let acme_asset = app.add_image("secret", "rocket.jpg").await;
    let other = admin::add_company(&app.pool, "Other").await.unwrap();
    let other_folder = admin::add_folder(&app.pool, other, "/in").await.unwrap();
    app.add_member("bob@other.example", other, Role::IpsUser).await;
    let c = format!("<companyHandle>{other}</companyHandle>");

    let copy = app
        .call_as(
            "bob@other.example",
            IPS_2014,
            "copyImage",
            &format!("{c}<assetHandle>{acme_asset}</assetHandle><folderHandle>{other_folder}</folderHandle><name>stolen</name><urlModifier/>"),
        )
        .await;
    let into_acme = app
        .call_as(
            "bob@other.example",
            IPS_2014,
            "copyImage",
            &format!("{c}<assetHandle>{acme_asset}</assetHandle><folderHandle>{}</folderHandle><name>stolen</name><urlModifier/>", app.folder),
        )
        .await;
    let read = app
        .call_as(
            "bob@other.example",
            IPS_2014,
            "getAssets",
            &format!("{c}<assetHandleArray><items>{acme_asset}</items></assetHandleArray>"),
        )
        .await;
    let delete = app
        .call_as(
            "bob@other.example",
            IPS_2014,
            "deleteAssets",
            &format!("{c}<assetHandleArray><items>{acme_asset}</items></assetHandleArray>"),
        )
        .await;

    assert_eq!(copy.fault().1, 30001, "{}", copy.raw);
    assert_eq!(into_acme.fault().1, 30001, "{}", into_acme.raw);
    assert!(items(read.ok("getAssets"), "assetArray").is_empty(), "{}", read.raw);
    let delete = delete.ok("deleteAssets");
    assert_eq!((text(delete, "successCount"), text(delete, "errorCount")), ("0", "1"));
    let mine = app.call("getAssets", &format!("<companyHandle>{}</companyHandle><assetHandleArray><items>{acme_asset}</items></assetHandleArray>", app.company)).await;
    let mine = items(mine.ok("getAssets"), "assetArray");
    assert_eq!(text(mine[0], "trashState"), "NotInTrash");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ips_admin_acts_in_any_company_without_a_membership() {
    let app = spawn_app().await;
    admin::add_user(&app.pool, "root@ips.example", PASSWORD, Some(Role::IpsAdmin)).await.unwrap();

    let reply = app
        .call_as(
            "root@ips.example",
            IPS_2014,
            "getFolders",
            &format!("<companyHandle>{}</companyHandle>", app.company),
        )
        .await;

    let folders = items(reply.ok("getFolders"), "folderArray");
    let paths: Vec<&str> = folders.iter().map(|f| text(f, "path")).collect();
    assert_eq!(paths, ["Acme/", "Acme/copies/"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_any_active_membership_may_not_even_read_their_own_account() {
    let app = spawn_app().await;
    admin::add_user(&app.pool, "loner@nowhere.example", PASSWORD, None).await.unwrap();

    let mut codes = Vec::new();
    for op in ["getUserInfo", "getCompanyMembership", "checkLogin"] {
        let params = if op == "checkLogin" {
            format!("<email>{}</email><password>x</password>", app.email)
        } else {
            String::new()
        };
        let reply = app.call_as("loner@nowhere.example", IPS_2014, op, &params).await;
        codes.push((op, reply.fault().0, reply.fault().1));
    }

    for (op, element, code) in codes {
        assert_eq!((element.as_str(), code), ("authorizationFault", 20000), "{op}");
    }
    app.stop().await;
}
