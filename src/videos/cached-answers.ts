// Read-path answers served from the read cache (core/read-cache.ts): a
// listing, a video's detail, its player configuration. The key names the
// viewer (a user's answers are theirs alone; anonymous ones are shared) and
// everything the answer depends on; a request carrying a video token (private
// link, unlock) is never cached: its grants are checked each time.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from '../core/read-cache.ts';
import { requestVideoToken } from './access.ts';

export function answerKey(request: FastifyRequest, kind: string, ...parts: string[]): string | undefined {
  if (requestVideoToken(request)) return undefined;
  const viewer = request.principal ? `u${request.principal.id}` : 'anon';
  return [kind, viewer, ...parts].join('\u0000');
}

/** The answer for `key` (computed, serialized and kept on a miss), or computed afresh without a key. */
export function cachedAnswer(app: FastifyInstance, key: string | undefined, compute: () => Promise<CachedAnswer>): Promise<CachedAnswer> {
  return key === undefined ? compute() : app.readCache.get(key, compute);
}

/** Sends a JSON answer through the cache: the route's own serializer makes the body once. */
export async function sendCachedJson(app: FastifyInstance, reply: FastifyReply, key: string | undefined, compute: () => Promise<unknown>) {
  const answer = await cachedAnswer(app, key, async () => ({ body: serialized(reply, await compute()) }));
  return reply.type('application/json; charset=utf-8').send(answer.body);
}

/**
 * The route's serializer output, as UTF-8 bytes: a string body would be
 * encoded again at every send (a third of the CPU of a cached listing).
 */
export const serialized = (reply: FastifyReply, payload: unknown) => Buffer.from(String(reply.serialize(payload)));

/** The part of a key that says which listing: the validated query (defaults applied). */
export const queryKey = (request: FastifyRequest) => JSON.stringify(request.query ?? {});
