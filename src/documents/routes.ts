// Documents attached to a video (Pod's completion.Document): slides, PDFs,
// exercises. Editors upload them as the raw request body (any Content-Type;
// the type is judged on the bytes, types.ts) up to DOCUMENT_MAX_BYTES. They
// are stored under documents/<video>/ — a prefix no media token opens — and
// downloaded only through signed URLs that name one document (the list, and
// the player configuration, hand them out). A private document is listed and
// signed for the video's editors only: V4's flag only hid a link, here the
// file is refused too.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH, PUBLIC } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { checkGrant, signGrant } from '../delivery/media-tokens.ts';
import { mediaBase } from '../delivery/media-urls.ts';
import { trimmed } from '../enrichments/child-routes.ts';
import { editableFacts, watchableFacts } from '../videos/facts.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import { checkDocument, DOCUMENT_TYPES } from './types.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const VideoDocument = model('VideoDocument', Type.Object({
  id: Type.Integer(), title: Type.String(), filename: Type.String(), content_type: Type.String({ description: 'As found in the bytes' }),
  size: Type.Integer({ description: 'Bytes' }), is_private: Type.Boolean({ description: 'Editors only' }),
  url: Type.String({ format: 'uri', description: 'Signed download URL of this document (attachment)' }),
  url_expires_at: Type.String({ format: 'date-time' }),
  created_at: Type.String({ format: 'date-time' }),
}));
const Title = Type.String({ minLength: 1, maxLength: 200 });
const Filename = Type.String({ minLength: 3, maxLength: 200, pattern: '^[^/\\\\\\u0000-\\u001f]+\\.[A-Za-z0-9]{1,8}$', description: 'The file\'s name; its extension must match its bytes' });
const UploadQuery = Type.Object({
  filename: Filename,
  title: Type.Optional(Title),
  is_private: Type.Optional(Type.Boolean({ description: 'Editors only (default false)' })),
});
const DocumentPatch = model('DocumentPatch', Type.Object({
  title: Type.Optional(Title), filename: Type.Optional(Filename), is_private: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 }));
