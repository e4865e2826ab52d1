-- A deleted video's files are purged by a durable job after a grace period;
-- purged_at records that its storage is gone (the row stays: slugs of
-- deleted videos are never reused, and V4 links keep answering 404).
alter table videos add column purged_at timestamptz;
