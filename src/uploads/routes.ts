// Mounts the tus server at /api/v1/uploads/ inside Fastify: authentication
// (bearer, or cookie + CSRF) and CORS come from the API's own hooks; tus
// handles the protocol. Adds the checksum extension @tus/server lacks, and
// cleans expired uploads on a timer.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { DataStore, Server } from '@tus/server';
import Type from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import type { Principal } from '../auth/principal.ts';
import { AUTHENTICATED, PUBLIC } from '../core/openapi.ts';
import { RejectedUpload, restoreUnlinkedSource, sourceKeyOf } from './complete.ts';
import { createDatastore, createTusServer, envelopedTusError, finishUpload, isCompleting, principals, tusError } from './tus.ts';
import { mayUseUpload } from './staging.ts';

const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'];

// tus takes a web Request. Its body is made with ReadableStream.from(), which
// hands the Node chunks over as they are: Readable.toWeb() copies every chunk
// (≈ 1/3 of the API's CPU and most of its garbage while uploading, measured by
// bench/upload.ts). Reading ahead of the disk is the file store's write buffer.
const webBody = (node: Readable) => ReadableStream.from(node) as ReadableStream<Uint8Array>;

/**
 * Hands tus a web Request built from the Node request with `body`, and writes
 * tus' answer back — its errors always in the envelope (tus writes some
 * plain-text ones, such as 412 for a missing Tus-Resumable, before any hook).
 */
