-- An uploaded master may be replaced (`overwrite`): the asset keeps its id, handle and name, and
-- its version counts the masters it has had. Each version is its own object, so a copy that
-- read the old key while the new master went up still finds bytes, and two overwrites racing
-- never write one object.
alter table assets add column version integer not null default 1 check (version >= 1);
