// Media file routes. Private videos: /media/t/<token>/<key> (media-tokens.ts).
// Public videos: /media/p/<version>/<key>, long-cached; <version> changes
// with each encoding so caches never serve an old rendition, and the video
// must still be public now (checked per request, cached 10 s per process).
// Both refuse a deleted video at once: each file is served only after a read
// of its video's row that started after the request arrived (live-videos.ts
// answers many requests per query), so a DELETE on any API node takes effect
// on the next request.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AppError, notFound } from '../core/errors.ts';
import { canWatch } from '../policy/video-policy.ts';
import { factsOf, videoByRef } from '../videos/queries.ts';
import { mediaKeyVideo, verifyMediaToken } from './media-tokens.ts';
import { checkedMediaKey, MEDIA_TYPES, serveMedia } from './serve.ts';
import { PUBLIC } from '../core/openapi.ts';
import { LiveVideos } from './live-videos.ts';

const PUBLIC_CHECK_MS = 10_000;

const MediaResponses = {
  200: Type.String({ description: 'The file (behind nginx in x-accel mode, nginx sends it)' }),
  206: Type.String({ description: 'A byte range of the file' }),
  302: Type.String({ description: 'Redirect mode (S3): Location is a short-lived presigned URL of the file' }),
  304: Type.String({ description: 'Not modified (If-None-Match)' }),
};
/** What a media path can be: manifests, segments, renditions, subtitles, images. */
const MEDIA_FILE_TYPES = Object.fromEntries([...new Set(Object.values(MEDIA_TYPES))].map((type) => [type.split(';')[0]!, { schema: { type: 'string', format: 'binary' } }]));
const MediaDocs = {
  mediaTypes: { 200: MEDIA_FILE_TYPES, 206: MEDIA_FILE_TYPES },
  responseHeaders: {
    200: ['Cache-Control', 'ETag', 'Last-Modified', 'Accept-Ranges'], 206: ['Cache-Control', 'ETag', 'Last-Modified', 'Accept-Ranges', 'Content-Range'],
    302: ['Location', 'Cache-Control'], 304: ['Cache-Control', 'ETag'],
  },
} as const;

export async function mediaRoutes(app: FastifyInstance) {
  const mediaKey = app.keys.derive('media-url');
  const publicCache = new Map<number, { public: boolean; until: number }>();

  /** Anonymous viewers may watch it now (cached briefly: many segments per second). */
  async function isPublic(videoId: number): Promise<boolean> {
    const hit = publicCache.get(videoId);
    if (hit && hit.until > Date.now()) return hit.public;
    const row = await videoByRef(app.dbh.db, String(videoId));
    const pub = Boolean(row && canWatch(null, factsOf(row)));
    if (publicCache.size > 10_000) publicCache.clear();
    publicCache.set(videoId, { public: pub, until: Date.now() + PUBLIC_CHECK_MS });
    return pub;
  }

  const liveVideos = new LiveVideos(() => app.dbh.db);
  /** The video exists and is not deleted (never cached: a deletion must take effect at once, on every node). */
  async function assertLive(videoId: number) {
    if (!(await liveVideos.isLive(videoId))) throw notFound('No such video');
  }

  app.get('/media/t/:token/*', {
    schema: {
      operationId: 'getPrivateMedia', errors: ['invalid_media_token', 'media_token_expired', 'media_token_wrong_video', 'media_path_forbidden', 'not_found', 'range_not_satisfiable'], tags: ['media'], summary: 'A media file of a private video, through a signed URL from the player configuration (403 when expired or tampered)',
      params: Type.Object({ token: Type.String({ maxLength: 100 }), '*': Type.String({ maxLength: 1024 }) }),
      response: MediaResponses, security: PUBLIC, ...MediaDocs,
    },
  }, async (request, reply) => {
    const params = request.params as { token: string; '*': string };
    const key = checkedMediaKey(params['*']);
    const videoId = verifyMediaToken(mediaKey, params.token, key);
    await assertLive(videoId);
    const ttl = Number(params.token.split('.')[1]) - Math.floor(Date.now() / 1000);
    return serveMedia(app, request, reply, key, { cacheControl: `private, max-age=${Math.max(0, Math.min(ttl, 3600))}`, ttlSeconds: ttl });
  });

  app.get('/media/p/:version/*', {
    schema: {
      operationId: 'getPublicMedia', errors: ['media_path_forbidden', 'media_not_public', 'not_found', 'range_not_satisfiable'], tags: ['media'], summary: 'A media file of a public video (long-cached; 403 once the video is no longer public)',
      params: Type.Object({ version: Type.String({ pattern: '^[0-9a-z]{1,16}$' }), '*': Type.String({ maxLength: 1024 }) }),
      response: MediaResponses, security: PUBLIC, ...MediaDocs,
    },
  }, async (request, reply) => {
    const key = checkedMediaKey((request.params as { '*': string })['*']);
    const videoId = mediaKeyVideo(key);
    if (videoId === undefined) throw new AppError(403, 'media_path_forbidden', 'This path is not a media file');
    await assertLive(videoId);
    if (!(await isPublic(videoId))) throw new AppError(403, 'media_not_public', 'This video is not public: use the signed URLs of its player configuration');
    const maxAge = app.config.MEDIA_PUBLIC_MAX_AGE_S;
    return serveMedia(app, request, reply, key, { cacheControl: `public, max-age=${maxAge}`, ttlSeconds: maxAge });
  });
}