const DocParams = Type.Object({ ...VideoRefParams.properties, id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

/** The signing key's label (auth/keys.ts): a media token never opens a document, nor the reverse. */
const DOCUMENT_KEY = 'document-url';

export type DocumentRow = Awaited<ReturnType<typeof documentRows>>[number];

/** A video's documents, oldest first; private ones only when `editor`. */
export function documentRows(db: Db, videoId: number, editor: boolean) {
  return db.selectFrom('video_documents').selectAll().where('video_id', '=', videoId)
    .$if(!editor, (q) => q.where('is_private', '=', false)).orderBy('id').execute();
}

/** Documents as listed, each with its signed URL. */
export function documentJson(app: FastifyInstance, rows: DocumentRow[]) {
  const key = app.keys.derive(DOCUMENT_KEY);
  return rows.map((d) => {
    const grant = signGrant(key, 'document', d.id, app.config.MEDIA_URL_TTL_S);
    return {
      id: d.id, title: d.title, filename: d.filename, content_type: d.content_type, size: Number(d.size), is_private: d.is_private,
      url: `${mediaBase(app)}/media/d/${grant.token}/${encodeURIComponent(d.filename)}`,
      url_expires_at: grant.expires_at.toISOString(), created_at: d.created_at.toISOString(),
    };
  });
}

const ACCEPTED = Object.keys(DOCUMENT_TYPES).join(', ');

export async function documentRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const downloadKey = app.keys.derive(DOCUMENT_KEY);

  app.get('/api/v1/videos/:ref/documents', {
    schema: {
      operationId: 'listDocuments', errors: ['not_found', 'password_required'], tags: ['enrichments'], security: OPTIONAL_AUTH,
      summary: 'Documents of a video with signed download URLs (private ones for its editors only)',
      params: VideoRefParams, querystring: VideoAccessQuery, response: { 200: Envelope(Type.Array(VideoDocument)) },
    },
  }, async (request) => {
    const { id, editor } = await watchableFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    return ok(documentJson(app, await documentRows(db(), id, editor)));
  });

  // The upload takes the file as the whole body, whatever its Content-Type: its own scope, where every body is bytes.
  await app.register(async (upload) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: app.config.DOCUMENT_MAX_BYTES }, (_req, body, done) => done(null, body));
    upload.post('/api/v1/videos/:ref/documents', {
      schema: {
        operationId: 'uploadDocument', errors: ['not_found', 'forbidden', 'unsupported_media_type'], tags: ['enrichments'], security: AUTHENTICATED,
        summary: `Attach a document (editors): the file is the body; accepted: ${ACCEPTED}`,
        rawBody: { contentType: 'application/octet-stream', description: `The file's bytes (any Content-Type: the type is read from the bytes and must match the extension of ?filename=); at most DOCUMENT_MAX_BYTES` },
        params: VideoRefParams, querystring: UploadQuery, response: { 201: Envelope(VideoDocument) },
      },
      bodyLimit: app.config.DOCUMENT_MAX_BYTES,
    }, async (request, reply) => {
      const row = await editableFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
      const q = request.query as Static<typeof UploadQuery>;
      const bytes = request.body;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new AppError(400, 'validation_error', 'The body must be the document\'s bytes', { field: 'body' });
      const verdict = await checkDocument(q.filename, bytes);
      if (!verdict.ok) throw new AppError(415, 'unsupported_media_type', verdict.message, { field: 'filename' });
      const key = `documents/${row.id}/${randomBytes(9).toString('base64url')}.${verdict.ext}`;
      await app.storage.put(key, bytes, { contentType: verdict.mime, size: bytes.length });
      const created = await db().insertInto('video_documents').values({
        video_id: row.id, title: (q.title ?? q.filename.replace(/\.[^.]+$/, '')).trim() || q.filename, filename: q.filename,
        storage_key: key, content_type: verdict.mime, size: bytes.length, is_private: q.is_private ?? false,
      }).returningAll().executeTakeFirstOrThrow().catch(async (err: unknown) => {
        await app.storage.delete(key).catch(() => {});
        throw err;
      });
      reply.code(201);
      return ok(documentJson(app, [created])[0]!);
    });
  });

  app.patch('/api/v1/videos/:ref/documents/:id', {
    schema: {
      operationId: 'updateDocument', errors: ['not_found', 'forbidden', 'unsupported_media_type'], tags: ['enrichments'], security: AUTHENTICATED,
      summary: 'Rename a document or change who sees it (editors)', params: DocParams, body: DocumentPatch, response: { 200: Envelope(VideoDocument) },
    },
  }, async (request) => {
    const params = request.params as Static<typeof DocParams>;
    const row = await editableFacts(app, request, params.ref);
    const body = request.body as Static<typeof DocumentPatch>;
    const current = await db().selectFrom('video_documents').select(['storage_key']).where('video_id', '=', row.id).where('id', '=', params.id).executeTakeFirst();
    if (!current) throw notFound('No such document on this video');
    // A new name keeps the type the bytes were found to be.
    if (body.filename !== undefined && !current.storage_key.endsWith(`.${body.filename.replace(/^.*\./, '').toLowerCase()}`)) {
      throw new AppError(415, 'unsupported_media_type', 'The new name must keep the extension of the document\'s type', { field: 'filename' });
    }
    const changes = { ...body, ...(body.title !== undefined ? { title: trimmed(body.title, 'title') } : {}) };
    const updated = await db().updateTable('video_documents').set(changes).where('video_id', '=', row.id).where('id', '=', params.id)
      .returningAll().executeTakeFirstOrThrow();
    return ok(documentJson(app, [updated])[0]!);
  });

  app.delete('/api/v1/videos/:ref/documents/:id', {
    schema: {
      operationId: 'deleteDocument', errors: ['not_found', 'forbidden'], tags: ['enrichments'], security: AUTHENTICATED,
      summary: 'Delete a document and its file (editors)', params: DocParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const params = request.params as Static<typeof DocParams>;
    const row = await editableFacts(app, request, params.ref);
    const gone = await db().deleteFrom('video_documents').where('video_id', '=', row.id).where('id', '=', params.id).returning('storage_key').executeTakeFirst();
    if (!gone) throw notFound('No such document on this video');
    await app.storage.delete(gone.storage_key);
    return ok(null);
  });

  app.get('/media/d/:token/:filename', {
    schema: {
      operationId: 'downloadDocument', errors: ['invalid_media_token', 'media_token_expired', 'not_found'], tags: ['media'], security: PUBLIC,
      summary: 'Download a document through the signed URL its list or the player configuration gives (attachment)',
      params: Type.Object({ token: Type.String({ maxLength: 100 }), filename: Type.String({ maxLength: 600 }) }),
      response: { 200: Type.String({ description: 'The document' }) },
      mediaTypes: { 200: Object.fromEntries([...new Set(Object.values(DOCUMENT_TYPES).map((t) => t.mime.split(';')[0]!))].map((m) => [m, { schema: { type: 'string', format: 'binary' } }])) },
      responseHeaders: { 200: ['Cache-Control', 'Content-Disposition'] },
    },
  }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const id = checkGrant(downloadKey, 'document', token);
    // The video must still be there (a deletion counts at once, as for media).
    const doc = await db().selectFrom('video_documents as d').innerJoin('videos as v', 'v.id', 'd.video_id')
      .select(['d.storage_key', 'd.content_type', 'd.filename', 'd.size']).where('d.id', '=', id).where('v.deleted_at', 'is', null).executeTakeFirst();
    if (!doc) throw notFound('No such document');
    const ascii = doc.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
    reply.header('content-type', doc.content_type).header('content-length', String(doc.size))
      .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(doc.filename)}`)
      .header('cache-control', 'private, max-age=300').header('x-content-type-options', 'nosniff')
      // Opened in a browser tab anyway, it runs nothing.
      .header('content-security-policy', "default-src 'none'; sandbox");
    return reply.send(await app.storage.get(doc.storage_key));
  });
}
