-- What the IPS SOAP front needs beyond the copy pipeline: trash, the post-apply modifier and
-- who changed an asset last.

-- deleteAsset(s) move an asset to the trash rather than dropping it; restoreAssetsFromTrash
-- brings it back. A trashed asset keeps its name, as in IPS, so a restore never clashes.
alter table assets
    add column trash_state text not null default 'NotInTrash'
        check (trash_state in ('NotInTrash', 'InTrash', 'InEmptiedTrash')),
    add column trashed_at timestamptz,
    -- setUrlModifier's second field: IS applies it after the URL commands.
    add column url_post_apply_modifier text not null default '',
    add column modified_by bigint references users;

-- searchAssets and getFolders list a company's assets by folder.
create index assets_company_folder on assets (company_id, folder_id);
