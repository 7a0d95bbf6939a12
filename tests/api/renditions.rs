//! Renditions of one master in one batch: the worker decodes the master once per decode scale,
//! and every copy is still the file a render of that copy alone gives.

use serde_json::json;

use crate::helpers::{encode, fixture, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renditions_of_one_master_in_one_batch_are_the_files_each_copy_makes_alone() {
    let app = spawn_app().await;
    let photo = fixture("rocket.jpg");
    let source = app.add_image("rocket", "rocket.jpg").await.to_string();
    // On the 640 px photo the first two share the 1/8 decode and the last two the 1/2 one (the
    // quarter turn of the third needs the 1/4).
    let renditions =
        ["wid=60", "wid=70&fmt=webp", "wid=75&fmt=png&rotate=90", "wid=300", "wid=280&fmt=webp&qlt=70"];
    let items: Vec<_> = renditions
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({ "assetHandle": source, "folderHandle": app.folder.to_string(), "name": format!("r{i}"), "urlModifier": m })
        })
        .collect();

    let batch = app
        .post_json(
            202,
            "/v1/copies/batch",
            &json!({ "companyHandle": app.company.to_string(), "items": items }),
        )
        .await;

    assert_eq!(batch["acceptedCount"], renditions.len(), "{batch}");
    let limits = app.settings.worker.render_limits();
    for (item, modifier) in batch["items"].as_array().unwrap().iter().zip(renditions) {
        let job = app.wait_for_job(item["jobHandle"].as_str().unwrap()).await;
        assert_eq!(job["state"], "succeeded", "{job}");
        let (_, copy) = app.content(200, item["assetHandle"].as_str().unwrap()).await;
        let alone =
            ipscopy_render::render(&photo, &ipscopy_render::parse(modifier).unwrap(), &limits).unwrap();
        assert!(copy == alone.bytes, "{modifier}: the batch's copy differs from the copy rendered alone");
    }
    let status =
        app.get_json(200, &format!("/v1/batches/{}", encode(batch["batchHandle"].as_str().unwrap()))).await;
    assert_eq!(status["counts"]["succeeded"], renditions.len(), "{status}");
    app.stop().await;
}
