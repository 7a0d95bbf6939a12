-- Bulk submission: batches of copies and idempotent retries.

create table batches (
    batch_id     bigserial primary key,
    company_id   bigint not null references companies,
    created_by   bigint references users,
    -- Items accepted as jobs; items refused at submit are only in the submit answer.
    accepted     integer not null,
    rejected     integer not null,
    callback_url text,
    created_at   timestamptz not null default now()
);

alter table jobs add column batch_id bigint references batches;
create index jobs_batch on jobs (batch_id) where batch_id is not null;

-- A retried request with the same key and body gets the first answer back; keys are kept at
-- least 24 hours (expired ones are deleted when the next request comes).
create table idempotency_keys (
    user_id      bigint not null references users,
    key          text not null,
    request_hash bytea not null,
    status       integer,
    response     jsonb,
    created_at   timestamptz not null default now(),
    primary key (user_id, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
