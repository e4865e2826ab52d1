-- What enriches a lecture besides its media (Pod's completion app, comments,
-- hyperlinks and notes): comments and their votes, documents, contributors,
-- overlays, timed links, personal notes. Children are addressed through their
-- video, (video_id, id), like tracks and chapters; a video's purge deletes them.

alter table videos
  add column disable_comment boolean not null default false,
  -- Editors may stop showing viewers' public notes (they stay their authors').
  add column disable_public_notes boolean not null default false;

create table video_comments (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  author_id bigint not null references users (id) on delete cascade,
  -- A reply names the comment it answers; deleting a comment deletes its replies.
  parent_id bigint references video_comments (id) on delete cascade,
  -- Plain text or Markdown, rendered by the client; HTML is refused on the way in.
  text text not null check (length(text) between 1 and 5000),
  votes integer not null default 0,
  -- Hidden by an editor of the video (moderation): shown to editors only.
  hidden_at timestamptz,
  edited_at timestamptz,
  created_at timestamptz not null default date_trunc('milliseconds', now())
);
-- Top-level comments in time order; replies in time order (and their counts, and the cascade);
-- all of a video's (its purge). A partial index, not (video_id, parent_id, …): the planner orders by
-- the columns after an equality only, and "parent_id is null" is none.
create index video_comments_top_level on video_comments (video_id, id) where parent_id is null;
create index video_comments_replies on video_comments (parent_id, id) where parent_id is not null;
create index video_comments_video on video_comments (video_id);

create table video_comment_votes (
  comment_id bigint not null references video_comments (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  primary key (comment_id, user_id)
);
create index video_comment_votes_user on video_comment_votes (user_id);

-- The count of visible comments sits beside the view count: the video JSON shows
-- both, and both drop the answers that show them through the `counts` topic.
alter table video_view_counts add column comments integer not null default 0;
-- Kept by increments under the row lock of the count: a recount in the trigger
-- would not see a concurrent insert and lose it (measured: bench/comments.ts).
create or replace function count_video_comments() returns trigger language plpgsql as $$
declare
  delta integer := 0;
begin
  if tg_op = 'INSERT' then
    delta := case when new.hidden_at is null then 1 else 0 end;
  elsif tg_op = 'DELETE' then
    delta := case when old.hidden_at is null then -1 else 0 end;
  elsif (old.hidden_at is null) <> (new.hidden_at is null) then
    delta := case when new.hidden_at is null then 1 else -1 end;
  end if;
  if delta <> 0 then
    update video_view_counts set comments = comments + delta where video_id = coalesce(new.video_id, old.video_id);
  end if;
  return null;
end
$$;
create trigger video_comments_count after insert or delete or update of hidden_at on video_comments
  for each row execute function count_video_comments();
-- The most voted first (sort=top) without sorting every comment of the video.
create index video_comments_top_voted on video_comments (video_id, votes desc, id) where parent_id is null and hidden_at is null;

create table video_documents (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  title text not null check (length(title) between 1 and 200),
  filename text not null check (length(filename) between 1 and 200),
  -- documents/<video_id>/<id>-<random>.<ext>: outside the prefixes media tokens open.
  storage_key text not null unique,
  -- The type found in the bytes, not the one the client claimed.
  content_type text not null,
  size bigint not null check (size > 0),
  -- Editors only (V4's flag only hid a link; here the file is refused too).
  is_private boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index video_documents_video on video_documents (video_id, id);
create trigger video_documents_updated_at before update on video_documents for each row execute function set_updated_at();

create table video_contributors (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  name text not null check (length(name) between 2 and 200),
  role text not null check (role in ('actor', 'author', 'designer', 'director', 'editor', 'consultant', 'contributor',
    'soundman', 'speaker', 'technician', 'voice-over', 'writer')),
  -- Stored for the editors, never shown to viewers.
  email text,
  weblink text,
  -- As V4: one (name, role) per video.
  unique (video_id, name, role)
);

create table video_overlays (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  title text not null check (length(title) between 1 and 100),
  time_start numeric(10, 3) not null check (time_start >= 0),
  time_end numeric(10, 3) not null,
  -- HTML, sanitised against an allow-list before it is stored.
  content text not null,
  position text not null check (position in ('top-left', 'top', 'top-right', 'right', 'bottom-right', 'bottom', 'bottom-left', 'left')),
  background boolean not null default true,
  check (time_end > time_start)
);
create index video_overlays_video on video_overlays (video_id, time_start);

create table video_links (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  url text not null check (url ~ '^https?://'),
  label text not null check (length(label) between 1 and 200),
  time_start numeric(10, 3) not null check (time_start >= 0)
);
create index video_links_video on video_links (video_id, time_start);

create table video_notes (
  id bigint generated always as identity primary key,
  video_id bigint not null references videos (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  -- Where in the video the note is about (seconds); null: the whole video.
  time_start numeric(10, 3) check (time_start >= 0),
  text text not null check (length(text) between 1 and 10000),
  is_public boolean not null default false,
  created_at timestamptz not null default date_trunc('milliseconds', now()),
  updated_at timestamptz not null default date_trunc('milliseconds', now())
);
create index video_notes_user on video_notes (video_id, user_id);
create index video_notes_public on video_notes (video_id) where is_public;
create trigger video_notes_updated_at before update on video_notes for each row execute function set_updated_at();

-- The player configuration shows documents, contributors, overlays and links:
-- `catalog`, as tracks and chapters (see 0012). Comments change the video
-- JSON only through their count (video_view_counts: `counts`); votes and notes
-- are read uncached.
do $$
declare
  t text;
begin
  foreach t in array array['video_documents', 'video_contributors', 'video_overlays', 'video_links'] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I for each statement execute function pod_notify_change(%L)',
      t || '_notify_change', t, 'catalog');
  end loop;
end
$$;
