-- Videos and their taxonomy, with Esup-Pod's field names.

create extension if not exists unaccent;

-- Folds accents and case, for search vectors and queries alike.
create or replace function fold(t text) returns text
language sql stable as $$ select lower(unaccent(coalesce(t, ''))) $$;

create table types (
  id bigint generated always as identity primary key,
  slug text not null unique,
  title text not null unique,
  description text not null default '',
  icon_url text not null default '',
  created_at timestamptz not null default now()
);

create table disciplines (
  id bigint generated always as identity primary key,
  slug text not null unique,
  title text not null unique,
  description text not null default '',
  icon_url text not null default '',
  created_at timestamptz not null default now()
);

create table channels (
  id bigint generated always as identity primary key,
  slug text not null unique,
  title text not null unique,
  description text not null default '',
  color text not null default '',
  headband_url text not null default '',
  -- Listed in channel lists (hidden channels are reachable by their owners and managers).
  visible boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger channels_updated_at before update on channels for each row execute function set_updated_at();

-- Owners edit the channel and its themes; owners, users and members of
-- allow_to_groups may put their videos in it.
create table channel_owners (
  channel_id bigint not null references channels (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  primary key (channel_id, user_id)
);
create table channel_users (
  channel_id bigint not null references channels (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  primary key (channel_id, user_id)
);
create table channel_groups (
  channel_id bigint not null references channels (id) on delete cascade,
  group_id bigint not null references access_groups (id) on delete cascade,
  primary key (channel_id, group_id)
);

create table themes (
  id bigint generated always as identity primary key,
  channel_id bigint not null references channels (id) on delete cascade,
  parent_id bigint references themes (id) on delete cascade,
  slug text not null,
  title text not null,
  description text not null default '',
  created_at timestamptz not null default now(),
  unique (channel_id, slug)
);

create table tags (
  id bigint generated always as identity primary key,
  name text not null unique check (name = lower(name) and length(name) between 1 and 50)
);

create table videos (
  id bigint generated always as identity primary key,
  -- "%04d-<slugified title>", fixed at creation: renaming keeps links valid.
  slug text not null unique,
  title text not null,
  description text not null default '',
  owner_id bigint not null references users (id) on delete restrict,
  type_id bigint references types (id) on delete set null,
  -- Millisecond precision: it is a keyset-pagination key round-tripped through JS dates.
  date_added timestamptz(3) not null default now(),
  date_evt date,
  duration integer not null default 0,
  is_draft boolean not null default true,
  is_restricted boolean not null default false,
  -- argon2id hash; the password itself is write-only in the API.
  password_hash text,
  allow_downloading boolean not null default false,
  is_360 boolean not null default false,
  licence text check (licence in ('by', 'by-nd', 'by-nc-nd', 'by-nc', 'by-nc-sa', 'by-sa')),
  main_lang text not null default 'fr',
  cursus text not null default '0',
  thumbnail_url text,
  encoding_status text not null default 'pending'
    check (encoding_status in ('pending', 'queued', 'processing', 'ready', 'error')),
  encoding_progress smallint,
  encoding_error_code text,
  encoding_error_message text,
  -- First time an encoding succeeded: viewers see a video from then on,
  -- including while it is re-encoded (V4 hid it during re-encodes).
  ready_at timestamptz,
  -- Mirrors "has rows in video_groups" (trigger below): lets the listing
  -- filter test a column instead of probing video_groups for every row.
  has_groups boolean not null default false,
  search_vector tsvector not null default ''::tsvector,
  deleted_at timestamptz,
  updated_at timestamptz not null default now()
);
create trigger videos_updated_at before update on videos for each row execute function set_updated_at();
create index videos_owner_idx on videos (owner_id);
create index videos_list_idx on videos (date_added desc, id desc) where deleted_at is null;
create index videos_title_idx on videos (title, id) where deleted_at is null;
create index videos_search_idx on videos using gin (search_vector);

create table video_additional_owners (
  video_id bigint not null references videos (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  primary key (video_id, user_id)
);
create index video_additional_owners_user_idx on video_additional_owners (user_id);

create table video_groups (
  video_id bigint not null references videos (id) on delete cascade,
  group_id bigint not null references access_groups (id) on delete cascade,
  primary key (video_id, group_id)
);
create index video_groups_group_idx on video_groups (group_id);

create or replace function sync_video_has_groups() returns trigger
language plpgsql as $$
declare vid bigint := coalesce(new.video_id, old.video_id);
begin
  update videos set has_groups = exists (select 1 from video_groups where video_id = vid)
   where id = vid and has_groups is distinct from exists (select 1 from video_groups where video_id = vid);
  return null;
end;
$$;
create trigger video_groups_sync after insert or delete on video_groups
  for each row execute function sync_video_has_groups();

create table video_channels (
  video_id bigint not null references videos (id) on delete cascade,
  channel_id bigint not null references channels (id) on delete cascade,
  primary key (video_id, channel_id)
);
create index video_channels_channel_idx on video_channels (channel_id, video_id);

create table video_themes (
  video_id bigint not null references videos (id) on delete cascade,
  theme_id bigint not null references themes (id) on delete cascade,
  primary key (video_id, theme_id)
);
create index video_themes_theme_idx on video_themes (theme_id, video_id);

create table video_disciplines (
  video_id bigint not null references videos (id) on delete cascade,
  discipline_id bigint not null references disciplines (id) on delete cascade,
  primary key (video_id, discipline_id)
);
create index video_disciplines_discipline_idx on video_disciplines (discipline_id, video_id);

create table video_tags (
  video_id bigint not null references videos (id) on delete cascade,
  tag_id bigint not null references tags (id) on delete cascade,
  primary key (video_id, tag_id)
);
create index video_tags_tag_idx on video_tags (tag_id, video_id);

-- Private links (Pod's VideoAccessToken): revocable, bypass draft,
-- restriction, groups and password. Only a hash is stored.
create table video_access_tokens (
  id uuid primary key,
  video_id bigint not null references videos (id) on delete cascade,
  name text not null default '',
  token_hash text not null unique,
  token_hint text not null,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz
);
create index video_access_tokens_video_idx on video_access_tokens (video_id);

-- The search document: title (A), tags (B), owner names (C), description
-- (D), each in French and English stemming plus unstemmed words, accents
-- folded. Refreshed by the application after each write of a video, and
-- here when an owner's name changes.
create or replace function video_search_document(v_id bigint) returns tsvector
language sql stable as $$
  with d as (
    select fold(v.title) as title,
           fold(v.description) as description,
           fold((select string_agg(t.name, ' ') from video_tags vt join tags t on t.id = vt.tag_id where vt.video_id = v.id)) as tags,
           fold(concat_ws(' ', u.username, u.first_name, u.last_name)) as owner
      from videos v join users u on u.id = v.owner_id where v.id = v_id
  )
  select setweight(to_tsvector('simple', d.title) || to_tsvector('french', d.title) || to_tsvector('english', d.title), 'A')
      || setweight(to_tsvector('simple', d.tags) || to_tsvector('french', d.tags) || to_tsvector('english', d.tags), 'B')
      || setweight(to_tsvector('simple', d.owner), 'C')
      || setweight(to_tsvector('french', d.description) || to_tsvector('english', d.description), 'D')
    from d
$$;

create or replace function refresh_owner_search_documents() returns trigger
language plpgsql as $$
begin
  if new.first_name is distinct from old.first_name or new.last_name is distinct from old.last_name
     or new.username is distinct from old.username then
    update videos set search_vector = video_search_document(id) where owner_id = new.id;
  end if;
  return new;
end;
$$;
create trigger users_refresh_search after update on users for each row execute function refresh_owner_search_documents();
