// Resume positions: where each signed-in user stopped in each video (Pod's
// UserMarkerTime), and the "continue watching" listing. A position near the
// end (the last 5 %, or the last 10 s) means finished: it is cleared.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { model } from '../core/openapi-models.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { mediaUrlFactory } from '../delivery/media-urls.ts';
import { listableVideos } from '../policy/video-policy.ts';
import { visibleFacts } from '../videos/facts.ts';
import { selectVideos, videoJson } from '../videos/queries.ts';
import { Video, VideoRefParams } from '../videos/schemas.ts';

const Position = model('ResumePosition', Type.Object({
  position: Type.Number({ minimum: 0, description: 'Seconds from the start; 0 when none is kept (never watched, or finished)' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
}));
const PositionPut = model('ResumePositionPut', Type.Object({
  position: Type.Number({ minimum: 0, maximum: 1_000_000, description: 'Seconds from the start' }),
}, { additionalProperties: false }));
const ContinueItem = model('ContinueWatching', Type.Object({
  position: Type.Number({ minimum: 0 }),
  updated_at: Type.String({ format: 'date-time' }),
  video: Video,
}));

/** Finished: within the last 5 % of the video, or its last 10 seconds. */
export const isFinished = (position: number, duration: number) => duration > 0 && position >= Math.min(duration * 0.95, duration - 10);

export async function positionRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  async function seenVideo(request: FastifyRequest) {
    const viewer = requireUser(request);
    const video = await visibleFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    return { viewer, video };
  }

  app.get('/api/v1/videos/:ref/position', {
    schema: {
      operationId: 'getResumePosition', errors: ['not_found'], tags: ['views'], security: AUTHENTICATED,
      summary: 'Where I stopped in this video (0 when nothing is kept)', params: VideoRefParams, response: { 200: Envelope(Position) },
    },
  }, async (request) => {
    const { viewer, video } = await seenVideo(request);
    const row = await db().selectFrom('video_positions').select(['position_s', 'updated_at']).where('user_id', '=', viewer.id).where('video_id', '=', video.id).executeTakeFirst();
    return ok(row ? { position: row.position_s, updated_at: new Date(row.updated_at).toISOString() } : { position: 0, updated_at: null });
  });

  app.put('/api/v1/videos/:ref/position', {
    schema: {
      operationId: 'setResumePosition', errors: ['not_found'], tags: ['views'], security: AUTHENTICATED,
      summary: 'Keep where I stopped (players send it every few seconds); near the end it is cleared (finished)',
      params: VideoRefParams, body: PositionPut, response: { 200: Envelope(Position) },
    },
  }, async (request) => {
    const { viewer, video } = await seenVideo(request);
    const { position } = request.body as Static<typeof PositionPut>;
    if (isFinished(position, video.duration) || position === 0) {
      await db().deleteFrom('video_positions').where('user_id', '=', viewer.id).where('video_id', '=', video.id).execute();
      return ok({ position: 0, updated_at: null });
    }
    const row = await db().insertInto('video_positions').values({ user_id: viewer.id, video_id: video.id, position_s: position })
      .onConflict((oc) => oc.columns(['user_id', 'video_id']).doUpdateSet({ position_s: position, updated_at: sql`date_trunc('milliseconds', now())` }))
      .returning(['position_s', 'updated_at']).executeTakeFirstOrThrow();
    return ok({ position: row.position_s, updated_at: new Date(row.updated_at).toISOString() });
  });

  app.delete('/api/v1/videos/:ref/position', {
    schema: {
      operationId: 'clearResumePosition', errors: ['not_found'], tags: ['views'], security: AUTHENTICATED,
      summary: 'Forget where I stopped (the video leaves "continue watching")', params: VideoRefParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const { viewer, video } = await seenVideo(request);
    await db().deleteFrom('video_positions').where('user_id', '=', viewer.id).where('video_id', '=', video.id).execute();
    return ok(null);
  });

  app.get('/api/v1/users/me/continue-watching', {
    schema: {
      operationId: 'listContinueWatching', errors: ['invalid_cursor'], tags: ['views'], security: AUTHENTICATED,
      summary: 'Videos I started and did not finish, the latest first (those I may still see)',
      querystring: Type.Object(PageQuery), response: { 200: Envelope(Type.Array(ContinueItem), PageMeta) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const q = request.query as { limit?: number; cursor?: string };
    const limit = q.limit ?? 20;
    let query = selectVideos(db(), viewer).innerJoin('video_positions as vp', 'vp.video_id', 'v.id')
      .select(['vp.position_s', 'vp.updated_at as position_at']).where('vp.user_id', '=', viewer.id).where(listableVideos(viewer));
    const after = decodeCursor(q.cursor, ['timestamp', 'id']);
    if (after) query = query.where(sql`(vp.updated_at, v.id)`, '<', sql`(${new Date(after[0] as string)}, ${after[1]}::bigint)`);
    const rows = await query.orderBy('vp.updated_at', 'desc').orderBy('v.id', 'desc').limit(limit + 1).execute();
    const page = pageOf(rows, limit, (r) => [new Date(r.position_at).toISOString(), Number(r.id)]);
    const media = mediaUrlFactory(app);
    return ok(page.items.map((r) => ({ position: r.position_s, updated_at: new Date(r.position_at).toISOString(), video: videoJson(r, viewer, media) })), page.meta);
  });
}
