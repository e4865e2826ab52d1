-- Encoders that pull jobs (the "pull" dispatch mode), and the leases that
-- tell a live encoder from a dead one.

create table encoders (
  id uuid primary key,
  name text not null,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);

-- One row per job an encoder holds; heartbeats push lease_until forward.
-- An expired lease sends the job back to the queue (or to error after the
-- queue's last retry).
create table encoding_leases (
  job_id uuid primary key,
  video_id bigint not null references videos (id) on delete cascade,
  encoder_id uuid not null references encoders (id) on delete cascade,
  lease_until timestamptz not null,
  created_at timestamptz not null default now()
);
create index encoding_leases_until_idx on encoding_leases (lease_until);
