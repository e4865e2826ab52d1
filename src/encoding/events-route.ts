// GET /api/v1/videos/{ref}/events — the video's encoding state, live, as
// Server-Sent Events. Same access rule as the video's detail (404 when the
// caller may not see it), checked again before every event (event-hub.ts):
// a viewer who loses access gets `event: closed` (data: {reason}) and the
// stream ends. The current state is sent at once, then every change; a
// comment line every 15 s keeps proxies from closing the stream. A client
// (a signed-in user, or an anonymous IP) holds at most
// EVENT_STREAMS_PER_CLIENT streams per API node (429 too_many_streams).
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { AppError } from '../core/errors.ts';
import { OPTIONAL_AUTH } from '../core/openapi.ts';
import { privateLinkHash } from '../videos/access.ts';
import { visibleVideo } from '../videos/routes.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import { stateOf, TooManyStreams, type Watcher } from './event-hub.ts';
import type { EncodingState } from './state.ts';

export async function encodingEventsRoute(app: FastifyInstance) {
  const hub = app.eventHub;
  // Open streams end when the server closes (graceful shutdown must not wait on them).
  app.addHook('onClose', async () => hub.closeAll());

  app.get('/api/v1/videos/:ref/events', {
    schema: {
      operationId: 'streamVideoEvents', errors: ['not_found', 'too_many_streams'], tags: ['encoding'],
      summary: 'Live encoding state of a video (Server-Sent Events: `event: encoding`, data = {status, progress, error}; '
        + '`event: closed`, data = {reason}, when access is lost)',
      description: `Access is checked again before each event and at least every few seconds: a video made draft or deleted, a sign-out, `
        + `a disabled account or a revoked private link end the stream with \`event: closed\`. At most EVENT_STREAMS_PER_CLIENT `
        + `(default 20) open streams per user (or per IP when anonymous) and API node: 429 too_many_streams beyond.`,
      security: OPTIONAL_AUTH,
      params: VideoRefParams,
      querystring: VideoAccessQuery,
      response: { 200: Type.String({ description: 'Server-Sent Events' }) },
      mediaTypes: { 200: { 'text/event-stream': { description: '`event: encoding` with `data: {"status","progress","error"}` at once and on every change; `event: closed` with `data: {"reason"}` when access is lost' } } },
      responseHeaders: { 200: ['Cache-Control'] },
    },
  }, async (request, reply) => {
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const principal = request.principal;
    const res = reply.raw;
    let last = '';
    const watcher: Watcher = {
      videoId: row.id,
      sessionId: principal?.session_id ?? null,
      linkHash: privateLinkHash(request),
      client: principal ? `user:${principal.id}` : `ip:${request.ip}`,
      lastWrite: Date.now(),
      send(state: EncodingState) {
        const data = JSON.stringify(state);
        if (data === last || res.writableEnded) return;
        last = data;
        watcher.lastWrite = Date.now();
        res.write(`event: encoding\ndata: ${data}\n\n`);
      },
      keepalive() {
        if (res.writableEnded) return;
        watcher.lastWrite = Date.now();
        res.write(': keepalive\n\n');
      },
      end(reason) {
        hub.remove(watcher);
        if (res.writableEnded) return;
        res.end(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
      },
    };
    try {
      hub.add(watcher);
    } catch (err) {
      if (err instanceof TooManyStreams) {
        throw new AppError(429, 'too_many_streams', `At most ${app.config.EVENT_STREAMS_PER_CLIENT} open event streams per client: close one first`);
      }
      throw err;
    }
    request.raw.once('close', () => hub.remove(watcher));
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) res.setHeader(k, v as string);
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    watcher.send(stateOf(row));
  });
}
