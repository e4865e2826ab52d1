// The end of an upload: check the bytes, probe the media, move the file to
// its final key, then — in one transaction — link it to its video (new or
// existing), queue the encoding job and close the upload. A rejected file is
// deleted at once.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { DataStore } from '@tus/server';
import type { FileStore } from '@tus/file-store';
import type { Principal } from '../auth/principal.ts';
import { canUpload } from '../policy/video-policy.ts';
import { factsOf, refreshSearchDocument, selectVideos } from '../videos/queries.ts';
import { initialDateDelete, videoSlug } from '../videos/write.ts';
import { checkBytes, extensionOf, probe, SNIFF_BYTES, type ProbeSummary } from './media-check.ts';
import { rememberCompleted, stagingKey } from './staging.ts';
import { QUEUES } from '../core/jobs.ts';

export class RejectedUpload extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function readHead(app: FastifyInstance, key: string): Promise<Buffer> {
  const stream = await app.storage.get(key, { start: 0, end: SNIFF_BYTES - 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Deletes the staged bytes and bookkeeping of an upload. */
export async function discardStaging(app: FastifyInstance, datastore: DataStore, id: string) {
  await datastore.remove(id).catch(() => {});
  await app.storage.delete(stagingKey(app, id)).catch(() => {});
  await dropStagingMetadata(app, datastore, id);
}

async function dropStagingMetadata(app: FastifyInstance, datastore: DataStore, id: string) {
  if (app.config.STORAGE_BACKEND === 's3') await app.storage.delete(`${id}.info`).catch(() => {});
  else await (datastore as FileStore).configstore.delete(id).catch(() => {});
}

/** Where the bytes of a completed upload live. */
export const sourceKeyOf = (uploadId: string, filename: string) => `sources/${uploadId}.${extensionOf(filename)}`;

/**
 * A completion killed between moving the bytes to their final key and its
 * transaction leaves them there, linked to nothing, and the staging copy gone
 * (tus then answers 404 and the client would start over). They go back to
 * staging, so that the upload can be completed again. The caller makes sure
 * this process is not completing the upload at that moment.
 */
export async function restoreUnlinkedSource(app: FastifyInstance, uploadId: string, filename: string) {
  const staged = stagingKey(app, uploadId);
  const finalKey = sourceKeyOf(uploadId, filename);
  if (await app.storage.stat(staged)) return;
  if (!(await app.storage.stat(finalKey))) return;
  await app.storage.move(finalKey, staged);
}

export async function completeUpload(app: FastifyInstance, datastore: DataStore, p: Principal, uploadId: string, allowed: string[]) {
  const db = app.dbh.db;
  const upload = await db.selectFrom('uploads').selectAll().where('id', '=', uploadId).executeTakeFirstOrThrow();
  const staged = stagingKey(app, uploadId);
  const reject = async (status: number, code: string, message: string): Promise<never> => {
    await discardStaging(app, datastore, uploadId);
    await db.deleteFrom('uploads').where('id', '=', uploadId).execute();
    throw new RejectedUpload(status, code, message);
  };

  const verdict = await checkBytes(upload.filename, await readHead(app, staged), allowed);
  if (!verdict.ok) return reject(415, verdict.code, verdict.message);

  let summary: ProbeSummary | undefined;
  try {
    const input = app.storage.localPath ? app.storage.localPath(staged) : await app.storage.signedUrl!(staged, 600);
    summary = await probe(input);
  } catch {
    return reject(415, 'unreadable_media', 'The file looks like media but cannot be read (damaged or truncated?)');
  }
  if (summary && !summary.streams.some((s) => s.type === 'video' || s.type === 'audio')) {
    return reject(415, 'no_media_stream', 'The file has no audio or video stream');
  }

  const finalKey = sourceKeyOf(uploadId, upload.filename);
  await app.storage.move(staged, finalKey);

  let previousSource: string | null = null;
  let previousJob: string | null = null;
  const video = await db.transaction().execute(async (tx) => {
    const source = {
      source_key: finalKey, source_filename: upload.filename, source_size: upload.size, source_mime: verdict.mime,
      source_probe: summary ? JSON.stringify(summary) : null,
      ...(summary?.duration ? { duration: Math.round(summary.duration) } : {}),
      encoding_status: 'queued' as const, encoding_progress: null, encoding_error_code: null, encoding_error_message: null, encoding_log: null,
    };
    let videoId: number;
    if (upload.video_id !== null) {
      const row = await selectVideos(tx).where('v.id', '=', upload.video_id).where('v.deleted_at', 'is', null).forUpdate('v').executeTakeFirst();
      // Rights are checked again: they may have changed while the bytes travelled.
      if (!row || !canUpload(p, factsOf(row), { staffOnly: app.config.UPLOAD_STAFF_ONLY })) {
        throw new RejectedUpload(404, 'not_found', 'The target video is gone or no longer yours');
      }
      const old = await tx.selectFrom('videos').select(['source_key', 'encoding_job_id']).where('id', '=', row.id).executeTakeFirstOrThrow();
      previousSource = old.source_key;
      previousJob = old.encoding_job_id;
      await tx.updateTable('videos').set(source).where('id', '=', row.id).execute();
      videoId = row.id;
    } else {
      const title = upload.title || upload.filename.replace(/\.[^.]+$/, '').slice(0, 250) || 'Untitled';
      const date_delete = await initialDateDelete(tx, app, p.id, app.clock());
      const row = await tx.insertInto('videos').values({ title, owner_id: p.id, slug: `tmp-${randomUUID()}`, date_delete, ...source })
        .returning('id').executeTakeFirstOrThrow();
      videoId = row.id;
      await tx.updateTable('videos').set({ slug: videoSlug(videoId, title) }).where('id', '=', videoId).execute();
      await refreshSearchDocument(tx, videoId);
    }
    const jobId = await app.jobs.enqueueEncoding(tx, { video_id: videoId, source_key: finalKey, upload_id: uploadId });
    await tx.updateTable('videos').set({ encoding_job_id: jobId }).where('id', '=', videoId).execute();
    await tx.updateTable('uploads').set({ completed_at: new Date(), result_video_id: videoId }).where('id', '=', uploadId).execute();
    return tx.selectFrom('videos').select(['id', 'slug']).where('id', '=', videoId).executeTakeFirstOrThrow();
  }).catch(async (err) => {
    // The transaction did not happen: no video points at the moved file.
    if (err instanceof RejectedUpload) {
      await app.storage.delete(finalKey).catch(() => {});
      await discardStaging(app, datastore, uploadId);
      await db.deleteFrom('uploads').where('id', '=', uploadId).execute().catch(() => {});
    } else {
      // A failure (database down…): put the bytes back where tus keeps them, so
      // the client's next HEAD completes the upload instead of losing it.
      await app.storage.move(finalKey, staged).catch(() => {});
    }
    throw err;
  });
  // Committed: the staging bookkeeping goes; tus may still read the upload back (→ "complete").
  rememberCompleted(uploadId, upload.size);
  await dropStagingMetadata(app, datastore, uploadId);
  app.jobs.notify(QUEUES.videoEncode); // committed: wake encoders waiting on this node
  if (previousSource && previousSource !== finalKey) await app.storage.delete(previousSource).catch(() => {});
  // A new source supersedes the job still waiting for the old one.
  if (previousJob) await app.jobs.cancel(QUEUES.videoEncode, previousJob);
  return video;
}
