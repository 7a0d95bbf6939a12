//! `submitJob` with an `uploadUrlsJob`: the URLs become one import (the same use case as
//! `POST /v1/imports`), answered with the handle of the one IPS job its items make. Options of
//! the job that this server does not implement are refused by name, never ignored.

use super::{Call, folder_path};
use crate::{
    batch::WholeJob,
    domain::{CompanyHandle, Fault, ImportJobHandle},
    error::Result,
    import::{ImportItem, ImportRequest},
    soap::{schema::complex, xml::Element, xml::Node},
};

/// Why an `uploadUrlsJob` option that Adobe's schema allows is not implemented here.
fn why_not(option: &str) -> &'static str {
    match option {
        "preservePublishState" => "every asset is served as soon as it is ready: there is no publish state",
        "postHttpUrl" | "emailSetting" => {
            "this server sends no e-mail or job-end POST; register a webhook for import.completed"
        }
        name if name.starts_with("post") => "this server runs no jobs after an upload",
        "projectHandleArray" => "this server has no projects",
        _ => "this server stores masters as they are sent: it crops, masks, converts and rips nothing",
    }
}

pub async fn submit_job(call: &Call<'_>) -> Result<Node> {
    let company = call.company().await?;
    let job_name = call.required("jobName")?.to_string();
    let job = call
        .params
        .child("uploadUrlsJob")
        .ok_or_else(|| Fault::missing_parameter("uploadUrlsJob (the one job type this server runs)"))?;
    let served: Vec<&str> = complex("UploadUrlsJob").fields.iter().map(|f| f.name).collect();
    check_options(job, "uploadUrlsJob", &served, false)?;
    let urls: Vec<&Element> =
        job.child("urlArray").map(|a| a.children_named("items").collect()).unwrap_or_default();
    if urls.is_empty() {
        return Err(Fault::missing_parameter("uploadUrlsJob/urlArray items").into());
    }
    if let Some(n) = job.child("numUrls").map(|n| n.text.trim())
        && n.parse::<usize>().ok() != Some(urls.len())
    {
        return Err(Fault::invalid_parameter(format!(
            "uploadUrlsJob/numUrls {n:?} is not the {} items of urlArray",
            urls.len()
        ))
        .into());
    }
    let mut items = Vec::with_capacity(urls.len());
    for url in urls {
        let text = |name: &str| url.child(name).map(|e| e.text.trim().to_string()).unwrap_or_default();
        let (source, dest) = (text("sourceUrl"), text("destPath"));
        let (folder, file) = dest.rsplit_once('/').unwrap_or(("", &dest));
        let folder = folder_path(&company, &format!("{folder}/"))?;
        let name = file.rsplit_once('.').map_or(file, |(stem, _)| stem).to_string();
        items.push(ImportItem {
            source_url: Some(source),
            folder_handle: folder.to_string(),
            name,
            ..ImportItem::default()
        });
    }
    let company_handle = CompanyHandle(company.company_id).to_string();
    let request = ImportRequest { company_handle, items, callback_url: None };
    let job = WholeJob { name: &job_name, items: "uploadUrlsJob/urlArray item" };
    let accepted = call.state.copier.submit_import(call.caller, &request, Some(job)).await?;
    let batch = accepted.batch.ok_or_else(|| Fault::new(Fault::EXCEPTION, "the job was not recorded"))?;
    let handle = ImportJobHandle { company_id: batch.company_id, batch_id: batch.batch_id };
    Ok(Node::new("submitJobReturn").child(Node::leaf("jobHandle", handle)))
}

/// Refuses, by name, every element of the job (`what`) outside `served`, and the values of the
/// served switches this server cannot honour; `overwrite` is one unless `can_overwrite`.
pub(in crate::soap) fn check_options(
    job: &Element,
    what: &str,
    served: &[&str],
    can_overwrite: bool,
) -> Result<(), Fault> {
    for child in &job.children {
        if !served.contains(&child.name.as_str()) {
            return Err(Fault::invalid_parameter(format!(
                "{what}/{} is not supported by this server: {}",
                child.name,
                why_not(&child.name)
            )));
        }
    }
    if !can_overwrite && flag(job, "overwrite") {
        return Err(Fault::invalid_parameter(format!(
            "{what}/overwrite=true is not supported by this server: an import never replaces a master; \
             replace one with POST /v1/assets?overwrite=true"
        )));
    }
    if flag(job, "createMask") {
        return Err(Fault::invalid_parameter(format!(
            "{what}/createMask=true is not supported by this server: {}",
            why_not("createMask")
        )));
    }
    let email = job.child("emailSetting").map(|e| e.text.trim()).unwrap_or_default();
    if !email.is_empty() && !email.eq_ignore_ascii_case("None") {
        return Err(Fault::invalid_parameter(format!(
            "{what}/emailSetting {email:?} is not supported by this server: {}; send None",
            why_not("emailSetting")
        )));
    }
    Ok(())
}

/// Whether the switch `name` of `job` is on.
pub(in crate::soap) fn flag(job: &Element, name: &str) -> bool {
    job.child(name).map(|e| e.text.trim()).is_some_and(|t| t == "true" || t == "1")
}

/// Checks the `uploadParams` (an `UploadPostJob`) of an UploadFile servlet request.
pub(in crate::soap) fn upload_options(job: &Element) -> Result<(), Fault> {
    check_options(
        job,
        "uploadParams/uploadParams",
        &["overwrite", "readyForPublish", "createMask", "emailSetting"],
        true,
    )
}
