// POST /api/v1/videos/{ref}/encode — encode the current source again (after
// an `error`, or to refresh a `ready` video's outputs with a newer encoder).
// Editors only; not while a job is queued or running. The video stays
// playable with its previous outputs until the new ones replace them.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { QUEUES } from '../core/jobs.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { conflict } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { editableVideo } from '../videos/routes.ts';
import { VideoRefParams } from '../videos/schemas.ts';

const Queued = Type.Object({
  status: Type.Literal('queued'), progress: Type.Null(), error: Type.Null(),
});

export async function reencodeRoute(app: FastifyInstance) {
  app.post('/api/v1/videos/:ref/encode', {
    schema: {
      operationId: 'reencodeVideo', errors: ['not_found', 'forbidden', 'no_source', 'encoding_in_progress'], tags: ['encoding'], summary: 'Encode the video again from its source (editors; from ready or error) → 202 queued',
      security: AUTHENTICATED, params: VideoRefParams, response: { 202: Envelope(Queued) },
    },
  }, async (request, reply) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    await app.dbh.db.transaction().execute(async (tx) => {
      const video = await tx.selectFrom('videos').select(['source_key', 'encoding_status']).where('id', '=', row.id).forUpdate().executeTakeFirstOrThrow();
      if (!video.source_key) throw conflict('This video has no source yet: upload one', undefined, 'no_source');
      if (video.encoding_status === 'queued' || video.encoding_status === 'processing') {
        throw conflict('An encoding of this video is already queued or running', undefined, 'encoding_in_progress');
      }
      const jobId = await app.jobs.enqueueEncoding(tx, { video_id: row.id, source_key: video.source_key, upload_id: null });
      await tx.updateTable('videos').set({
        encoding_status: 'queued', encoding_progress: null, encoding_error_code: null, encoding_error_message: null, encoding_log: null,
        encoding_job_id: jobId, encoding_updated_at: new Date(),
      }).where('id', '=', row.id).execute();
    });
    app.jobs.notify(QUEUES.videoEncode);
    const state = { status: 'queued' as const, progress: null, error: null };
    app.encodingBus.publish(row.id, state);
    reply.code(202);
    return ok(state);
  });
}
