// Signed media URLs. A token grants read access to every file of ONE video
// (its encodings/<id>/ and tracks/<id>/ prefixes) until it expires:
//   /media/t/<video_id>.<expires>.<signature>/encodings/42/hls/master.m3u8
// The token sits in the path, before the storage key, so the relative URIs of
// an HLS playlist (360p.m3u8, 360p_0001.ts) resolve under the same token:
// players and CDNs need no manifest rewriting and no cookies. Stateless (an
// HMAC, no database read per segment); expiry is rounded up to a 5-minute
// step so every viewer of a video in that window shares cacheable URLs.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.ts';

const EXPIRY_STEP_S = 300;
// One spelling per grant: no leading zeros (`042` would verify as 42 and make another URL, another cache entry).
const TOKEN_SHAPE = /^([1-9]\d{0,14})\.([1-9]\d{0,11})\.([\w-]{22})$/;
/** Storage prefixes a video's media token (or its public URLs) may open. */
const MEDIA_KEY = /^(?:encodings|tracks)\/(\d{1,15})\//;

export interface MediaToken {
  token: string;
  expires_at: Date;
}

const sign = (key: Buffer, label: string, id: number, expires: number) =>
  createHmac('sha256', key).update(`${label}:${id}:${expires}`).digest().subarray(0, 16).toString('base64url');

/** A stateless grant of one thing (`label`: media of a video, a document…) until it expires: `<id>.<expires>.<signature>`. */
export function signGrant(key: Buffer, label: string, id: number, ttlSeconds: number, now = Date.now()): MediaToken {
  const expires = Math.ceil((now / 1000 + ttlSeconds) / EXPIRY_STEP_S) * EXPIRY_STEP_S;
  return { token: `${id}.${expires}.${sign(key, label, id, expires)}`, expires_at: new Date(expires * 1000) };
}

export function signMediaToken(key: Buffer, videoId: number, ttlSeconds: number, now = Date.now()): MediaToken {
  return signGrant(key, 'media', videoId, ttlSeconds, now);
}

const denied = (code: string, message: string) => new AppError(403, code, message);

/** The video a storage key belongs to, when the key is a servable media key. */
export function mediaKeyVideo(key: string): number | undefined {
  const m = MEDIA_KEY.exec(key);
  return m ? Number(m[1]) : undefined;
}

/** The id a grant token names, if well-formed, signed and not expired; else a 403 AppError. */
export function checkGrant(key: Buffer, label: string, token: string, now = Date.now()): number {
  const m = TOKEN_SHAPE.exec(token);
  if (!m) throw denied('invalid_media_token', 'The media token is malformed');
  const [id, expires, signature] = [Number(m[1]), Number(m[2]), m[3]!];
  const expected = Buffer.from(sign(key, label, id, expires));
  if (!timingSafeEqual(expected, Buffer.from(signature))) throw denied('invalid_media_token', 'The media token signature is wrong');
  if (expires * 1000 <= now) throw denied('media_token_expired', 'The media URL has expired: fetch the player configuration again');
  return id;
}

/** Checks a token against the storage key it is used for; returns its video id, or throws a 403 AppError. */
export function verifyMediaToken(key: Buffer, token: string, storageKey: string, now = Date.now()): number {
  const videoId = checkGrant(key, 'media', token, now);
  const owner = mediaKeyVideo(storageKey);
  if (owner === undefined) throw denied('media_path_forbidden', 'This path is not a media file');
  if (owner !== videoId) throw denied('media_token_wrong_video', 'The media token belongs to another video');
  return videoId;
}
