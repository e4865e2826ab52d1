-- Shared helpers used by later tables.

-- Keeps an `updated_at` column current on every UPDATE.
create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
