// GET /api/v1/audit: the trail, newest first, for superusers. Filters
// answer "who changed this video" (target), "what did this account do"
// (actor), "every failed sign-in since Monday" (action + since).
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../core/db/database.ts';
import Type, { type Static } from 'typebox';
import { requireSuperuser } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { badRequest } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { AUDIT_ACTIONS } from './log.ts';

export const AuditEntry = model('AuditEntry', Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Union([Type.Object({ id: Type.Integer(), username: Type.String() }), Type.Null()], {
    description: 'Who acted (id may name an account deleted since); null for the system (the retention sweep) or an anonymous caller',
  }),
  action: Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a))),
  target_type: Type.String({ description: 'user, group, video, comment' }),
  target_id: Type.String(),
  ip: Type.String(),
  request_id: Type.String({ description: 'X-Request-Id of the request that did it (the logs hold the rest)' }),
  details: Type.Record(Type.String(), Type.Unknown(), { description: 'What changed ({field: [before, after]}), or the reason' }),
}));

const AuditQuery = Type.Object({
  action: Type.Optional(Type.Union(AUDIT_ACTIONS.map((a) => Type.Literal(a)))),
  actor_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 })),
  target_type: Type.Optional(Type.Union(['user', 'group', 'video', 'comment'].map((t) => Type.Literal(t)))),
  target_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'At or after this instant' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Before this instant' })),
  ...PageQuery,
});

export async function auditRoutes(app: FastifyInstance) {
  app.get('/api/v1/audit', {
    schema: {
      operationId: 'listAuditEntries', errors: ['forbidden', 'invalid_cursor', 'invalid_date_range'], tags: ['audit'],
      summary: 'The audit trail, newest first (superusers)', security: AUTHENTICATED,
      description: `Kept AUDIT_RETENTION_DAYS days. Actions: ${AUDIT_ACTIONS.join(', ')}.`,
      querystring: AuditQuery, response: { 200: Envelope(Type.Array(AuditEntry), PageMeta) },
    },
  }, async (request) => {
    requireSuperuser(request);
    const q = request.query as Static<typeof AuditQuery>;
    if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) throw badRequest('since is after until', 'query.since', 'invalid_date_range');
    const limit = q.limit ?? 20;
    const after = decodeCursor(q.cursor, ['id']);
    let query = app.dbh.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit + 1);
    if (after) query = query.where('id', '<', after[0] as number);
    if (q.action) query = query.where('action', '=', q.action);
    if (q.actor_id) query = query.where('actor_id', '=', q.actor_id);
    if (q.target_type) query = query.where('target_type', '=', q.target_type);
    if (q.target_id) query = query.where('target_id', '=', q.target_id);
    if (q.since) query = query.where('at', '>=', sql<Date>`${q.since}::timestamptz`);
    if (q.until) query = query.where('at', '<', sql<Date>`${q.until}::timestamptz`);
    const page = pageOf(await query.execute(), limit, (r) => [r.id]);
    return ok(page.items.map((r) => ({
      id: r.id, at: new Date(r.at).toISOString(),
      actor: r.actor_id === null ? null : { id: r.actor_id, username: r.actor_username },
      action: r.action as (typeof AUDIT_ACTIONS)[number], target_type: r.target_type, target_id: r.target_id,
      ip: r.ip, request_id: r.request_id, details: (r.details ?? {}) as Record<string, unknown>,
    })), page.meta);
  });
}

/** Deletes rows older than `days` days before `now` (0 keeps them forever); returns how many. */
export async function pruneAudit(db: Kysely<Database> | Transaction<Database>, days: number, now: Date): Promise<number> {
  if (!days) return 0;
  const r = await db.deleteFrom('audit_log').where('at', '<', new Date(now.getTime() - days * 86_400_000)).executeTakeFirst();
  return Number(r.numDeletedRows);
}
