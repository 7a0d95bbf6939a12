//! Bringing a master in: a body streamed to the object store and checked as it passes. Its
//! first MiB is probed before anything is stored (not an image, or pixels over the render
//! limits: refused at once), its size is counted against the limit, and its last bytes must end
//! the file as its format ends; a body that fails any check, or whose client hangs up, is never
//! completed in the store, and its reserved asset gives its name back.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, stream};
use ipscopy_render::{HEAD_BYTES, Limits, RenderError, SourceInfo, TAIL_BYTES};
use sqlx::PgPool;

use crate::{
    auth::{self, Caller},
    db::{
        self,
        assets::{AssetRow, ImageFacts, NewAsset},
    },
    domain::{AssetHandle, AssetState, CompanyHandle, Fault, FolderPath, TrashState, names, role::Access},
    error::Result,
    storage::{PutStreamError, Storage, asset_key},
};

/// What a client asks to upload: where, under which name, and whether it may replace the
/// master of the asset that already has that name.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub company: CompanyHandle,
    pub folder: FolderPath,
    pub name: String,
    pub overwrite: bool,
}

/// What an upload did.
#[derive(Debug)]
pub enum Uploaded {
    /// A new asset holds the master.
    Created(AssetRow),
    /// The existing asset of that name has the new master, and its version went up by one.
    Replaced(AssetRow),
}

/// Takes uploads: the store, the catalog, and the limits a master must pass.
#[derive(Clone)]
pub struct Uploader {
    pub pool: PgPool,
    pub storage: Storage,
    pub limits: Arc<Limits>,
    /// Largest master accepted, in bytes.
    pub max_bytes: u64,
}

/// Where a new master goes.
#[derive(Debug, Clone, Copy)]
enum Target {
    New { asset_id: i64 },
    Replace { asset_id: i64, seen: i32 },
}

impl Uploader {
    /// Streams `body` in as the master named by `request`. `body` errors (the client hung up, a
    /// malformed multipart part) end the upload with nothing stored.
    pub async fn upload<S, E>(
        &self,
        caller: &Caller,
        request: &UploadRequest,
        mut body: S,
    ) -> Result<Uploaded>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display + Send + 'static,
    {
        let company = request.company;
        auth::authorize(&self.pool, caller, company, Access::Write).await?;
        names::validate("name", &request.name)?;
        let folder_id =
            db::folders::find(&self.pool, company.0, request.folder.as_str()).await?.ok_or_else(|| {
                Fault::not_found(format!("folder {} is not a folder of company {company}", request.folder))
            })?;

        // The head is read and probed before a row is written or a byte is stored.
        let probed = probe(&mut body, &self.limits, self.max_bytes).await.map_err(Refusal::into_fault)?;
        let info = probed.info.clone();

        let target = self.target(caller, request, folder_id).await?;
        let (asset_id, key) = match target {
            Target::New { asset_id } => (asset_id, asset_key(company.0, asset_id)),
            Target::Replace { asset_id, seen } => (
                asset_id,
                format!("{}.v{}-{:08x}", asset_key(company.0, asset_id), seen + 1, rand::random::<u32>()),
            ),
        };
        let file_size = match store(&self.storage, &key, probed, body, self.max_bytes).await {
            Ok(size) => size,
            Err(e) => {
                if let Target::New { asset_id } = target {
                    db::assets::mark_failed(&self.pool, asset_id).await?;
                }
                return Err(match e {
                    PutStreamError::Body(refusal) => refusal.into_fault(),
                    PutStreamError::Storage(e) => anyhow::Error::new(e)
                        .context(format!("storing the upload of {}", request.name))
                        .into(),
                });
            }
        };
        let facts = ImageFacts::of_master(&key, &info, file_size);
        self.finish(caller, company, target, &facts, &info).await?;
        let asset = db::assets::find(&self.pool, asset_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("asset {asset_id} vanished after its upload"))?;
        crate::metrics::uploaded(file_size);
        tracing::info!(asset = %AssetHandle::new(company.0, asset_id), bytes = file_size, version = asset.version, "master uploaded");
        Ok(match target {
            Target::New { .. } => Uploaded::Created(asset),
            Target::Replace { .. } => Uploaded::Replaced(asset),
        })
    }

