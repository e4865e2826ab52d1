-- Playlists (and each user's favorites, a playlist of their own), view
-- counting, resume positions.

create table playlists (
  id bigint generated always as identity primary key,
  -- "%04d-<slugified title>", fixed at creation (like videos).
  slug text not null unique,
  title text not null,
  description text not null default '',
  visibility text not null default 'private' check (visibility in ('public', 'password', 'private')),
  password_hash text,
  -- Set by managers: shown on the home page. Only a public playlist may be promoted.
  promoted boolean not null default false,
  autoplay boolean not null default true,
  -- Each user's favorites: one private playlist per user, never listed with the others.
  is_favorites boolean not null default false,
  owner_id bigint not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (visibility <> 'password' or password_hash is not null),
  check (not promoted or visibility = 'public'),
  check (not is_favorites or visibility = 'private')
);
create trigger playlists_updated_at before update on playlists for each row execute function set_updated_at();
create unique index playlists_one_favorites_per_user on playlists (owner_id) where is_favorites;
create index playlists_listed on playlists (updated_at desc, id desc) where visibility <> 'private';
create index playlists_owner on playlists (owner_id);

create table playlist_editors (
  playlist_id bigint not null references playlists (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  primary key (playlist_id, user_id)
);
create index playlist_editors_user on playlist_editors (user_id);

-- Positions are dense (0 … n-1) within a playlist; every change of them runs
-- with the playlist row locked (select … for update), so concurrent moves
-- apply one after the other.
create table playlist_items (
  playlist_id bigint not null references playlists (id) on delete cascade,
  video_id bigint not null references videos (id) on delete cascade,
  position integer not null check (position >= 0),
  added_at timestamptz not null default now(),
  primary key (playlist_id, video_id)
);
create index playlist_items_order on playlist_items (playlist_id, position);
create index playlist_items_video on playlist_items (video_id);

-- View totals: one row per video (made by a trigger), kept apart from the
-- wide videos row so that the counters' frequent updates rewrite a small row
-- and leave videos.updated_at alone.
create table video_view_counts (
  video_id bigint primary key references videos (id) on delete cascade,
  views bigint not null default 0,
  -- Views over the last VIEWS_RECENT_DAYS days (recomputed as days pass).
  recent_views bigint not null default 0
);
insert into video_view_counts (video_id) select id from videos;
create index video_view_counts_views on video_view_counts (views desc, video_id desc);
create index video_view_counts_recent on video_view_counts (recent_views desc, video_id desc);
create or replace function add_video_view_counts() returns trigger language plpgsql as $$
begin
  insert into video_view_counts (video_id) values (new.id);
  return null;
end
$$;
create trigger videos_view_counts after insert on videos for each row execute function add_video_view_counts();

-- Daily series, the day taken in STATS_TIME_ZONE when the view was counted.
create table video_views_daily (
  video_id bigint not null references videos (id) on delete cascade,
  day date not null,
  views bigint not null,
  primary key (video_id, day)
);
create index video_views_daily_day on video_views_daily (day);

-- De-duplication marks: a keyed hash of (video, viewer) — no address, agent or
-- user id — and when its last view was counted. Deleted once older than the
-- de-duplication window: nothing about a viewer outlives it.
create table view_marks (
  video_id bigint not null,
  viewer_key bytea not null,
  counted_at timestamptz not null,
  primary key (video_id, viewer_key)
);
create index view_marks_counted_at on view_marks (counted_at);

-- Resume positions ("continue watching").
create table video_positions (
  user_id bigint not null references users (id) on delete cascade,
  video_id bigint not null references videos (id) on delete cascade,
  position_s double precision not null check (position_s >= 0),
  -- Milliseconds: the cursor of "continue watching" carries this instant as JSON.
  updated_at timestamptz not null default date_trunc('milliseconds', now()),
  primary key (user_id, video_id)
);
create index video_positions_recent on video_positions (user_id, updated_at desc, video_id desc);

-- Read caches follow what listings and details show (see 0012): playlists and
-- their items (is_favorite is in the video JSON) are `catalog`; the view
-- totals are `counts`, their own topic: written every few seconds under load,
-- they drop the answers that show them, not what decides access.
do $$
declare
  t text;
begin
  foreach t in array array['playlists', 'playlist_editors', 'playlist_items'] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I for each statement execute function pod_notify_change(%L)',
      t || '_notify_change', t, 'catalog');
  end loop;
end
$$;
create trigger video_view_counts_notify_change after insert or update or delete or truncate on video_view_counts
  for each statement execute function pod_notify_change('counts');
