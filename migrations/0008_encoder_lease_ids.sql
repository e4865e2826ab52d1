-- Each hand-out of a job (an attempt) gets its own lease id, carried by the
-- signed file URLs given with it: a file URL works only while that very
-- lease is alive, so it dies when the lease expires, the attempt settles
-- (ready, error: the lease row is deleted) or a retry hands the job out again.
alter table encoding_leases add column lease_id uuid not null default gen_random_uuid();
