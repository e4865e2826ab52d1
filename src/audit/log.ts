// The audit trail: who did what to what, and from where. A row is written
// with the Kysely handle of the change itself (its transaction), so a change
// that rolls back leaves no trace and a committed one always has its row.
// Events that change nothing (a failed sign-in) are written on their own.
import type { FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../core/db/database.ts';

/** Every action the trail records (GET /api/v1/audit filters on them). */
export const AUDIT_ACTIONS = [
  'auth.sign_in_failed',
  'user.created', 'user.updated', 'user.roles_changed', 'user.deleted', 'user.data_exported',
  'group.created', 'group.updated', 'group.deleted', 'group.members_changed',
  'video.acl_changed', 'video.owner_changed', 'video.retention_changed', 'video.deleted', 'video.archived',
  'video.private_link_created', 'video.private_link_revoked',
  'comment.deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  target_type: 'user' | 'group' | 'video' | 'comment' | '';
  target_id: string | number;
  details?: Record<string, unknown>;
  /** When (default: the database's now()); the retention sweep passes its own clock. */
  at?: Date;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Who acts: the request's principal, its address and id; a named tool without a
 * signed-in user (`create-superuser`) when a string; the system (the retention sweep) when null.
 */
export function auditActor(actor: FastifyRequest | string | null) {
  if (actor === null || typeof actor === 'string') return { actor_id: null, actor_username: actor ?? 'system', ip: '', request_id: '' };
  const who = actor.principal;
  return { actor_id: who?.id ?? null, actor_username: who?.username ?? '', ip: actor.ip, request_id: String(actor.id) };
}

/** Writes one audit row with `db` (pass the change's transaction). */
export async function audit(db: Db, actor: FastifyRequest | string | null, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values({
    ...auditActor(actor),
    action: entry.action,
    target_type: entry.target_type,
    target_id: String(entry.target_id),
    details: JSON.stringify(entry.details ?? {}),
    ...(entry.at ? { at: entry.at } : {}),
  }).execute();
}

/** The fields of `after` whose value differs from `before`, as {field: [before, after]}. */
export function changedFields<T extends Record<string, unknown>>(before: T, after: Partial<T>, keys: readonly (keyof T)[]): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const key of keys) {
    if (after[key] === undefined) continue;
    const a = before[key];
    const b = after[key];
    const same = Array.isArray(a) && Array.isArray(b) ? a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000') : a === b;
    if (!same) out[key as string] = [a, b];
  }
  return out;
}
