// POST /videos/{ref}/views: one view, anonymous or signed in (see
// recorder.ts for batching, de-duplication and what is stored).
import type { FastifyInstance } from 'fastify';
import { isbot } from 'isbot';
import Type, { type Static } from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { model } from '../core/openapi-models.ts';
import { OPTIONAL_AUTH } from '../core/openapi.ts';
import { watchableFacts } from '../videos/facts.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import type { ViewRecorder } from './recorder.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** View counting (made by the app: its stop is ordered before the database closes). */
    views: ViewRecorder;
  }
}

const ViewReceipt = model('ViewReceipt', Type.Object({
  accepted: Type.Boolean({ description: 'The view will be counted (unless another API node counted this viewer within the window)' }),
  reason: Type.Union([Type.Literal('bot'), Type.Literal('duplicate'), Type.Null()], {
    description: 'Why it is not counted: a known robot (by its user agent), or already counted for this viewer within VIEW_DEDUP_WINDOW_S',
  }),
}));

/** The three answers, serialized once (this is the hottest route: no per-request JSON). */
const RECEIPTS = {
  accepted: Buffer.from(JSON.stringify(ok({ accepted: true, reason: null }))),
  duplicate: Buffer.from(JSON.stringify(ok({ accepted: false, reason: 'duplicate' }))),
  bot: Buffer.from(JSON.stringify(ok({ accepted: false, reason: 'bot' }))),
};

export async function viewRoutes(app: FastifyInstance) {
  const recorder = app.views;
  recorder.start();
  // A plugin's onClose hooks run before the root's: the accepted views are written before the database closes.
  app.addHook('onClose', async () => recorder.stop().catch(() => {}));

  app.post('/api/v1/videos/:ref/views', {
    schema: {
      operationId: 'registerView', errors: ['not_found', 'password_required'], tags: ['views'],
      summary: 'Register a view (anonymous or signed in): one per viewer per video per window, robots ignored; counted within VIEW_FLUSH_INTERVAL_MS',
      security: OPTIONAL_AUTH, params: VideoRefParams, querystring: VideoAccessQuery, optionalBody: true,
      response: { 202: Envelope(ViewReceipt) },
    },
  }, async (request, reply) => {
    const { ref } = request.params as Static<typeof VideoRefParams>;
    const video = await watchableFacts(app, request, ref);
    const viewer = request.principal;
    const agent = request.headers['user-agent'] ?? '';
    const receipt = isbot(agent) ? 'bot' : recorder.register(video.id, viewer ? `u${viewer.id}` : `a${request.ip}\u0000${agent}`);
    return reply.code(202).type('application/json; charset=utf-8').send(RECEIPTS[receipt]);
  });
}
