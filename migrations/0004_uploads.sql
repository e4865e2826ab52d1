-- Resumable uploads (tus) and the hand-off to encoding.

-- The accepted source file of a video, after byte-level validation.
alter table videos
  add column source_key text,
  add column source_filename text,
  add column source_size bigint,
  add column source_mime text,
  -- ffprobe summary (duration, streams) when ffprobe is available.
  add column source_probe jsonb;

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

-- Encoding jobs, enqueued in the same transaction that accepts a source.
create table encoding_jobs (
  id uuid primary key,
  video_id bigint not null references videos (id) on delete cascade,
  source_key text not null,
  state text not null default 'queued' check (state in ('queued', 'processing', 'done', 'error', 'cancelled')),
  attempts integer not null default 0,
  max_attempts integer not null default 3,
  run_after timestamptz not null default now(),
  locked_by text,
  locked_until timestamptz,
  progress smallint,
  error_code text,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index encoding_jobs_ready_idx on encoding_jobs (run_after) where state = 'queued';
create index encoding_jobs_video_idx on encoding_jobs (video_id);
create trigger encoding_jobs_updated_at before update on encoding_jobs for each row execute function set_updated_at();
