-- Batches are completed by a background pass instead of inside every job's finalize transaction
-- (which locked the batch row and counted its jobs once per job). These keep that pass cheap:
-- it visits only open batches, and only their unfinished jobs.
create index batches_open on batches (batch_id) where completed_at is null;
create index jobs_open_by_batch on jobs (batch_id) where batch_id is not null and state in ('queued', 'running');
