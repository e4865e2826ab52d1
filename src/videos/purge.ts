// Deleting a video: soft delete at once (hidden from every read path, media
// refused, encoder file URLs dead), then — after VIDEO_PURGE_DELAY_S, through
// a durable job on the queue, so a restart or a storage outage loses nothing —
// its files are deleted: the source, `encodings/<id>/`, `tracks/<id>/` and
// `documents/<id>/`, on local disk or S3, and its enrichments (comments,
// notes, documents, contributors, overlays, links). The row stays (purged_at
// set): slugs are never reused.
import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from '../core/db/database.ts';
import { QUEUES, type VideoPurgeJob } from '../core/jobs.ts';

/** The storage folders that hold a video's derived files. */
export const videoPrefixes = (id: number) => [`encodings/${id}/`, `tracks/${id}/`, `documents/${id}/`];

/** What enriches a video, deleted with it (the video row itself stays). */
const ENRICHMENTS = ['video_comments', 'video_notes', 'video_documents', 'video_contributors', 'video_overlays', 'video_links'] as const;

/** Marks a video deleted and schedules the purge of its files, in the caller's transaction. */
export async function deleteVideo(app: FastifyInstance, tx: Transaction<Database>, videoId: number) {
  await tx.updateTable('videos').set({ deleted_at: new Date() }).where('id', '=', videoId).where('deleted_at', 'is', null).execute();
  await app.jobs.enqueuePurge(tx, { video_id: videoId }, app.config.VIDEO_PURGE_DELAY_S);
}

/** Deletes the files of a deleted video; idempotent (a retried job finds less or nothing). Returns the objects deleted. */
export async function purgeVideo(app: FastifyInstance, videoId: number): Promise<number> {
  const video = await app.dbh.db.selectFrom('videos').select(['id', 'deleted_at', 'source_key']).where('id', '=', videoId).executeTakeFirst();
  // Restored by an administrator during the grace period, or never existed: nothing to purge.
  if (!video?.deleted_at) return 0;
  let deleted = 0;
  for (const prefix of videoPrefixes(videoId)) deleted += await app.storage.deletePrefix(prefix);
  if (video.source_key && (await app.storage.stat(video.source_key))) {
    await app.storage.delete(video.source_key);
    deleted++;
  }
  await app.dbh.db.transaction().execute(async (tx) => {
    for (const table of ENRICHMENTS) await tx.deleteFrom(table).where('video_id', '=', videoId).execute();
    await tx.updateTable('videos').set({ purged_at: new Date(), source_key: null, encoding_outputs: null, thumbnail_url: null })
      .where('id', '=', videoId).execute();
  });
  return deleted;
}

/** Runs due purge jobs on this node (every node may: a job goes to one worker). */
export async function purgeWorker(app: FastifyInstance) {
  // Stopped with the queue itself (app close → jobs.stop()).
  void app.jobs.ready.then(async () => {
    await app.jobs.boss.work<VideoPurgeJob>(QUEUES.videoPurge, { pollingIntervalSeconds: 5 }, async (jobs) => {
      for (const job of jobs) {
        const n = await purgeVideo(app, job.data.video_id);
        app.log.info({ video_id: job.data.video_id, objects: n }, 'deleted video purged');
      }
    });
  }).catch((err: unknown) => app.log.error({ err }, 'the purge worker could not start'));
}
