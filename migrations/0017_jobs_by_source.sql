-- Emptying the trash asks whether copies of an asset are still to be made; without this it
-- would scan every job.
create index jobs_open_by_source on jobs (source_asset_id) where state in ('queued', 'running');
