//! The render hand-off: a copy's pixel work runs on the blocking pool under one render permit,
//! with its decode shared by the other copies of its master that decode it alike.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use bytes::Bytes;
use ipscopy_render::{Modifier, RenderError, Rendered};
use tokio::{sync::OwnedSemaphorePermit, time::Instant};
use tokio_util::sync::CancellationToken;

use super::{
    JobContext,
    execute::{Stop, check},
};
use crate::domain::JobFailure;

/// Renders `source`, the master stored under `key`, through `modifier`, and records the
/// engine's time for the copy.
///
/// A copy holds one render permit from its first pixel to its last, its decode included, and
/// has `render_timeout` from the moment it got it, so memory stays bounded by render threads ×
/// per-render budget and the time limit means what it did. A copy whose decode another copy is
/// making waits for it without a permit, then takes one for its own finish.
pub(super) async fn render(
    ctx: &JobContext,
    key: &str,
    source: Bytes,
    modifier: &Modifier,
    cancel: &CancellationToken,
) -> Result<Rendered, Stop> {
    let limits = ctx.limits.clone();
    // The header and the plan: cheap, but a parser is still third-party code on untrusted
    // bytes, so it runs where a panic becomes this job's failure.
    let prepared = {
        let (source, modifier, limits) = (source.clone(), modifier.clone(), limits.clone());
        tokio::task::spawn_blocking(move || ipscopy_render::prepare(&source, &modifier, &limits))
            .await
            .map_err(JobFailure::render_crashed)?
            .map_err(JobFailure::from)?
    };
    let prepared = Arc::new(prepared);
    if !ctx.decodes.admits(&prepared) {
        let slot = Slot::take(ctx).await?;
        check(cancel)?;
        let (rendered, slot) = slot.run(ctx, move || prepared.render(&source, &limits)).await?;
        crate::metrics::rendered(slot.busy);
        return Ok(rendered);
    }
    // The copy that makes the decode keeps its slot for its finish. The decode is not given up
    // when that copy is cancelled: other copies may be waiting for it.
    let kept = Mutex::new(None);
    let decode = {
        let (prepared, source, kept) = (prepared.clone(), source.clone(), &kept);
        async move {
            let slot = Slot::take(ctx).await?;
            let (decoded, slot) = slot.run(ctx, move || prepared.decode(&source)).await?;
            *kept.lock().unwrap_or_else(PoisonError::into_inner) = Some(slot);
            Ok(decoded)
        }
    };
    let decoded = ctx.decodes.get(key, &prepared, decode).await?;
    let kept = kept.lock().unwrap_or_else(PoisonError::into_inner).take();
    let slot = match kept {
        Some(slot) => slot,
        None => Slot::take(ctx).await?,
    };
    check(cancel)?;
    let (rendered, slot) = slot.run(ctx, move || prepared.finish(&decoded, &limits)).await?;
    crate::metrics::rendered(slot.busy);
    Ok(rendered)
}

/// A render permit held by one copy, with the copy's deadline and its engine time so far.
struct Slot {
    permit: OwnedSemaphorePermit,
    deadline: Instant,
    busy: Duration,
}

impl Slot {
    /// Waits for a render permit; the copy's time limit starts once it has one.
    async fn take(ctx: &JobContext) -> Result<Self, JobFailure> {
        let permit =
            ctx.render_permits.clone().acquire_owned().await.map_err(|_| JobFailure::worker_stopping())?;
        Ok(Self { permit, deadline: Instant::now() + ctx.timing.render_timeout, busy: Duration::ZERO })
    }

    /// Runs `work` on the blocking pool under this slot's permit, within the copy's deadline,
    /// and hands the slot back for the copy's next step. The permit moves into the thread: work
    /// abandoned at the deadline keeps it until it really ends.
    async fn run<T: Send + 'static>(
        self,
        ctx: &JobContext,
        work: impl FnOnce() -> Result<T, RenderError> + Send + 'static,
    ) -> Result<(T, Self), JobFailure> {
        let Self { permit, deadline, busy } = self;
        let task = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let done = work();
            (done, started.elapsed(), permit)
        });
        let (done, took, permit) = tokio::time::timeout_at(deadline, task)
            .await
            .map_err(|_| JobFailure::render_timeout(ctx.timing.render_timeout))?
            .map_err(JobFailure::render_crashed)?;
        Ok((done.map_err(JobFailure::from)?, Self { permit, deadline, busy: busy + took }))
    }
}
