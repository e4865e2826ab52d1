// Password unlock and private links (revocable access tokens) of a video.
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import Type, { type Static } from 'typebox';
import { verifyPassword } from '../auth/passwords.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { newPrivateLinkToken, signUnlockToken } from './access.ts';
import { editableVideo, visibleVideo } from './routes.ts';
import { VideoRefParams } from './schemas.ts';
import { model } from '../core/openapi-models.ts';
import { audit } from '../audit/log.ts';

const UnlockBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const AccessToken = model('AccessToken', Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  token_hint: Type.String({ description: 'Last 4 characters of the token' }),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
}));
const AccessTokenCreate = model('AccessTokenCreate', Type.Object({
  name: Type.Optional(Type.String({ maxLength: 100 })),
  expires_at: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
}, { additionalProperties: false }));
const TokenParams = Type.Object({ ...VideoRefParams.properties, token_id: Type.String({ format: 'uuid' }) });

const tokenJson = (t: { id: string; name: string; token_hint: string; created_at: Date; expires_at: Date | null }) => ({
  id: t.id, name: t.name, token_hint: t.token_hint,
  created_at: new Date(t.created_at).toISOString(), expires_at: t.expires_at ? new Date(t.expires_at).toISOString() : null,
});

export async function videoAccessRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  app.post('/api/v1/videos/:ref/unlock', {
    schema: {
      operationId: 'unlockVideo', errors: ['not_found', 'no_password', 'wrong_password'], tags: ['videos'], summary: 'Give the password of a protected video; get an unlock token (send it as ?token= or X-Video-Token)',
      security: OPTIONAL_AUTH, params: VideoRefParams, body: UnlockBody,
      response: { 200: Envelope(Type.Object({ token: Type.String(), expires_at: Type.String({ format: 'date-time' }) })) },
    },
    config: { rateLimit: { max: app.config.AUTH_RATE_LIMIT_MAX, timeWindow: app.config.AUTH_RATE_LIMIT_WINDOW_MS } },
  }, async (request) => {
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const stored = await db().selectFrom('videos').select('password_hash').where('id', '=', row.id).executeTakeFirstOrThrow();
    if (!stored.password_hash) throw new AppError(400, 'no_password', 'This video has no password');
    if (!(await verifyPassword(stored.password_hash, (request.body as Static<typeof UnlockBody>).password))) {
      throw new AppError(403, 'wrong_password', 'Wrong password for this video', { field: 'password' });
    }
    return ok(await signUnlockToken(app, row.id, stored.password_hash, app.config.VIDEO_UNLOCK_TTL_S));
  });

  app.get('/api/v1/videos/:ref/access-tokens', {
    schema: {
      operationId: 'listVideoAccessTokens', errors: ['not_found', 'forbidden'], tags: ['videos'], summary: 'Private links of a video (editors)', security: AUTHENTICATED,
      params: VideoRefParams, response: { 200: Envelope(Type.Array(AccessToken)) },
    },
  }, async (request) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const rows = await db().selectFrom('video_access_tokens').select(['id', 'name', 'token_hint', 'created_at', 'expires_at'])
      .where('video_id', '=', row.id).orderBy('created_at').execute();
    return ok(rows.map(tokenJson));
  });

  app.post('/api/v1/videos/:ref/access-tokens', {
    schema: {
      operationId: 'createVideoAccessToken', errors: ['not_found', 'forbidden'], tags: ['videos'],
      summary: 'Create a private link (editors). The token is shown once; it bypasses draft, restriction, groups and password until revoked',
      security: AUTHENTICATED, params: VideoRefParams, body: Type.Optional(AccessTokenCreate),
      response: { 201: Envelope(Type.Object({ ...AccessToken.properties, token: Type.String(), url: Type.String() })) },
    },
  }, async (request, reply) => {
    const { row, viewer } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const body = (request.body ?? {}) as Static<typeof AccessTokenCreate>;
    const secret = newPrivateLinkToken();
    const created = await db().transaction().execute(async (tx) => {
      const link = await tx.insertInto('video_access_tokens').values({
        id: randomUUID(), video_id: row.id, name: body.name ?? '', token_hash: secret.hash, token_hint: secret.hint,
        created_by: viewer.id, expires_at: body.expires_at ? new Date(body.expires_at) : null,
      }).returning(['id', 'name', 'token_hint', 'created_at', 'expires_at']).executeTakeFirstOrThrow();
      await audit(tx, request, { action: 'video.private_link_created', target_type: 'video', target_id: row.id, details: { link_id: link.id, name: link.name, expires_at: link.expires_at } });
      return link;
    });
    reply.code(201);
    return ok({ ...tokenJson(created), token: secret.token, url: `/api/v1/videos/${row.slug}?token=${secret.token}` });
  });

  app.delete('/api/v1/videos/:ref/access-tokens/:token_id', {
    schema: {
      operationId: 'revokeVideoAccessToken', errors: ['not_found', 'forbidden'], tags: ['videos'], summary: 'Revoke a private link (editors)', security: AUTHENTICATED,
      params: TokenParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const params = request.params as Static<typeof TokenParams>;
    const { row } = await editableVideo(app, request, params.ref);
    // Scoped to this video: a token id of another video is "not found" here.
    await db().transaction().execute(async (tx) => {
      const gone = await tx.deleteFrom('video_access_tokens').where('id', '=', params.token_id).where('video_id', '=', row.id).returning(['id', 'name']).executeTakeFirst();
      if (!gone) throw notFound('No such private link on this video');
      await audit(tx, request, { action: 'video.private_link_revoked', target_type: 'video', target_id: row.id, details: { link_id: gone.id, name: gone.name } });
    });
    app.encodingBus.touch(row.id); // streams opened with this link end now
    return ok(null);
  });
}
