// A person's own data: GET /users/me/export (everything, as one JSON
// document) and DELETE /users/me (erasure, their videos handed over or
// deleted). A superuser erases any account with DELETE /users/{id}.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { audit } from '../audit/log.ts';
import { requireUser } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { badRequest, notFound } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { EraseOutcome, EraseQuery, User } from '../users/schemas.ts';
import { eraseAccount } from './erase.ts';
import { exportPersonalData } from './export.ts';

const Rows = (description: string) => Type.Array(Type.Object({}, { additionalProperties: true }), { description });

export const PersonalDataExport = model('PersonalDataExport', Type.Object({
  format: Type.String(),
  exported_at: Type.String({ format: 'date-time' }),
  links_expire_in_s: Type.Integer({ description: 'The media and document links below work this long (MEDIA_URL_TTL_S)' }),
  user: Type.Object({ ...User.properties, updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }),
  sessions: Rows('Sign-in sessions: when, from which address and browser, revoked or not'),
  videos: Rows('Videos they own, with their metadata, signed links to their media files (mp4, audio, hls, poster, subtitles) and documents'),
  co_owned_videos: Rows('Videos they are an additional owner of (id, slug, title)'),
  playlists: Rows('Their playlists (favorites included), with the ids of their videos in order'),
  comments: Rows('Comments they wrote'),
  comment_votes: Type.Array(Type.Integer(), { description: 'Ids of the comments they voted for' }),
  notes: Rows('Their notes, private and public'),
  positions: Rows('Where they stopped watching each video'),
  uploads: Rows('Their uploads (file names, sizes, dates)'),
  private_links: Rows('Private links they created (the tokens themselves are never stored)'),
  actions: Rows('Their own actions in the audit trail (AUDIT_RETENTION_DAYS)'),
}));

const SelfEraseQuery = Type.Object({
  ...EraseQuery.properties,
  confirm: Type.String({ minLength: 1, maxLength: 150, description: 'Your username, to confirm' }),
});

export async function personalDataRoutes(app: FastifyInstance) {
  app.get('/api/v1/users/me/export', {
    schema: {
      operationId: 'exportMyData', tags: ['users'], security: AUTHENTICATED,
      summary: 'Everything the platform holds about me, as JSON (personal data export), with signed links to my media',
      description: 'Nothing about other people is included (not their comments or notes on my videos, nor who else co-owns them). Served as an attachment.',
      response: { 200: Envelope(PersonalDataExport) }, responseHeaders: { 200: ['Content-Disposition'] },
    },
    config: { rateLimit: { max: 10, timeWindow: 60_000 } },
  }, async (request, reply) => {
    const me = requireUser(request);
    const data = await exportPersonalData(app, me.id);
    if (!data) throw notFound('No such user');
    await audit(app.dbh.db, request, { action: 'user.data_exported', target_type: 'user', target_id: me.id });
    reply.header('content-disposition', `attachment; filename="pod-export-${me.username.replace(/[^\w.-]/g, '_')}.json"`).header('cache-control', 'no-store');
    return ok(data);
  });

  app.delete('/api/v1/users/me', {
    schema: {
      operationId: 'deleteMe', errors: ['forbidden_self_change', 'user_owns_videos', 'invalid_transfer'], tags: ['users'], security: AUTHENTICATED,
      summary: 'Delete my account (erasure): my videos go to ?transfer_to=<username> or are deleted with ?delete_videos=true',
      description: 'Requires ?confirm=<my username>. Erases the account and what was only mine (sessions, comments, notes, favorites, positions); '
        + 'the audit trail keeps my id and username for AUDIT_RETENTION_DAYS. Superusers are erased by another superuser.',
      querystring: SelfEraseQuery, response: { 200: Envelope(EraseOutcome) },
    },
  }, async (request) => {
    const me = requireUser(request);
    const query = request.query as Static<typeof SelfEraseQuery>;
    if (query.confirm.toLowerCase() !== me.username.toLowerCase()) throw badRequest('confirm must be your username', 'query.confirm', 'validation_error');
    if (me.is_superuser) throw badRequest('A superuser\'s account is deleted by another superuser (DELETE /api/v1/users/{id})', 'confirm', 'forbidden_self_change');
    const { confirm: _confirm, ...opts } = query;
    return ok(await app.dbh.db.transaction().execute((tx) => eraseAccount(app, tx, request, me.id, opts)));
  });
}