    /// Reserves a new asset for the name, or picks the asset an overwrite replaces.
    async fn target(&self, caller: &Caller, request: &UploadRequest, folder_id: i64) -> Result<Target> {
        let company = request.company;
        let name = &request.name;
        if request.overwrite
            && let Some(found) = db::assets::find_by_name(&self.pool, company.0, name).await?
        {
            let handle = AssetHandle::new(company.0, found.asset_id);
            return match (found.state, found.trash_state) {
                (AssetState::Pending, _) => Err(Fault::conflict(format!(
                    "asset {handle} ({name:?}) is still being rendered; overwrite it once its copy has finished"
                ))
                .into()),
                (_, TrashState::NotInTrash) => Ok(Target::Replace { asset_id: found.asset_id, seen: found.version }),
                _ => Err(Fault::conflict(format!(
                    "asset {handle} ({name:?}) is in the trash; restore it before overwriting its master"
                ))
                .into()),
            };
        }
        let new_asset = NewAsset::master(company.0, folder_id, name, Some(caller.user_id));
        match db::assets::insert_pending(&self.pool, &new_asset).await? {
            Some(asset_id) => Ok(Target::New { asset_id }),
            None => Err(Fault::conflict(format!(
                "name {name:?} is already used by an asset of company {company}; send overwrite=true to replace its master"
            ))
            .into()),
        }
    }

    /// Records a stored master on its asset; a replaced master's object is deleted.
    async fn finish(
        &self,
        caller: &Caller,
        company: CompanyHandle,
        target: Target,
        facts: &ImageFacts<'_>,
        info: &SourceInfo,
    ) -> Result<()> {
        match target {
            Target::New { asset_id } => {
                db::assets::mark_ready(&self.pool, asset_id, facts).await?;
            }
            Target::Replace { asset_id, seen } => {
                match db::assets::replace_master(&self.pool, asset_id, seen, facts, caller.user_id).await? {
                    Some(old) => {
                        if let Some(old) = old {
                            self.delete_quietly(&old).await;
                        }
                    }
                    None => {
                        self.delete_quietly(facts.object_key).await;
                        return Err(Fault::conflict(format!(
                            "another upload replaced the {} master of asset {} first; nothing was changed",
                            info.format,
                            AssetHandle::new(company.0, asset_id)
                        ))
                        .into());
                    }
                }
            }
        }
        Ok(())
    }

    /// Deletes an object no asset names any more; a failure only leaves it behind, logged.
    async fn delete_quietly(&self, key: &str) {
        if let Err(e) = self.storage.delete(key).await {
            tracing::warn!(error = %e, key, "an object no asset names was not deleted");
        }
    }
}

/// A body whose head was read and probed: what image it starts as.
pub struct Probed {
    head: Bytes,
    /// The body ended within the head: it is not polled again.
    whole: bool,
    pub info: SourceInfo,
}

/// Reads up to [`HEAD_BYTES`] of `body` (less if it ends first) and probes them: not an image,
/// or pixels over the render limits, is refused before anything is stored.
pub async fn probe<S, E>(body: &mut S, limits: &Limits, max_bytes: u64) -> Result<Probed, Refusal>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut head = BytesMut::new();
    let mut whole = false;
    while head.len() < HEAD_BYTES {
        match body.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(Refusal::Body(e.to_string())),
            None => {
                whole = true;
                break;
            }
        }
    }
    if head.is_empty() {
        return Err(Refusal::Empty);
    }
    if head.len() as u64 > max_bytes {
        return Err(Refusal::TooLarge(max_bytes));
    }
    let info = ipscopy_render::probe_head(&head, limits).map_err(Refusal::Image)?;
    Ok(Probed { head: head.freeze(), whole, info })
}

/// Streams a probed body whole to `key`: counted against `max_bytes`, and checked at its end
/// (a truncated file fails there, so the store never completes its object). Returns its size.
pub async fn store<S, E>(
    storage: &Storage,
    key: &str,
    probed: Probed,
    body: S,
    max_bytes: u64,
) -> Result<u64, PutStreamError<Refusal>>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display + Send + 'static,
{
    let format = probed.info.format;
    let rest = stream::iter((!probed.whole).then_some(body)).flatten();
    let mut checked = Checked::new(stream::iter([Ok(probed.head)]).chain(rest), format, max_bytes);
    storage.put_stream(key, names::mime_of(format), &mut checked).await
}

