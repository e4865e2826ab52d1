// The tus 1.0 server (@tus/server) behind /api/v1/uploads/, with its
// staging store matching the storage backend (@tus/file-store under
// MEDIA_DIR/uploads, or @tus/s3-store in the bucket). Hooks enforce who may
// upload what, size and quota at creation, and the byte-level media check
// and completion at the end.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Server, type DataStore, type Upload } from '@tus/server';
import path from 'node:path';
import { listSetting } from '../core/config.ts';
import type { Principal } from '../auth/principal.ts';
import { s3Options } from '../core/storage/index.ts';
import { canUpload } from '../policy/video-policy.ts';
import { factsOf, videoByRef } from '../videos/queries.ts';
import { checkExtension } from './media-check.ts';
import { completeUpload, RejectedUpload } from './complete.ts';
import { StreamingFileStore } from './file-store.ts';
import { mayUseUpload, tolerateCompleted } from './staging.ts';

/** The principal of each request (raw Node request or web Request), set by the Fastify route before tus runs. */
export const principals = new WeakMap<object, Principal>();

/** An error tus sends as is: status + our JSON envelope as the body. */
export function tusError(status: number, code: string, message: string, field?: string) {
  return { status_code: status, body: JSON.stringify({ status: 'error', data: null, errors: [{ code, message, ...(field ? { field } : {}) }] }) };
}

/**
 * tus' own error for a status, in the envelope. Also used for the answers tus
 * writes before any hook runs (a missing Tus-Resumable header → 412).
 */
export function envelopedTusError(status: number, text = 'Upload error') {
  const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : status === 409 ? 'offset_mismatch'
    : status === 412 ? 'unsupported_tus_version' : status === 415 ? 'unsupported_media_type' : status === 410 ? 'upload_expired'
      : status === 460 ? 'checksum_mismatch' : status === 403 ? 'forbidden' : status === 401 ? 'not_authenticated'
        : status >= 500 ? 'internal_error' : 'bad_request';
  const message = status >= 500 ? 'The upload failed on the server; resume it' : text.trim() || 'Upload error';
  return tusError(status, code, message);
}

function principalOf(req: Request): Principal {
  const node = (req as unknown as { runtime?: { node?: { req: IncomingMessage } } }).runtime?.node?.req;
  const p = principals.get(req) ?? (node ? principals.get(node) : undefined);
  if (!p) throw tusError(401, 'not_authenticated', 'Authentication required');
  return p;
}

export async function createDatastore(app: FastifyInstance): Promise<DataStore> {
  return tolerateCompleted(await createBaseDatastore(app));
}

async function createBaseDatastore(app: FastifyInstance): Promise<DataStore> {
  const expirationPeriodInMilliseconds = app.config.UPLOAD_EXPIRATION_S * 1000;
  if (app.config.STORAGE_BACKEND === 's3') {
    const [{ S3Store }, { s3ClientConfig }] = await Promise.all([import('@tus/s3-store'), import('../core/storage/s3.ts')]);
    const o = s3Options(app.config);
    return new S3Store({ partSize: 8 * 1024 * 1024, expirationPeriodInMilliseconds, s3ClientConfig: { ...s3ClientConfig(o), bucket: o.bucket } });
  }
  return new StreamingFileStore({ directory: path.join(path.resolve(app.config.MEDIA_DIR), 'uploads'), expirationPeriodInMilliseconds });
}

async function usedBytes(app: FastifyInstance, userId: number): Promise<number> {
  const db = app.dbh.db;
  const pending = await db.selectFrom('uploads').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('n'))
    .where('user_id', '=', userId).where('completed_at', 'is', null)
    .where('created_at', '>', new Date(Date.now() - app.config.UPLOAD_EXPIRATION_S * 1000)).executeTakeFirstOrThrow();
  const stored = await db.selectFrom('videos').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('source_size'), eb.lit(0)).as('n'))
    .where('owner_id', '=', userId).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
  return Number(pending.n) + Number(stored.n);
}

/** The extensions an upload's filename may have (UPLOAD_ALLOWED_EXTENSIONS), lower-cased. */
const allowedExtensions = (app: FastifyInstance) => listSetting(app.config.UPLOAD_ALLOWED_EXTENSIONS).map((e) => e.toLowerCase());

/**
 * Completes an upload once per process at a time, whoever asks first: the
 * last PATCH (tus' onUploadFinish), or a HEAD finding every byte received but
 * no completion recorded (the API died while completing: without this, the
 * client would believe its upload done and nothing would follow).
 */
