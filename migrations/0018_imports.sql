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
