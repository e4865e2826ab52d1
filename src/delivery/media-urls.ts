// Builds the URLs a player gets for a video's files: public long-cached URLs
// when anonymous viewers may watch it, signed short-lived ones otherwise.
// Their origin comes from configuration only (MEDIA_BASE_URL, else
// PUBLIC_URL), never from the request's Host or X-Forwarded-Host: answers
// holding them are cached (player config, oEmbed), and a forged Host must
// not end up in what other viewers receive.
import type { FastifyInstance } from 'fastify';
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
export const mediaUrlFactory = (app: FastifyInstance): MediaUrlFactory => (video) => mediaUrls(app, video);

export function mediaBase(app: FastifyInstance): string {
  return (app.config.MEDIA_BASE_URL ?? app.config.PUBLIC_URL).replace(/\/$/, '');
}

export function mediaUrls(app: FastifyInstance, video: { id: number; facts: VideoFacts; version: Date | null }): MediaUrls {
  const base = mediaBase(app);
  const encodedPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');
  if (canWatch(null, video.facts)) {
    const version = (video.version?.getTime() ?? 0).toString(36);
    return { public: true, expires_at: null, url: (key) => `${base}/media/p/${version}/${encodedPath(key)}` };
  }
  const { token, expires_at } = signMediaToken(app.keys.derive('media-url'), video.id, app.config.MEDIA_URL_TTL_S);
  return { public: false, expires_at, url: (key) => `${base}/media/t/${token}/${encodedPath(key)}` };
}
