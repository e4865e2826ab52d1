-- Running the platform for a university (issue P): retention, e-mail
-- notifications, the audit log, personal data.

-- Retention (Pod's obsolescence). date_delete exists since 0011; a new video
-- gets one at creation (src/retention/policy.ts). At that date the sweep
-- archives it (archived_at; it becomes a draft, files kept) or deletes it.
alter table videos add column archived_at timestamptz;
-- When its owners were warned that date_delete approaches (once per date).
alter table videos add column retention_warned_at timestamptz;
create index videos_retention_due on videos (date_delete)
  where deleted_at is null and archived_at is null and date_delete is not null;

-- Erasing an account whose videos are deleted with it: a deleted video keeps
-- its row (slugs are never reused) without an owner. A live video always has one.
alter table videos alter column owner_id drop not null;
alter table videos add constraint videos_owner_unless_deleted check (owner_id is not null or deleted_at is not null);

-- E-mails: in the user's language, unless they opted out.
alter table users add column language text not null default 'fr' check (language in ('fr', 'en'));
alter table users add column email_notifications boolean not null default true;

-- Who did what, written in the transaction of the change itself: a change
-- that rolls back leaves no row. No foreign keys: the trail outlives the
-- accounts and videos it names (kept AUDIT_RETENTION_DAYS).
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_id bigint,
  actor_username text not null default '',
  action text not null,
  target_type text not null default '',
  target_id text not null default '',
  ip text not null default '',
  request_id text not null default '',
  details jsonb not null default '{}'
);
create index audit_log_at_idx on audit_log (at);
create index audit_log_target_idx on audit_log (target_type, target_id, id desc);
create index audit_log_actor_idx on audit_log (actor_id, id desc);
create index audit_log_action_idx on audit_log (action, id desc);
