// Sends one media file, in the configured mode:
//  - app: streamed by this process from local disk or S3 (byte ranges,
//    ETag/If-None-Match, exact MIME types);
//  - x-accel: an empty answer with X-Accel-Redirect, nginx streams the file
//    from its internal location (README: nginx configuration);
//  - redirect: S3 only, a 302 to a presigned URL — except playlists, whose
//    relative URIs must keep resolving under our signed path.
// Only an allowlist of media extensions is ever served.
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import parseRange from 'range-parser';
import { AppError, notFound } from '../core/errors.ts';
import { assertKey, StorageKeyError } from '../core/storage/storage.ts';

export const MEDIA_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.mp3': 'audio/mpeg',
  '.vtt': 'text/vtt; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.json': 'application/json',
};

/**
 * Files that reference others by relative URL (playlists, the MPD, the
 * storyboard's WebVTT): served under the signed prefix even in redirect
 * mode, so what they reference resolves under it too.
 */
const REFERENCING = new Set(['.m3u8', '.mpd', '.vtt']);

export interface ServeOptions {
  /** Cache-Control of a successful answer. */
  cacheControl: string;
  /** Lifetime left to the URL (redirect mode caps the presigned URL with it). */
  ttlSeconds: number;
}

export function checkedMediaKey(raw: string): string {
  try {
    return assertKey(raw);
  } catch (err) {
    if (err instanceof StorageKeyError) throw new AppError(403, 'media_path_forbidden', 'This path is not a media file');
    throw err;
  }
}

export async function serveMedia(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, key: string, opts: ServeOptions) {
  const ext = path.extname(key).toLowerCase();
  const type = MEDIA_TYPES[ext];
  if (!type) throw new AppError(403, 'media_path_forbidden', 'This file type is not served');
  // Media are fetched by players on any origin; the URL itself is the credential (no cookies).
  reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin').header('cache-control', opts.cacheControl);
  const mode = app.config.MEDIA_SERVE_MODE;

  if (mode === 'x-accel') {
    // nginx serves the file (ranges, sendfile); it keeps these headers.
    return reply.header('content-type', type).header('x-accel-redirect', `${app.config.MEDIA_ACCEL_PREFIX}${key}`).code(200).send('');
  }
  if (mode === 'redirect' && app.storage.signedUrl && !REFERENCING.has(ext)) {
    const url = await app.storage.signedUrl(key, Math.max(60, Math.min(opts.ttlSeconds, 3600)));
    return reply.code(302).header('location', url).send('');
  }

  const stat = await app.storage.stat(key);
  if (!stat) throw notFound('No such media file');
  const etag = `"${stat.size.toString(36)}-${stat.modified.getTime().toString(36)}"`;
  reply.header('content-type', type).header('accept-ranges', 'bytes').header('etag', etag).header('last-modified', stat.modified.toUTCString());
  if (request.headers['if-none-match'] === etag) return reply.code(304).send('');

  const header = request.headers.range;
  if (header) {
    const ranges = parseRange(stat.size, header, { combine: true });
    if (ranges === -1) {
      throw new AppError(416, 'range_not_satisfiable', 'Range not satisfiable', { headers: { 'content-range': `bytes */${stat.size}` } });
    }
    // A malformed Range (-2) is ignored, as HTTP allows; several ranges: the first only.
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length >= 1) {
      const { start, end } = ranges[0]!;
      reply.code(206).header('content-range', `bytes ${start}-${end}/${stat.size}`).header('content-length', String(end - start + 1));
      return reply.send(await app.storage.get(key, { start, end }));
    }
  }
  reply.header('content-length', String(stat.size));
  return reply.send(await app.storage.get(key));
}
