-- Taking over from Esup-Pod V4 (src/migration/). migration_map records every
-- imported V4 row (model + old primary key → new id): an interrupted import
-- resumes where it stopped, a second run changes nothing, and old links are
-- resolved (GET /api/v1/legacy/resolve). Keys that are not primary keys (an
-- owner's media hashkey, a channel's slug) are recorded the same way under a
-- model name of their own.
create table migration_map (
  model text not null,
  old_id text not null,
  new_id text not null,
  imported_at timestamptz not null default now(),
  primary key (model, old_id)
);

-- Pod's obsolescence date (the video is to be removed after it), kept from V4.
alter table videos add column date_delete date;
