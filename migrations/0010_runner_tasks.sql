-- Encoding and transcription on Esup-Runner (ENCODING_BACKEND=esup-runner):
-- one row per task handed to a Runner Manager. Its id is ours, made before the
-- hand-out and carried by the task's source URL, which works only while the
-- task runs; task_id is the manager's.
create table runner_tasks (
  id uuid primary key,
  video_id bigint not null references videos (id) on delete cascade,
  -- The encoding job (videos.encoding_job_id) this task serves; null for a transcription.
  job_id uuid,
  kind text not null check (kind in ('encoding', 'transcription')),
  language text,
  manager_url text not null,
  task_id text unique,
  -- dispatching → running → completed → imported, or failed | timeout | import_failed | lost | superseded
  status text not null,
  error_message text,
  -- The end of the runner's script output (the whole log is tens of kilobytes per task).
  log_tail text,
  notified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger runner_tasks_updated_at before update on runner_tasks for each row execute function set_updated_at();
create index runner_tasks_status_idx on runner_tasks (status, updated_at);
create index runner_tasks_video_idx on runner_tasks (video_id, created_at);

-- What the encoder said when it failed (the tail of its log), for editors and the jobs page.
alter table videos add column encoding_log text;

-- Subtitles made by a transcription task, not by a person.
alter table video_tracks add column is_auto boolean not null default false;
