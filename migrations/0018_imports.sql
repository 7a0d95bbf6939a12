-- Imports: a job whose source is a URL (http, https, or s3://bucket/key of a bucket the operator
-- allowed) instead of an asset. It runs on the copies' machinery: outbox, queue, attempts,
-- retries, rescue and the one finalize. A batch of imports is an import.
alter table jobs add column kind text not null default 'copy' check (kind in ('copy', 'import'));
alter table jobs add column source_url text;
alter table jobs alter column source_asset_id drop not null;
alter table jobs add constraint jobs_source_of_kind check (
    case kind
        when 'copy' then source_asset_id is not null and source_url is null
        else source_asset_id is null and source_url is not null
    end);
alter table batches add column kind text not null default 'copy' check (kind in ('copy', 'import'));
-- The IPS jobName of an import submitted as a SOAP uploadUrlsJob; getActiveJobs and
-- getJobLogDetails find the import by it (originalName).
alter table batches add column name text;

-- Jobs of the IPS UploadFile servlet: files POSTed under one jobName, over one or more requests,
-- until one says endJob. Each file is stored as it arrives (the upload use case); its outcome
-- is a row here, shown by getActiveJobs and getJobLogDetails as the job's files.
create table upload_jobs (
    upload_job_id bigserial primary key,
    company_id    bigint not null references companies,
    created_by    bigint references users,
    name          text not null,
    created_at    timestamptz not null default now(),
    ended_at      timestamptz
);
create index upload_jobs_open on upload_jobs (company_id) where ended_at is null;
create table upload_files (
    file_id       bigserial primary key,
    upload_job_id bigint not null references upload_jobs,
    file_name     text not null,
    -- The asset the file became; null when it was refused.
    asset_id      bigint references assets,
    error_code    integer,
    error_reason  text,
    created_at    timestamptz not null default now()
);
create index upload_files_job on upload_files (upload_job_id);
-- When a servlet job ended: at the request that sent endJob, or 30 minutes after its last file
-- (IPS times idle jobs out); null while it is open. Every reader of a job's end asks this.
create function upload_job_end(ended_at timestamptz, created_at timestamptz, last_file timestamptz)
    returns timestamptz language sql stable parallel safe
    as $$ select coalesce(ended_at, case when greatest(created_at, last_file) < now() - interval '30 minutes'
                                         then greatest(created_at, last_file) + interval '30 minutes' end) $$;