/// Why a body was not stored.
#[derive(Debug)]
pub enum Refusal {
    /// The body holds no byte.
    Empty,
    /// Over the size limit (bytes).
    TooLarge(u64),
    /// The engine refused the file (truncated).
    Image(RenderError),
    /// The body itself failed: the client hung up or sent a malformed request.
    Body(String),
}

impl Refusal {
    /// The refusal as the fault an uploading client gets.
    pub fn into_fault(self) -> crate::error::Error {
        match self {
            Refusal::Empty => {
                Fault::missing_parameter("the image (the request body, or a multipart part named file)")
                    .into()
            }
            Refusal::TooLarge(max) => too_large(max).into(),
            Refusal::Image(e) => refused(e).into(),
            Refusal::Body(reason) => {
                Fault::invalid_parameter(format!("the upload did not arrive whole: {reason}")).into()
            }
        }
    }
}

fn too_large(max: u64) -> Fault {
    Fault::too_large(format!("the image is larger than this server's upload limit of {max} bytes"))
}

/// 30001 with the engine's reason; a master over the limits is refused like a bad one.
fn refused(e: RenderError) -> Fault {
    Fault::invalid_parameter(format!("the upload is not an image this server can keep: {e}"))
}

/// The body as it goes to the store: counted against the limit, its tail kept, and checked at
/// its end, where an error stops the store from completing the object.
struct Checked<S> {
    inner: S,
    format: &'static str,
    max_bytes: u64,
    len: u64,
    /// The first bytes (a WebP states its length there).
    start: Vec<u8>,
    tail: Vec<u8>,
    done: bool,
}

impl<S> Checked<S> {
    fn new(inner: S, format: &'static str, max_bytes: u64) -> Self {
        Self { inner, format, max_bytes, len: 0, start: Vec::new(), tail: Vec::new(), done: false }
    }

    fn take(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        self.len += chunk.len() as u64;
        if self.len > self.max_bytes {
            return Err(Refusal::TooLarge(self.max_bytes));
        }
        if self.start.len() < 16 {
            let want = (16 - self.start.len()).min(chunk.len());
            self.start.extend_from_slice(&chunk[..want]);
        }
        self.tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_BYTES)..]);
        let excess = self.tail.len().saturating_sub(TAIL_BYTES);
        self.tail.drain(..excess);
        Ok(())
    }
}

impl<S, E> Stream for Checked<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    type Item = Result<Bytes, Refusal>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = match ready!(this.inner.poll_next_unpin(cx)) {
            Some(Ok(chunk)) => this.take(&chunk).map(|()| chunk),
            Some(Err(e)) => Err(Refusal::Body(e.to_string())),
            None => {
                this.done = true;
                return Poll::Ready(
                    ipscopy_render::check_ending(this.format, &this.start, &this.tail, this.len)
                        .err()
                        .map(|e| Err(Refusal::Image(e))),
                );
            }
        };
        if item.is_err() {
            this.done = true;
        }
        Poll::Ready(Some(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>())
    }

    async fn run(parts: &[&'static [u8]], format: &'static str, max: u64) -> Result<Vec<u8>, Refusal> {
        let mut checked = Checked::new(chunks(parts), format, max);
        let mut out = Vec::new();
        while let Some(item) = checked.next().await {
            out.extend_from_slice(&item?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn a_body_passes_through_whole_when_it_ends_as_its_format_does() {
        let out = run(&[b"GIF89a...", b"...", b";"], "gif", 100).await.unwrap();

        assert_eq!(out, b"GIF89a......;");
    }

    #[tokio::test]
    async fn a_body_that_stops_short_fails_at_its_end_so_the_store_never_completes_it() {
        let err = run(&[b"GIF89a...", b"..."], "gif", 100).await.unwrap_err();

        assert!(matches!(err, Refusal::Image(RenderError::Undecodable(_))), "{err:?}");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_fails_at_the_chunk_that_crosses_it() {
        let err = run(&[b"GIF89a", b"0123456789", b";"], "gif", 12).await.unwrap_err();

        assert!(matches!(err, Refusal::TooLarge(12)), "{err:?}");
    }
}
