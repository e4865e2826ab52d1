-- Resumable uploads (tus) and the hand-off to encoding.

-- The accepted source file of a video, after byte-level validation.
alter table videos
  add column source_key text,
  add column source_filename text,
  add column source_size bigint,
  add column source_mime text,
  -- ffprobe summary (duration, streams) when ffprobe is available.
  add column source_probe jsonb,
  -- The pg-boss job encoding the current source (queue video-encode).
  add column encoding_job_id uuid;

-- One row per tus upload: who may touch it, what it targets, what it
-- weighs against the quota.
create table uploads (
  id text primary key,
  user_id bigint not null references users (id) on delete cascade,
  -- Existing video whose source this replaces; null = a new video at completion.
  video_id bigint references videos (id) on delete cascade,
  filename text not null,
  title text,
  size bigint not null,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  -- The video the upload became (new or existing).
  result_video_id bigint references videos (id) on delete set null
);
create index uploads_user_idx on uploads (user_id) where completed_at is null;
