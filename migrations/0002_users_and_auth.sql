-- Users (Django's auth_user + Pod's Owner profile in one row), access
-- groups, and the server-side state of authentication.

create table users (
  id bigint generated always as identity primary key,
  username text not null,
  email text not null default '',
  first_name text not null default '',
  last_name text not null default '',
  -- argon2id PHC string; null for accounts that only log in through SSO.
  password_hash text,
  is_active boolean not null default true,
  is_staff boolean not null default false,
  is_superuser boolean not null default false,
  -- Pod "managers": global rights over taxonomy and every video, without being superuser.
  is_manager boolean not null default false,
  auth_type text not null default 'local' check (auth_type in ('local', 'oidc', 'cas', 'shibboleth')),
  affiliation text not null default 'member',
  establishment text not null default '',
  picture_url text not null default '',
  accepts_notifications boolean not null default false,
  oidc_issuer text,
  oidc_subject text,
  last_login timestamptz,
  date_joined timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_username_key on users (lower(username));
create unique index users_oidc_key on users (oidc_issuer, oidc_subject) where oidc_subject is not null;
create trigger users_updated_at before update on users for each row execute function set_updated_at();

create table access_groups (
  id bigint generated always as identity primary key,
  code_name text not null unique,
  display_name text not null default '',
  -- Rebuilt from identity-provider claims at each SSO login (Pod's auto_sync).
  auto_sync boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger access_groups_updated_at before update on access_groups for each row execute function set_updated_at();

create table access_group_members (
  group_id bigint not null references access_groups (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  primary key (group_id, user_id)
);
create index access_group_members_user_idx on access_group_members (user_id);

-- One row per login: a token family (JWT clients) or a browser cookie session.
-- Revoking the row kills its access tokens, refresh tokens or cookie at once.
create table auth_sessions (
  id uuid primary key,
  user_id bigint not null references users (id) on delete cascade,
  kind text not null check (kind in ('token', 'cookie')),
  -- sha256 of the cookie value (cookie sessions only).
  secret_hash text unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text,
  user_agent text not null default '',
  ip text not null default ''
);
create index auth_sessions_user_idx on auth_sessions (user_id);

-- Refresh tokens are single use: each refresh marks its token used and
-- issues the next one; presenting a used token again revokes the family.
create table refresh_tokens (
  jti uuid primary key,
  session_id uuid not null references auth_sessions (id) on delete cascade,
  issued_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);
