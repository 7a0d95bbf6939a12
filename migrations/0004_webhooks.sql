-- Webhooks: endpoints per company, one message per event, one delivery per (message, endpoint),
-- and every attempt logged. Messages are written in the transaction that finalizes the job, so
-- no finished job misses its event; the sender works from these tables, never from the broker.

-- A per-request callbackUrl given with a copy.
alter table jobs add column callback_url text;

create table webhook_endpoints (
    endpoint_id                bigserial primary key,
    company_id                 bigint not null references companies,
    -- 'endpoint': registered by a client. 'callback': one per company, whose secret signs the
    -- deliveries to per-request callbackUrls (its own url stays null).
    kind                       text not null default 'endpoint' check (kind in ('endpoint', 'callback')),
    url                        text check ((kind = 'endpoint') = (url is not null)),
    -- Event types delivered; empty means every type.
    events                     text[] not null default '{}',
    description                text not null default '',
    -- whsec_… secrets are needed in clear to sign; they are never logged.
    secret                     text not null,
    -- After a rotation the old secret also signs until previous_secret_expires_at.
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    state                      text not null default 'enabled' check (state in ('enabled', 'disabled')),
    disabled_reason            text,
    -- Start of the current run of failed attempts; the endpoint is disabled when it gets too old.
    failing_since              timestamptz,
    created_by                 bigint references users,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now()
);
create index webhook_endpoints_company on webhook_endpoints (company_id);
create unique index webhook_endpoints_one_callback on webhook_endpoints (company_id) where kind = 'callback';

create table webhook_messages (
    message_id bigserial primary key,
    -- The webhook-id header: stable across retries and endpoints, the receivers' dedupe key.
    msg_key    text not null unique,
    company_id bigint not null references companies,
    event_type text not null,
    -- The exact body sent, kept as text so every retry signs the same bytes.
    payload    text not null,
    job_id     bigint references jobs,
    created_at timestamptz not null default now()
);
create index webhook_messages_company on webhook_messages (company_id, created_at);

create table webhook_deliveries (
    delivery_id     bigserial primary key,
    message_id      bigint not null references webhook_messages on delete cascade,
    endpoint_id     bigint not null references webhook_endpoints on delete cascade,
    -- Overrides the endpoint's url: the callbackUrl of a copy.
    url             text,
    state           text not null default 'pending'
        check (state in ('pending', 'sending', 'succeeded', 'failed')),
    -- What starts the next attempt: the retry schedule, a resend or a recovery.
    trigger         text not null default 'scheduled' check (trigger in ('scheduled', 'manual', 'recovery')),
    attempts        integer not null default 0,
    -- Scheduled attempts made, which picks the next delay of the retry schedule.
    scheduled_steps integer not null default 0,
    next_attempt_at timestamptz default now(),
    -- A sender holds a 'sending' row until then; past it another sender may take it over.
    locked_until    timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state in ('pending', 'sending');
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at);

create table webhook_attempts (
    attempt_id       bigserial primary key,
    delivery_id      bigint not null references webhook_deliveries on delete cascade,
    trigger          text not null,
    succeeded        boolean not null,
    -- Null when no response came (refused address, connection error, timeout).
    response_status  integer,
    response_excerpt text,
    error            text,
    duration_ms      integer not null,
    attempted_at     timestamptz not null default now()
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, attempt_id);
