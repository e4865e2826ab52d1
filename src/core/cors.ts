// CORS: only the origins listed in CORS_ORIGINS get CORS headers (with
// credentials, so the SPA's session cookie works); any other origin gets
// none, and the browser blocks it.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { listSetting, type Config } from './config.ts';

export async function installCors(app: FastifyInstance, config: Config) {
  const origins = new Set(listSetting(config.CORS_ORIGINS));
  await app.register(cors, {
    // Resolving a foreign origin to `false` makes the plugin add no header at
    // all (with a list it would still send Allow-Credentials/Expose-Headers).
    origin: (origin, cb) => cb(null, origin !== undefined && origins.has(origin) ? origin : false),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-csrf-token', 'x-request-id', 'x-video-token', 'if-none-match',
      // tus 1.0 (uploads)
      'tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'upload-checksum', 'upload-defer-length', 'upload-concat'],
    exposedHeaders: ['x-request-id', 'retry-after', 'location', 'etag',
      'tus-resumable', 'tus-version', 'tus-extension', 'tus-max-size', 'tus-checksum-algorithm', 'upload-offset', 'upload-length', 'upload-expires', 'x-video-id', 'x-video-slug'],
    maxAge: 600,
  });
}
