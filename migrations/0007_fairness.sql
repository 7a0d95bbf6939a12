-- Fair publishing: the relay keeps at most a window of jobs in the broker and fills it round-robin
-- across companies, so one company's huge backlog waits in PostgreSQL, not ahead of everyone
-- else's jobs in the queue.

alter table outbox add column company_id bigint;
update outbox o set company_id = j.company_id from jobs j where j.job_id = o.job_id;

create function outbox_company() returns trigger language plpgsql as $$
begin
    new.company_id := (select company_id from jobs where job_id = new.job_id);
    return new;
end $$;
create trigger outbox_company before insert on outbox for each row execute function outbox_company();

create index outbox_company_order on outbox (company_id, outbox_id);

-- Set when the relay has the broker's confirm; cleared when the job goes back to the outbox.
alter table jobs add column published_at timestamptz;
create index jobs_in_broker on jobs (job_id) where published_at is not null and state in ('queued', 'running');
