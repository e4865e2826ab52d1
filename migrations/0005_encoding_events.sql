-- Encoding progress and results reported by encoders (signed callbacks).

alter table videos
  -- What the last successful encoding produced (HLS master and renditions,
  -- mp4s, audio, thumbnails, poster, subtitles): storage keys + metadata.
  add column encoding_outputs jsonb,
  add column encoding_updated_at timestamptz;

-- Every accepted callback, by its webhook-id: a replay or a retry of the
-- same event is recognised and does nothing.
create table encoding_events (
  id text primary key,
  video_id bigint not null references videos (id) on delete cascade,
  job_id uuid not null,
  type text not null,
  applied boolean not null,
  received_at timestamptz not null default now()
);
create index encoding_events_video_idx on encoding_events (video_id, received_at);