async function forwardToTus(request: FastifyRequest, reply: FastifyReply, principal: Principal | undefined, tus: Server, body: ReadableStream | null) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(request.headers)) {
    if (typeof v === 'string' && k !== 'upload-checksum' && k !== 'host') headers.set(k, v);
  }
  const webRequest = new Request(`http://${request.headers.host ?? 'localhost'}${request.url}`, {
    method: request.method, headers, body, duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  if (principal) {
    principals.set(webRequest, principal);
    principals.set(request.raw, principal);
  }
  const answer = await tus.handleWeb(webRequest);
  const res = reply.raw;
  answer.headers.forEach((v, k) => res.setHeader(k, v));
  let payload = Buffer.from(await answer.arrayBuffer());
  if (answer.status >= 400) {
    // An error is the JSON envelope, also in type for HEAD (whose answer has no body).
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (request.method === 'HEAD') payload = Buffer.alloc(0);
    else {
      if (!payload.subarray(0, 20).toString().startsWith('{"status":"error"')) payload = Buffer.from(envelopedTusError(answer.status, payload.toString()).body);
      res.setHeader('content-length', payload.byteLength);
    }
  }
  res.writeHead(answer.status);
  res.end(payload);
}

const NoBody = (description: string) => Type.Null({ description });
const tusHeaders = Type.Object({
  'tus-resumable': Type.Optional(Type.String({ description: 'Must be 1.0.0' })),
  'upload-length': Type.Optional(Type.String({ description: 'Total size in bytes (creation)' })),
  'upload-metadata': Type.Optional(Type.String({ description: 'filename (required), video (id or slug of an existing video to replace its source), title — base64 values' })),
  'upload-offset': Type.Optional(Type.String({ description: 'Offset of this chunk (PATCH)' })),
  'upload-checksum': Type.Optional(Type.String({ description: 'sha1|sha256|md5 <base64 digest> of this chunk (PATCH)' })),
}, { additionalProperties: true });

export async function uploadRoutes(app: FastifyInstance) {
  const datastore = await createDatastore(app);
  // Tus-Extension lists what this endpoint does: checksum is implemented below in front of tus;
  // deferred length is refused (the size is needed up front for the size limit and the quota).
  datastore.extensions = [...datastore.extensions.filter((e) => e !== 'creation-defer-length'), 'checksum'];
  const tus = createTusServer(app, datastore);

  // tus bodies are raw bytes: leave the stream unread for tus.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));

  /**
   * HEAD of an upload whose bytes have all arrived, answered from the database:
   * completed → its offset and the video headers (also after the tus staging
   * files are gone); all bytes received but never completed (the API died
   * while completing) → complete it now, so the client's "done" is true.
   * Anything else (in progress, unknown, someone else's) is tus' to answer.
   */
  async function answerFinishedHead(request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<boolean> {
    const id = (request.params as { id: string }).id;
    const row = await app.dbh.db.selectFrom('uploads as u').leftJoin('videos as v', 'v.id', 'u.result_video_id')
      .select(['u.user_id', 'u.size', 'u.completed_at', 'u.filename', 'v.id as video_id', 'v.slug']).where('u.id', '=', id).executeTakeFirst();
    if (!row || Number(row.user_id) !== principal.id) return false;
    let video = row.video_id !== null && row.slug !== null ? { id: Number(row.video_id), slug: row.slug } : null;
    if (!row.completed_at) {
      // Killed after moving the bytes, before linking them: back to staging first.
      if (!isCompleting(id)) await restoreUnlinkedSource(app, id, row.filename);
      const staged = await datastore.getUpload(id).catch(() => null);
      if (!staged || staged.size === undefined || staged.offset !== staged.size) return false;
      try {
        video = await finishUpload(app, datastore, principal, id);
      } catch (err) {
        if (!(err instanceof RejectedUpload)) throw err;
        reply.raw.writeHead(err.status, { 'tus-resumable': '1.0.0', 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' }).end();
        return true;
      }
    }
    reply.raw.writeHead(200, {
      'tus-resumable': '1.0.0', 'cache-control': 'no-store', 'upload-offset': String(row.size), 'upload-length': String(row.size),
      ...(video ? { 'x-video-id': String(video.id), 'x-video-slug': video.slug } : {}),
    }).end();
    return true;
  }

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    let principal: Principal | undefined;
    if (request.method !== 'OPTIONS') {
      principal = requireUser(request);
      principals.set(request.raw, principal);
    }
    // Headers set so far (request id, CORS) travel with tus' raw response.
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) reply.raw.setHeader(k, v as string);
    reply.raw.setHeader('tus-checksum-algorithm', CHECKSUM_ALGORITHMS.join(','));
    reply.hijack();
    if (request.method === 'HEAD' && (await answerFinishedHead(request, reply, principal!))) return;
    if (request.method === 'POST' && request.headers['upload-defer-length'] !== undefined) {
      const { body } = tusError(400, 'length_required', 'Upload-Length is required (deferred length is not accepted: the size limit and quota are checked at creation)');
      reply.raw.writeHead(400, { 'content-type': 'application/json', 'tus-resumable': '1.0.0' }).end(body);
      return;
    }
    const checksum = request.headers['upload-checksum'];
    if (request.method === 'PATCH' && typeof checksum === 'string') return patchWithChecksum(app, request, reply, principal!, checksum, tus, datastore);
    if (request.method === 'PATCH' || (request.method === 'POST' && request.headers['content-type'] === 'application/offset+octet-stream')) {
      // Bytes: handed to tus as they arrive; the file store's write buffer lets network and disk overlap.
      return forwardToTus(request, reply, principal!, tus, webBody(request.raw));
    }
    return forwardToTus(request, reply, principal, tus, null);
  }

  // One route per method, each its own operation in the API document; tus itself answers them all.
  const upload = (method: 'POST' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'DELETE', url: string, schema: FastifySchema) =>
    app.route({
      method, url, schema: { tags: ['uploads'], headers: tusHeaders, ...schema }, exposeHeadRoute: false, handler: handle,
      config: { swagger: { exposeHeadRoute: true } }, // this HEAD is an operation of its own (tus), not a GET's twin
    });
  const tusErrors = ['unsupported_tus_version'] as const;
  const UploadParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\w-]+$', description: 'The upload id (last segment of its Location)' }) });

  upload('POST', '/api/v1/uploads', {
    operationId: 'createUpload', security: AUTHENTICATED,
    summary: 'tus 1.0: create an upload (creation, creation-with-upload)',
    description: 'Any tus client works (tus-js-client, Uppy…). Upload-Length is required (the size limit and the quota are checked here); '
      + 'Upload-Metadata (base64 values): `filename` (required, its extension must be accepted), `video` (id or slug of an existing video '
      + 'whose source this replaces; omitted = a new draft video at completion), `title`. With creation-with-upload the body carries the '
      + 'first bytes (Content-Type application/offset+octet-stream). Errors carry the JSON envelope in their body.',
    errors: [...tusErrors, 'forbidden', 'not_found', 'length_required', 'payload_too_large', 'quota_exceeded', 'unsupported_media_type', 'checksum_mismatch'],
    rawBody: { contentType: 'application/offset+octet-stream', description: 'Optional first bytes of the file (creation-with-upload)', required: false },
    response: { 201: NoBody('Created: Location is the upload URL') },
    responseHeaders: { 201: ['Location', 'Tus-Resumable', 'Upload-Offset', 'Upload-Expires', 'X-Video-Id', 'X-Video-Slug'] },
  });
  upload('OPTIONS', '/api/v1/uploads', {
    operationId: 'getUploadCapabilities', security: PUBLIC,
    summary: 'tus 1.0: what this upload endpoint supports (anonymous, as tus clients and CORS preflights ask)',
    response: { 204: NoBody('Capabilities, in the headers') },
    responseHeaders: { 204: ['Tus-Resumable', 'Tus-Version', 'Tus-Extension', 'Tus-Max-Size', 'Tus-Checksum-Algorithm'] },
  });
  // The same endpoint with a trailing slash (tus clients are configured with either).
  app.route({ method: ['POST', 'OPTIONS'], url: '/api/v1/uploads/', schema: { hide: true }, handler: handle });
  upload('HEAD', '/api/v1/uploads/:id', {
    operationId: 'getUploadOffset', security: AUTHENTICATED, params: UploadParams,
    summary: 'tus 1.0: how many bytes of the upload arrived (resume from Upload-Offset)',
    description: 'A HEAD of a completed upload answers `X-Video-Id` and `X-Video-Slug`; it also completes an upload whose bytes all '
      + 'arrived but whose completion was interrupted. Errors have no body (HEAD): the status says it.',
    errors: [...tusErrors, 'not_found', 'upload_expired', 'unsupported_media_type'],
    response: { 200: NoBody('Offset and length, in the headers') },
    responseHeaders: { 200: ['Tus-Resumable', 'Upload-Offset', 'Upload-Length', 'Upload-Expires', 'Cache-Control', 'X-Video-Id', 'X-Video-Slug'] },
  });
  upload('PATCH', '/api/v1/uploads/:id', {
    operationId: 'appendUploadChunk', security: AUTHENTICATED, params: UploadParams,
    summary: 'tus 1.0: append a chunk at Upload-Offset (Upload-Checksum honoured)',
    description: 'The last PATCH answers `X-Video-Id` and `X-Video-Slug` once the file is checked (type sniffed from its bytes) and queued '
      + 'for encoding. A chunk whose checksum does not match is refused (460) and the offset stays.',
    errors: [...tusErrors, 'not_found', 'offset_mismatch', 'upload_expired', 'payload_too_large', 'unsupported_media_type', 'checksum_mismatch', 'checksum_algorithm_unsupported'],
    rawBody: { contentType: 'application/offset+octet-stream', description: 'The bytes of the file from Upload-Offset on' },
    response: { 204: NoBody('Chunk stored') },
    responseHeaders: { 204: ['Tus-Resumable', 'Upload-Offset', 'Upload-Expires', 'X-Video-Id', 'X-Video-Slug'] },
  });
  upload('DELETE', '/api/v1/uploads/:id', {
    operationId: 'deleteUpload', security: AUTHENTICATED, params: UploadParams,
    summary: 'tus 1.0 termination: abandon an unfinished upload',
    errors: [...tusErrors, 'not_found'],
    response: { 204: NoBody('Upload deleted') },
    responseHeaders: { 204: ['Tus-Resumable'] },
  });
  upload('OPTIONS', '/api/v1/uploads/:id', {
    operationId: 'getUploadResourceCapabilities', security: PUBLIC, params: UploadParams,
    summary: 'tus 1.0: what this upload endpoint supports (anonymous; CORS preflights of HEAD, PATCH and DELETE)',
    response: { 204: NoBody('Capabilities, in the headers') },
    responseHeaders: { 204: ['Tus-Resumable', 'Tus-Version', 'Tus-Extension', 'Tus-Max-Size', 'Tus-Checksum-Algorithm'] },
  });

  const everyMs = Math.min(app.config.UPLOAD_EXPIRATION_S * 250, 3_600_000);
  const timer = setInterval(() => void cleanExpired(app, tus).catch((err: unknown) => app.log.warn({ err }, 'upload cleanup failed')), everyMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
  app.maintenance.cleanExpiredUploads = () => cleanExpired(app, tus);
}

/** Removes expired unfinished uploads (bytes and bookkeeping). */
async function cleanExpired(app: FastifyInstance, tus: Server): Promise<number> {
  const removed = await tus.cleanUpExpiredUploads().catch(() => 0);
  const cutoff = new Date(Date.now() - app.config.UPLOAD_EXPIRATION_S * 1000);
  const expired = await app.dbh.db.deleteFrom('uploads').where('completed_at', 'is', null).where('created_at', '<', cutoff)
    .returning(['id', 'filename']).execute();
  // Bytes left at their final key by a completion that was killed, and never claimed since.
  for (const u of expired) await app.storage.delete(sourceKeyOf(u.id, u.filename)).catch(() => {});
  return Math.max(removed, expired.length);
}

/**
 * tus checksum extension: the chunk is spooled to a temporary file while
 * hashed (never held in memory); only a chunk whose digest matches reaches
 * the store, so a corrupted chunk leaves the offset unchanged (460).
 * Everything tus would refuse is refused first, before a byte is read: an
 * unknown or foreign upload (404), a wrong offset (409), a body longer than
 * the rest of the file (413) — and no more than that rest is ever spooled.
 */
async function patchWithChecksum(
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, principal: Principal, header: string, tus: Server, datastore: DataStore,
) {
  const res = reply.raw;
  const fail = (status: number, code: string, message: string) => {
    const { body } = tusError(status, code, message);
    // The unread rest of the body is not wanted: the connection closes after this answer.
    res.writeHead(status, { 'content-type': 'application/json', 'tus-resumable': '1.0.0', connection: 'close' });
    res.end(body, () => request.raw.destroy());
  };
  const [algorithm, digest] = header.trim().split(/\s+/);
  if (!algorithm || !digest || !CHECKSUM_ALGORITHMS.includes(algorithm)) {
    return fail(400, 'checksum_algorithm_unsupported', `Upload-Checksum must be "<${CHECKSUM_ALGORITHMS.join('|')}> <base64 digest>"`);
  }
  const id = (request.params as { id: string }).id;
  if (!(await mayUseUpload(app, principal, id))) return fail(404, 'not_found', 'No such upload');
  const staged = await datastore.getUpload(id).catch(() => null);
  if (!staged || staged.size === undefined) return fail(404, 'not_found', 'No such upload');
  const offset = String(request.headers['upload-offset'] ?? '');
  if (!/^\d{1,16}$/.test(offset) || Number(offset) !== staged.offset) {
    return fail(409, 'offset_mismatch', `Upload-Offset must be the current offset, ${staged.offset}`);
  }
  const remaining = staged.size - staged.offset;
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > remaining) {
    return fail(413, 'payload_too_large', `This chunk is longer than the ${remaining} bytes left of the upload`);
  }
  const tmp = path.join(tmpdir(), `pod-chunk-${randomUUID()}`);
  try {
    const hash = createHash(algorithm);
    let received = 0;
    const hashed = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (received > remaining) return cb(new ChunkTooLong());
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(request.raw, hashed, createWriteStream(tmp));
    if (hash.digest('base64') !== digest) return fail(460, 'checksum_mismatch', 'The chunk does not match its Upload-Checksum; send it again');
    await forwardToTus(request, reply, principal, tus, webBody(createReadStream(tmp)));
  } catch (err) {
    if (err instanceof ChunkTooLong) return fail(413, 'payload_too_large', `This chunk is longer than the ${remaining} bytes left of the upload`);
    request.log.warn({ err }, 'checksummed chunk failed');
    if (!res.headersSent) fail(500, 'internal_error', 'The chunk could not be stored; resume the upload');
  } finally {
    await rm(tmp, { force: true });
  }
}

class ChunkTooLong extends Error {}
