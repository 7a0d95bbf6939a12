-- deleteFolder removes a folder and its subfolders and moves their assets to the trash. The
-- folder rows go (so nothing can be copied into a deleted folder: the foreign key refuses it);
-- each trashed asset is parked in its company's root folder and remembers the path it was in,
-- which is what the catalog reports and where restoreAssetsFromTrash puts it back.
alter table assets add column trashed_from text check (trashed_from like '%/');
