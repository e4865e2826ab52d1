// Creating (or promoting) a superuser from the command line —
// `npm run create-superuser` — whether or not the API runs. On PostgreSQL the
// command writes to the database itself. On an embedded (PGlite) data
// directory, which one process at a time may open, the command asks the
// running server instead, through POST /api/v1/internal/superusers,
// authenticated by a short-lived token signed with a key derived from
// SECRET_KEY: whoever holds SECRET_KEY can already forge any credential, so
// this opens nothing new, and the server applies the change at once.
import type { FastifyInstance } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { sql, type Kysely } from 'kysely';
import Type, { type Static } from 'typebox';
import { audit } from '../audit/log.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Keys } from '../auth/keys.ts';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError } from '../core/errors.ts';

const CLI_AUDIENCE = 'pod-api:cli-superuser';

export const SuperuserBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$' }),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  password: Type.String({ minLength: 8, maxLength: 1024 }),
}, { additionalProperties: false });
export type SuperuserBody = Static<typeof SuperuserBody>;

/** Creates the user as a superuser, or promotes an existing one (and sets its password). */
export async function upsertSuperuser(db: Kysely<Database>, body: SuperuserBody): Promise<{ id: number; username: string; created: boolean }> {
  const hash = await hashPassword(body.password);
  return db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('users').select('id')
      .where(sql`lower(username)`, '=', body.username.toLowerCase()).forUpdate().executeTakeFirst();
    const set = { password_hash: hash, is_superuser: true, is_staff: true, is_active: true };
    const row = existing
      ? await tx.updateTable('users').set(set).where('id', '=', existing.id).returning(['id', 'username']).executeTakeFirstOrThrow()
      : await tx.insertInto('users').values({ username: body.username, email: body.email ?? '', ...set }).returning(['id', 'username']).executeTakeFirstOrThrow();
    // On the trail like any role change, by the command line (no signed-in actor).
    await audit(tx, 'create-superuser', existing
      ? { action: 'user.roles_changed', target_type: 'user', target_id: row.id, details: { is_superuser: ['…', true], password: ['…', 'changed'], via: 'create-superuser' } }
      : { action: 'user.created', target_type: 'user', target_id: row.id, details: { username: row.username, is_superuser: true, via: 'create-superuser' } });
    return { ...row, created: !existing };
  });
}

/** The token the command sends to a running server (valid one minute). */
export function cliSuperuserToken(keys: Keys): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience(CLI_AUDIENCE).setIssuedAt().setExpirationTime('60s')
    .sign(keys.derive('cli-superuser'));
}

export async function superuserRoutes(app: FastifyInstance) {
  app.post('/api/v1/internal/superusers', {
    schema: {
      operationId: 'createSuperuser', errors: ['invalid_token', 'username_taken'], tags: ['users'],
      summary: 'Create or promote a superuser (for `npm run create-superuser` while the server holds the embedded database)',
      description: 'Authorization: `Bearer <token>` signed with a key derived from SECRET_KEY (the command makes it); not a user token.',
      security: [{ cliToken: [] }],
      body: SuperuserBody,
      response: { 200: Envelope(Type.Object({ id: Type.Integer(), username: Type.String(), created: Type.Boolean() })) },
    },
    config: { ownAuthorization: true, csrfExempt: true, rateLimit: { max: app.config.AUTH_RATE_LIMIT_MAX, timeWindow: app.config.AUTH_RATE_LIMIT_WINDOW_MS } },
    // Who asks is checked before what is asked: without the token, a body is never looked at.
    preValidation: async (request) => {
      const token = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      try {
        if (!token) throw new Error('missing');
        await jwtVerify(token, app.keys.derive('cli-superuser'), { algorithms: ['HS256'], audience: CLI_AUDIENCE });
      } catch {
        throw new AppError(401, 'invalid_token', 'This endpoint takes the token of `npm run create-superuser` (same SECRET_KEY as the server)');
      }
    },
  }, async (request) => {
    const user = await upsertSuperuser(app.dbh.db, request.body as SuperuserBody);
    request.log.info({ user_id: user.id, created: user.created }, 'superuser set from the command line');
    return ok(user);
  });
}
