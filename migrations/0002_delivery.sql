-- Cancellation and stuck-job rescue.

alter table jobs drop constraint jobs_state_check;
alter table jobs add constraint jobs_state_check
    check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled'));

-- Set by a cancel of a running job; the worker honours it at its next stage boundary.
alter table jobs add column cancel_requested boolean not null default false;

-- The rescuer looks for running jobs whose worker stopped sending heartbeats, and for queued
-- jobs whose message was lost.
create index jobs_running_heartbeat on jobs (heartbeat_at) where state = 'running';
create index jobs_queued_updated on jobs (updated_at) where state = 'queued';
