// GET /api/v1/videos/{ref}/events — the video's encoding state, live, as
// Server-Sent Events. Same access rule as the video's detail (404 when the
// caller may not see it). The current state is sent at once, then every
// change; a comment line every 15 s keeps proxies from closing the stream.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { OPTIONAL_AUTH } from '../core/openapi.ts';
import { visibleVideo } from '../videos/routes.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import type { EncodingState, EncodingStatus } from './state.ts';

const KEEPALIVE_MS = 15_000;

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
    const send = (state: EncodingState) => res.write(`event: encoding\ndata: ${JSON.stringify(state)}\n\n`);
    send({
      status: row.encoding_status as EncodingStatus,
      progress: row.encoding_progress,
      error: row.encoding_error_code ? { code: row.encoding_error_code, message: row.encoding_error_message ?? '' } : null,
    });
    const unsubscribe = app.encodingBus.subscribe(row.id, send);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    const close = () => {
      clearInterval(keepalive);
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
