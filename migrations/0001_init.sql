-- The whole state of ipscopy lives here; RabbitMQ only carries job ids.

create table companies (
    company_id bigserial primary key,
    name       text not null unique,
    -- Folder handles start with this path (e.g. 'Acme/'), as in IPS.
    root_path  text not null unique check (root_path like '%/'),
    created_at timestamptz not null default now()
);

create table users (
    user_id       bigserial primary key,
    email         text not null,
    password_hash text not null,
    -- IpsAdmin here makes the user an admin of every company, as IPS defaultRole does.
    default_role  text,
    created_at    timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

create table memberships (
    company_id bigint not null references companies,
    user_id    bigint not null references users,
    role       text not null,
    is_active  boolean not null default true,
    primary key (company_id, user_id)
);

create table folders (
    folder_id  bigserial primary key,
    company_id bigint not null references companies,
    -- The folder handle: root path plus sub path, ending in '/'.
    path       text not null check (path like '%/'),
    created_at timestamptz not null default now(),
    unique (company_id, path)
);

create table assets (
    asset_id        bigserial primary key,
    company_id      bigint not null references companies,
    folder_id       bigint not null references folders,
    name            text not null,
    type            text not null default 'Image',
    state           text not null check (state in ('pending', 'ready', 'failed')),
    object_key      text,
    width           integer,
    height          integer,
    file_size       bigint,
    format          text,
    url_modifier    text not null default '',
    source_asset_id bigint references assets,
    created_by      bigint references users,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
-- Names are company-wide catalog ids in IPS; a failed copy gives its name back.
create unique index assets_name_key on assets (company_id, name) where state <> 'failed';

create table jobs (
    job_id          bigserial primary key,
    company_id      bigint not null references companies,
    state           text not null check (state in ('queued', 'running', 'succeeded', 'failed')),
    source_asset_id bigint not null references assets,
    target_asset_id bigint not null unique references assets,
    url_modifier    text not null,
    attempts        integer not null default 0,
    max_attempts    integer not null,
    error_code      text,
    error_reason    text,
    -- Every attempt's error, oldest first: [{attempt, code, reason, at}].
    attempt_errors  jsonb not null default '[]',
    next_attempt_at timestamptz,
    heartbeat_at    timestamptz,
    created_by      bigint references users,
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz not null default now()
);
create index jobs_company_state on jobs (company_id, state);

-- Transactional outbox: a row is written in the same transaction as the job it announces and
-- deleted once RabbitMQ confirmed the message. available_at delays retries.
create table outbox (
    outbox_id    bigserial primary key,
    job_id       bigint not null references jobs,
    available_at timestamptz not null default now(),
    created_at   timestamptz not null default now()
);
create index outbox_available on outbox (available_at);
