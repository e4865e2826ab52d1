-- Subtitle/caption tracks and chapters of a video (Pod's completion.Track and
-- chapter.Chapter). Children are always addressed through their video:
-- (video_id, id), never by a global id alone.

create table video_tracks (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  kind text not null check (kind in ('subtitles', 'captions')),
  lang text not null check (lang ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
  label text not null,
  is_default boolean not null default false,
  -- Normalised WebVTT in storage (tracks/<video_id>/<id>-<lang>.vtt).
  storage_key text not null,
  cue_count integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- One track per (video, kind, lang), as V4's verify_not_same_track.
  unique (video_id, kind, lang)
);
create trigger video_tracks_updated_at before update on video_tracks for each row execute function set_updated_at();
-- At most one default track per video.
create unique index video_tracks_one_default on video_tracks (video_id) where is_default;

create table video_chapters (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  title text not null check (length(title) between 1 and 100),
  -- Seconds from the start, millisecond precision.
  time_start numeric(10, 3) not null check (time_start >= 0),
  created_at timestamptz not null default now(),
  -- No two chapters start at the same moment (V4's rule).
  unique (video_id, time_start)
);
