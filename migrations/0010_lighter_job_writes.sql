-- Cheaper writes for bulk submits (every statement here runs once per job).

-- Nothing reads queued jobs by updated_at (the sweeper for lost messages reads published_at),
-- and every insert and publish of a job paid for an entry in this index.
drop index if exists jobs_queued_updated;

-- A bulk submit already knows each job's company: the per-row lookup is only for inserters that
-- do not say it.
create or replace function outbox_company() returns trigger language plpgsql as $$
begin
    if new.company_id is null then
        new.company_id := (select company_id from jobs where job_id = new.job_id);
    end if;
    return new;
end $$;
