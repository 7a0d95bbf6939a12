//! The IPS UploadFile servlet, `POST /scene7/UploadFile`: a `multipart/form-data` body of an
//! `auth` part (an `authHeader` document), an `uploadParams` part (`companyHandle`, `jobName` or
//! `jobHandle`, `destFolder`, `fileName`, `endJob` and the job's `uploadParams`), then file
//! parts. Each file streams through the upload use case (probe, limits, end check) as it
//! arrives and its outcome is recorded with the job; the answer is `uploadPostReturn{jobHandle}`,
//! or the fault element — with HTTP 200 either way, as IPS answers.

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use futures::TryStreamExt;

use super::{
    Scope, auth, client_fault,
    envelope::NS_IPS,
    fault,
    ops::{Call, flag, upload_options},
    xml::{Element, Node},
};
use crate::{
    auth::Caller,
    db,
    domain::{CompanyHandle, Fault, FolderPath, UploadJobHandle, role::Access},
    error::{Error, Result},
    state::{AppState, ClientAddress},
    upload::{UploadRequest, Uploaded},
};

/// The elements of the `uploadParams` part.
const PARAMS: &[&str] =
    &["companyHandle", "jobName", "jobHandle", "destFolder", "fileName", "endJob", "uploadParams"];

/// The servlet's route, with no body limit of its own: each file has the upload limit.
pub fn router() -> Router<AppState> {
    Router::new().route("/scene7/UploadFile", post(upload_file)).layer(DefaultBodyLimit::disable())
}

