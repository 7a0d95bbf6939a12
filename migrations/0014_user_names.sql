-- IPS `User` carries firstName and lastName (both required in its schema); users made before
-- these columns have empty ones until an administrator sets them.
alter table users
    add column first_name text not null default '',
    add column last_name  text not null default '';
