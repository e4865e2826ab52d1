// Server-side authentication state: sessions (token families and cookie
// sessions) and single-use refresh tokens.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/database.ts';
import type { Principal } from './principal.ts';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export async function createSession(
  db: Kysely<Database>,
  s: { userId: number; kind: 'token' | 'cookie'; ttlSeconds: number; userAgent?: string; ip?: string },
) {
  const id = randomUUID();
  const cookieValue = s.kind === 'cookie' ? randomBytes(32).toString('base64url') : undefined;
  const expiresAt = new Date(Date.now() + s.ttlSeconds * 1000);
  await db
    .insertInto('auth_sessions')
    .values({
      id,
      user_id: s.userId,
      kind: s.kind,
      secret_hash: cookieValue ? sha256(cookieValue) : null,
      expires_at: expiresAt,
      user_agent: (s.userAgent ?? '').slice(0, 500),
      ip: s.ip ?? '',
    })
    .execute();
  await db.updateTable('users').set({ last_login: new Date() }).where('id', '=', s.userId).execute();
  return { id, cookieValue, expiresAt };
}

/** Live sessions (not revoked, not expired, user active) with their principal's fields. */
function liveSessions(db: Kysely<Database>) {
  return db
    .selectFrom('auth_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      'u.id', 'u.username', 'u.is_staff', 'u.is_superuser', 'u.is_manager', 'u.affiliation',
      's.id as session_id', 's.expires_at', 's.kind',
      sql<number[]>`coalesce((select array_agg(m.group_id::int order by m.group_id) from access_group_members m where m.user_id = u.id), '{}')`.as('group_ids'),
    ])
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', new Date())
    .where('u.is_active', '=', true);
}

/** The principal of a live session (not revoked, not expired, user active), or null. */
export async function principalForSession(
  db: Kysely<Database>,
  where: { sessionId: string } | { cookieValue: string },
  via: Principal['via'],
): Promise<(Principal & { expires_at: Date; kind: 'token' | 'cookie' }) | null> {
  let q = liveSessions(db);
  q = 'sessionId' in where ? q.where('s.id', '=', where.sessionId) : q.where('s.secret_hash', '=', sha256(where.cookieValue)).where('s.kind', '=', 'cookie');
  const row = await q.executeTakeFirst();
  return row ? { ...row, via } : null;
}

/** The principals of those sessions that are still live, in one query (long-lived streams re-check them). */
export async function livePrincipals(db: Kysely<Database>, sessionIds: string[], via: Principal['via']): Promise<Map<string, Principal>> {
  if (!sessionIds.length) return new Map();
  const rows = await liveSessions(db).where('s.id', 'in', sessionIds).execute();
  return new Map(rows.map((r) => [r.session_id, { ...r, via }]));
}

export async function revokeSession(db: Kysely<Database>, sessionId: string, reason: string) {
  await db
    .updateTable('auth_sessions')
    .set({ revoked_at: new Date(), revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function recordRefreshToken(db: Kysely<Database>, sessionId: string, jti: string, ttlSeconds: number) {
  await db
    .insertInto('refresh_tokens')
    .values({ jti, session_id: sessionId, expires_at: new Date(Date.now() + ttlSeconds * 1000) })
    .execute();
}

export type RefreshOutcome = 'ok' | 'reused' | 'unknown';

/**
 * Marks a refresh token used, atomically. A token presented a second time
 * means it leaked (or a client raced itself): the whole family is revoked.
 */
export async function consumeRefreshToken(db: Kysely<Database>, jti: string, sessionId: string): Promise<RefreshOutcome> {
  const used = await db
    .updateTable('refresh_tokens')
    .set({ used_at: new Date() })
    .where('jti', '=', jti)
    .where('session_id', '=', sessionId)
    .where('used_at', 'is', null)
    .returning('jti')
    .executeTakeFirst();
  if (used) return 'ok';
  const known = await db.selectFrom('refresh_tokens').select('jti').where('jti', '=', jti).executeTakeFirst();
  if (!known) return 'unknown';
  await revokeSession(db, sessionId, 'refresh_token_reuse');
  return 'reused';
}