async fn upload_file(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let body = match receive(&state, address, &headers, request).await {
        Ok(job) => Node::new("uploadPostReturn")
            .attr("xmlns", NS_IPS)
            .child(Node::leaf("jobHandle", job))
            .to_document(),
        Err(e) => fault::detail(&client_fault(e)).to_document(),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The job one request adds to, once its `auth` and `uploadParams` parts were read.
struct Session {
    caller: Caller,
    company: CompanyHandle,
    folder: FolderPath,
    overwrite: bool,
    /// The asset name `fileName` gives the request's file.
    file_name: Option<String>,
    job: UploadJobHandle,
    end_job: bool,
}

async fn receive(
    state: &AppState,
    address: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    request: Request,
) -> Result<UploadJobHandle> {
    let malformed = |why: String| Fault::invalid_parameter(format!("the multipart body is malformed: {why}"));
    let mut form = Multipart::from_request(request, state).await.map_err(|e| malformed(e.body_text()))?;
    let (mut auth_part, mut params, mut session) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(|e| malformed(e.body_text()))? {
        let part = field.name().unwrap_or_default().to_string();
        let Some(file) = field.file_name().map(str::to_string) else {
            let text = crate::server::form_text(field, &part).await?;
            let parsed = Element::parse(&text).map_err(|e| {
                Fault::new(Fault::INVALID_REQUEST_XML, format!("the {part} part is not XML: {}", e.0))
            })?;
            match part.as_str() {
                "auth" => auth_part = Some(parsed),
                "uploadParams" => params = Some(parsed),
                other => {
                    return Err(Fault::invalid_parameter(format!(
                        "form part {other:?} is not auth, uploadParams or a file"
                    ))
                    .into());
                }
            }
            continue;
        };
        if session.is_none() {
            session =
                Some(Session::start(state, address, headers, auth_part.as_ref(), params.as_ref()).await?);
        }
        let session = session.as_ref().expect("started above");
        session.store(state, &file, field.map_err(|e| e.body_text())).await?;
    }
    let session = match session {
        Some(session) => session,
        None => Session::start(state, address, headers, auth_part.as_ref(), params.as_ref()).await?,
    };
    if session.end_job {
        db::upload_jobs::end(&state.pool, session.job.upload_job_id).await?;
    }
    Ok(session.job)
}

impl Session {
    /// Authenticates the caller, checks the parameters and opens (`jobName`) or finds
    /// (`jobHandle`) the job.
    async fn start(
        state: &AppState,
        address: Option<std::net::IpAddr>,
        headers: &HeaderMap,
        auth_part: Option<&Element>,
        params: Option<&Element>,
    ) -> Result<Self> {
        let credentials = auth::read(auth_part.map(std::slice::from_ref).unwrap_or_default(), headers)
            .credentials
            .ok_or_else(|| {
                Fault::new(Fault::NO_CREDENTIALS, "no credentials: send an auth part holding an authHeader")
            })?;
        let caller = state.auth.authenticate(&credentials, address).await?;
        let params =
            params.ok_or_else(|| Fault::missing_parameter("the uploadParams part (before the files)"))?;
        if let Some(stray) = params.children.iter().find(|c| !PARAMS.contains(&c.name.as_str())) {
            return Err(Fault::invalid_parameter(format!(
                "uploadParams/{} is not supported by this server; it takes {}",
                stray.name,
                PARAMS.join(", ")
            ))
            .into());
        }
        let call = Call { state, caller: &caller, params, scope: Scope::Company(Access::Write) };
        let company = call.company().await?;
        let options = params.child("uploadParams");
        if let Some(options) = options {
            upload_options(options)?;
        }
        let folder = match call.optional("destFolder") {
            Some(text) => call.folder(&company, "destFolder", text).await?.1,
            None => FolderPath::parse_handle(&company.root_path)?,
        };
        let company = CompanyHandle(company.company_id);
        let job = match (call.optional("jobHandle"), call.optional("jobName")) {
            (Some(text), _) => {
                let handle = UploadJobHandle::parse(text)?;
                let found = db::upload_jobs::find(&state.pool, company.0, handle.upload_job_id).await?;
                match found {
                    Some(job) if !job.ended => handle,
                    Some(_) => {
                        return Err(Fault::invalid_parameter(format!(
                            "job {handle} has ended: start another"
                        ))
                        .into());
                    }
                    None => return Err(Fault::not_found(format!("job {text} does not exist")).into()),
                }
            }
            (None, Some(name)) => {
                let id = db::upload_jobs::open(&state.pool, company.0, caller.user_id, name).await?;
                UploadJobHandle { company_id: company.0, upload_job_id: id }
            }
            (None, None) => return Err(Fault::missing_parameter("jobName or jobHandle").into()),
        };
        Ok(Self {
            company,
            folder,
            overwrite: options.is_some_and(|o| flag(o, "overwrite")),
            file_name: call.optional("fileName").map(str::to_string),
            end_job: flag(params, "endJob"),
            job,
            caller,
        })
    }

    /// Streams one file part in and records what became of it; a file refused is the job's
    /// error row, not the request's fault.
    async fn store<S>(&self, state: &AppState, file: &str, body: S) -> Result<()>
    where
        S: futures::Stream<Item = Result<bytes::Bytes, String>> + Send + Unpin,
    {
        let sent = self.file_name.as_deref().unwrap_or(file);
        let base = sent.rsplit(['/', '\\']).next().unwrap_or(sent);
        let name = base.rsplit_once('.').map_or(base, |(stem, _)| stem).to_string();
        let request = UploadRequest {
            company: self.company,
            folder: self.folder.clone(),
            name,
            overwrite: self.overwrite,
        };
        let outcome = match state.uploader.upload(&self.caller, &request, body).await {
            Ok(Uploaded::Created(asset) | Uploaded::Replaced(asset)) => Ok(asset.asset_id),
            Err(Error::Fault(refused)) => {
                tracing::info!(job = %self.job, file, code = refused.code, reason = %refused.reason, "servlet file refused");
                Err(refused)
            }
            Err(internal) => return Err(internal),
        };
        let recorded = outcome.as_ref().map(|id| *id).map_err(|f| (f.code, f.reason.as_str()));
        db::upload_jobs::record_file(&state.pool, self.job.upload_job_id, base, recorded).await?;
        Ok(())
    }
}