const completing = new Map<string, Promise<{ id: number; slug: string }>>();
export const isCompleting = (uploadId: string) => completing.has(uploadId);
export function finishUpload(app: FastifyInstance, datastore: DataStore, p: Principal, uploadId: string) {
  let pending = completing.get(uploadId);
  if (!pending) {
    pending = completeUpload(app, datastore, p, uploadId, allowedExtensions(app)).finally(() => completing.delete(uploadId));
    completing.set(uploadId, pending);
  }
  return pending;
}

export function createTusServer(app: FastifyInstance, datastore: DataStore): Server {
  const allowed = allowedExtensions(app);
  return new Server({
    path: '/api/v1/uploads',
    datastore,
    maxSize: app.config.UPLOAD_MAX_BYTES,
    relativeLocation: true,
    respectForwardedHeaders: app.config.TRUST_PROXY,
    // CORS is answered by the API's own CORS layer (configured origins only).
    allowedOrigins: [],
    disableTerminationForFinishedUploads: true,

    async onIncomingRequest(req, uploadId) {
      const p = principalOf(req);
      // POST creates (its id is not yet stored); OPTIONS describes the server.
      if (!uploadId || req.method === 'POST' || req.method === 'OPTIONS') return;
      if (!(await mayUseUpload(app, p, uploadId))) throw tusError(404, 'not_found', 'No such upload');
    },

    async onUploadCreate(req, upload) {
      const p = principalOf(req);
      const meta = upload.metadata ?? {};
      // PostgreSQL text cannot hold NUL, and no file name or title needs a control character (SECURITY.md).
      for (const [key, value] of Object.entries(meta)) {
        if (/[\u0000-\u001f\u007f]/.test(key) || (value !== null && /[\u0000-\u001f\u007f]/.test(value))) {
          throw tusError(400, 'validation_error', `Upload-Metadata ${JSON.stringify(key.replace(/[\u0000-\u001f\u007f]/g, '?'))} must not contain control characters`, `metadata.${key.replace(/[^\w-]/g, '_')}`);
        }
      }
      const filename = (meta.filename ?? meta.name ?? '').trim();
      if (!filename || filename.length > 255) throw tusError(400, 'validation_error', 'Upload-Metadata must carry a filename (at most 255 characters)', 'filename');
      const bad = checkExtension(filename, allowed);
      if (bad && !bad.ok) throw tusError(415, bad.code, bad.message, 'filename');
      if (upload.sizeIsDeferred || upload.size === undefined) throw tusError(400, 'length_required', 'Upload-Length is required (deferred length is not accepted)');
      if (upload.size > app.config.UPLOAD_MAX_BYTES) {
        throw tusError(413, 'payload_too_large', `The file is larger than the ${app.config.UPLOAD_MAX_BYTES}-byte limit`);
      }
      if (app.config.UPLOAD_QUOTA_BYTES > 0 && (await usedBytes(app, p.id)) + upload.size > app.config.UPLOAD_QUOTA_BYTES) {
        throw tusError(413, 'quota_exceeded', `This upload would exceed your ${app.config.UPLOAD_QUOTA_BYTES}-byte quota`);
      }
      let videoId: number | null = null;
      if (meta.video) {
        const row = await videoByRef(app.dbh.db, meta.video);
        if (!row || !canUpload(p, factsOf(row), { staffOnly: app.config.UPLOAD_STAFF_ONLY })) {
          throw tusError(404, 'not_found', 'No such video, or you may not replace its source', 'video');
        }
        videoId = row.id;
      } else if (!canUpload(p, null, { staffOnly: app.config.UPLOAD_STAFF_ONLY })) {
        throw tusError(403, 'forbidden', 'Only staff can add videos on this platform');
      }
      await app.dbh.db.insertInto('uploads').values({
        id: upload.id, user_id: p.id, video_id: videoId, filename, title: meta.title?.slice(0, 250) || null, size: upload.size,
      }).execute();
      return { metadata: { ...meta, filename } };
    },

    async onUploadFinish(req, upload: Upload) {
      const p = principalOf(req);
      try {
        const video = await finishUpload(app, datastore, p, upload.id);
        return { headers: { 'x-video-id': String(video.id), 'x-video-slug': video.slug } };
      } catch (err) {
        if (err instanceof RejectedUpload) throw tusError(err.status, err.code, err.message);
        throw err;
      }
    },

    async onResponseError(_req, err) {
      // Wrap tus' own plain-text errors in the envelope; ours already are.
      const e = err as { status_code?: number; body?: string; message?: string };
      if (e.body?.startsWith('{"status":"error"')) return undefined;
      const status = e.status_code ?? 500;
      if (status >= 500) app.log.error({ err }, 'upload error');
      return envelopedTusError(status, e.body ?? e.message);
    },
  });
}
