// GET /api/v1/videos/{ref}/events — the video's encoding state, live, as
// Server-Sent Events. Same access rule as the video's detail (404 when the
// caller may not see it). The current state is sent at once, then every
// change; a comment line every 15 s keeps proxies from closing the stream.
// Changes applied in this process arrive at once (EncodingBus); the row is
// also re-read every few seconds, so a stream held by one API node sees a
// callback that landed on another node without a shared message bus.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { OPTIONAL_AUTH } from '../core/openapi.ts';
import { visibleVideo } from '../videos/routes.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import type { EncodingState, EncodingStatus } from './state.ts';

const KEEPALIVE_MS = 15_000;
const RECHECK_MS = 3_000;

const stateOf = (row: { encoding_status: string; encoding_progress: number | null; encoding_error_code: string | null; encoding_error_message: string | null }): EncodingState => ({
  status: row.encoding_status as EncodingStatus,
  progress: row.encoding_progress,
  error: row.encoding_error_code ? { code: row.encoding_error_code, message: row.encoding_error_message ?? '' } : null,
});

export async function encodingEventsRoute(app: FastifyInstance) {
  // Open streams, ended when the server closes (graceful shutdown must not wait on them).
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of open) end();
  });

  app.get('/api/v1/videos/:ref/events', {
    schema: {
      tags: ['encoding'],
      summary: 'Live encoding state of a video (Server-Sent Events: `event: encoding`, data = {status, progress, error})',
      security: OPTIONAL_AUTH,
      params: VideoRefParams,
      querystring: VideoAccessQuery,
      response: { 200: Type.String({ description: 'text/event-stream' }) },
    },
  }, async (request, reply) => {
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const res = reply.raw;
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) res.setHeader(k, v as string);
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    let last = '';
    const send = (state: EncodingState) => {
      const data = JSON.stringify(state);
      if (data === last) return;
      last = data;
      res.write(`event: encoding\ndata: ${data}\n\n`);
    };
    send(stateOf(row));
    const unsubscribe = app.encodingBus.subscribe(row.id, send);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    const recheck = setInterval(() => {
      app.dbh.db.selectFrom('videos').select(['encoding_status', 'encoding_progress', 'encoding_error_code', 'encoding_error_message'])
        .where('id', '=', row.id).executeTakeFirst()
        .then((fresh) => fresh && !res.writableEnded && send(stateOf(fresh)), () => {}); // a database outage: the next tick tries again
    }, RECHECK_MS);
    const close = () => {
      clearInterval(keepalive);
      clearInterval(recheck);
      unsubscribe();
      open.delete(end);
    };
    const end = () => {
      close();
      res.end();
    };
    open.add(end);
    request.raw.once('close', close);
  });
}
