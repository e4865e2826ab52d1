// Builds the URLs a player gets for a video's files: public long-cached URLs
// when anonymous viewers may watch it, signed short-lived ones otherwise.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canWatch, type VideoFacts } from '../policy/video-policy.ts';
import { signMediaToken } from './media-tokens.ts';

export interface MediaUrls {
  url(key: string): string;
  public: boolean;
  /** When the signed URLs stop working (null: public URLs). */
  expires_at: Date | null;
}

/** Builds the media URLs of any video for one request (lists, details). */
export type MediaUrlFactory = (video: { id: number; facts: VideoFacts; version: Date | null }) => MediaUrls;
export const mediaUrlFactory = (app: FastifyInstance, request: FastifyRequest): MediaUrlFactory => (video) => mediaUrls(app, request, video);

export function mediaBase(app: FastifyInstance, request: FastifyRequest): string {
  return (app.config.MEDIA_BASE_URL ?? `${request.protocol}://${request.host}`).replace(/\/$/, '');
}

export function mediaUrls(app: FastifyInstance, request: FastifyRequest, video: { id: number; facts: VideoFacts; version: Date | null }): MediaUrls {
  const base = mediaBase(app, request);
  const encodedPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');
  if (canWatch(null, video.facts)) {
    const version = (video.version?.getTime() ?? 0).toString(36);
    return { public: true, expires_at: null, url: (key) => `${base}/media/p/${version}/${encodedPath(key)}` };
  }
  const { token, expires_at } = signMediaToken(app.keys.derive('media-url'), video.id, app.config.MEDIA_URL_TTL_S);
  return { public: false, expires_at, url: (key) => `${base}/media/t/${token}/${encodedPath(key)}` };
}
