-- Read caches (listings, a video's detail and player configuration, the
-- principal of a session) are dropped when what they show changes: every
-- statement writing a table they read sends a notification on channel
-- pod_changes, naming what changed — `catalog` (what listings, details and
-- configurations show), `auth` (sessions), `all` (users and groups: both).
-- PostgreSQL delivers it at commit to every API node listening
-- (core/change-feed.ts); embedded PGlite to its own process.
create or replace function pod_notify_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('pod_changes', tg_argv[0]);
  return null;
end
$$;

do $$
declare
  t text;
begin
  foreach t in array array[
    'videos', 'video_additional_owners', 'video_groups', 'video_channels', 'video_themes', 'video_disciplines', 'video_tags',
    'video_access_tokens', 'video_tracks', 'video_chapters', 'channels', 'channel_owners', 'channel_users', 'channel_groups',
    'themes', 'types', 'disciplines', 'tags'
  ] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I for each statement execute function pod_notify_change(%L)',
      t || '_notify_change', t, 'catalog');
  end loop;
  foreach t in array array['auth_sessions'] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I for each statement execute function pod_notify_change(%L)',
      t || '_notify_change', t, 'auth');
  end loop;
  foreach t in array array['users', 'access_groups', 'access_group_members'] loop
    execute format('create trigger %I after insert or update or delete or truncate on %I for each statement execute function pod_notify_change(%L)',
      t || '_notify_change', t, 'all');
  end loop;
end
$$;
