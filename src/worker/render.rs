//! The render hand-off: a copy's pixel work runs on the blocking pool under a render permit,
//! with its decode shared by the other copies of its master that decode it alike.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use ipscopy_render::{Modifier, RenderError, Rendered};

use super::JobContext;
use crate::domain::JobFailure;

/// Renders `source`, the master stored under `key`, through `modifier`; records the engine's
/// time for the copy (a shared decode counts for the copy that made it).
pub(super) async fn render(
    ctx: &JobContext,
    key: &str,
    source: Bytes,
    modifier: &Modifier,
) -> Result<Rendered, JobFailure> {
    let limits = ctx.limits.clone();
    // The header and the plan only: cheap, and it tells which decode the copy needs.
    let prepared = Arc::new(ipscopy_render::prepare(&source, modifier, &limits)?);
    if !ctx.decodes.admits(&prepared) {
        let (rendered, took) = blocking(ctx, move || prepared.render(&source, &limits)).await?;
        crate::metrics::rendered(took);
        return Ok(rendered);
    }
    let decode_took = AtomicU64::new(0);
    let decode = {
        let (prepared, source, decode_took) = (prepared.clone(), source.clone(), &decode_took);
        async move {
            let (decoded, took) = blocking(ctx, move || prepared.decode(&source)).await?;
            decode_took.store(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
            Ok(decoded)
        }
    };
    let decoded = ctx.decodes.get(key, &prepared, decode).await?;
    let (rendered, took) = blocking(ctx, move || prepared.finish(&decoded, &limits)).await?;
    crate::metrics::rendered(took + Duration::from_nanos(decode_took.load(Ordering::Relaxed)));
    Ok(rendered)
}

/// Runs `work` on the blocking pool once a render permit is free; returns its result and how
/// long it ran. The permit moves into the
/// thread: work abandoned at the render time limit keeps its permit until it really ends, so
/// memory stays bounded by render threads × per-render budget.
async fn blocking<T: Send + 'static>(
    ctx: &JobContext,
    work: impl FnOnce() -> Result<T, RenderError> + Send + 'static,
) -> Result<(T, Duration), JobFailure> {
    let permit =
        ctx.render_permits.clone().acquire_owned().await.map_err(|_| JobFailure::worker_stopping())?;
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let started = Instant::now();
        work().map(|done| (done, started.elapsed()))
    });
    // Past its time limit the work is abandoned: its thread finishes on its own, its result is dropped.
    let limit = ctx.timing.render_timeout;
    tokio::time::timeout(limit, task)
        .await
        .map_err(|_| JobFailure::render_timeout(limit))?
        .map_err(JobFailure::render_crashed)?
        .map_err(JobFailure::from)
}
