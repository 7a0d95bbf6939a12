-- Operations: the worker registry behind /status and the fleet metrics, and indexes for the
-- last-hour charts.

-- Each worker process inserts its row at start and refreshes last_seen_at every heartbeat; a row
-- whose heartbeat is older than three intervals belongs to a worker that died or lost PostgreSQL.
create table workers (
    worker_id          uuid primary key,
    host               text not null,
    pid                integer not null,
    -- Render slots, which are also the worker's RabbitMQ prefetch.
    slots              integer not null,
    -- Deliveries held (unacknowledged in the broker) at the last heartbeat.
    busy               integer not null default 0,
    heartbeat_interval interval not null,
    started_at         timestamptz not null default now(),
    last_seen_at       timestamptz not null default now(),
    -- Set by a clean shutdown, so a stopped worker is not mistaken for a dead one.
    stopped_at         timestamptz
);
create index workers_last_seen on workers (last_seen_at);

-- Throughput and latency per minute over the last hour read finished jobs by time, and the depth
-- chart reads submissions by time.
create index jobs_finished_at on jobs (finished_at) where finished_at is not null;
create index jobs_created_at on jobs (created_at);
