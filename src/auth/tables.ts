import type { Generated } from 'kysely';

export interface AuthSessionsTable {
  id: string;
  user_id: number;
  kind: 'token' | 'cookie';
  secret_hash: string | null;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  user_agent: string;
  ip: string;
}

export interface RefreshTokensTable {
  jti: string;
  session_id: string;
  issued_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}
