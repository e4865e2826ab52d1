// Per-video access grants carried by a request: a private-link token
// (opaque, revocable, stored hashed) or an unlock token (a short-lived JWT
// obtained by giving the video's password). Both travel as ?token= or the
// X-Video-Token header; the policy module decides what they allow.
// An unlock token is bound to the password it was given for (a fingerprint of
// the stored hash, whose salt changes at every set): changing the password, or
// removing it and setting it again, ends every earlier unlock.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../core/db/database.ts';
import { AppError } from '../core/errors.ts';
import { jwtVerify, SignJWT } from 'jose';
import { sha256 } from '../auth/sessions.ts';
import type { AccessGrants } from '../policy/video-policy.ts';

const UNLOCK_AUDIENCE = 'pod-api:video-unlock';
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** The answer to a caller who may see a password video but has not unlocked it. */
export const passwordRequired = () =>
  new AppError(403, 'password_required', 'This video is protected by a password: POST it to /unlock and send the token');

export function requestVideoToken(request: FastifyRequest): string | undefined {
  const fromQuery = (request.query as { token?: unknown } | undefined)?.token;
  if (typeof fromQuery === 'string' && fromQuery) return fromQuery;
  const header = request.headers['x-video-token'];
  return typeof header === 'string' && header ? header : undefined;
}

export async function resolveGrants(app: FastifyInstance, request: FastifyRequest, videoId: number): Promise<AccessGrants> {
  const token = requestVideoToken(request);
  if (!token || token.length > 2000) return {};
  if (JWT_SHAPE.test(token)) {
    try {
      const { payload } = await jwtVerify(token, app.keys.derive('video-unlock'), { algorithms: ['HS256'], audience: UNLOCK_AUDIENCE });
      if (payload.vid !== videoId || typeof payload.pwd !== 'string') return {};
      const video = await app.dbh.db.selectFrom('videos').select('password_hash').where('id', '=', videoId).executeTakeFirst();
      return { unlocked: Boolean(video?.password_hash) && passwordFingerprint(video!.password_hash!) === payload.pwd };
    } catch {
      return {};
    }
  }
  const link = await app.dbh.db.selectFrom('video_access_tokens').select('id')
    .where('token_hash', '=', sha256(token)).where('video_id', '=', videoId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
    .executeTakeFirst();
  return { privateLink: Boolean(link) };
}

/** Identifies one setting of a video's password (not the password: a digest of its salted hash). */
export const passwordFingerprint = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22);

/** The stored form of the private-link token a request carries, if it carries one (not an unlock JWT). */
export function privateLinkHash(request: FastifyRequest): string | null {
  const token = requestVideoToken(request);
  return token && token.length <= 2000 && !JWT_SHAPE.test(token) ? sha256(token) : null;
}

/** Which of these (video, private-link hash) pairs are still valid links, in one query: `${video_id}:${hash}`. */
export async function livePrivateLinks(db: Kysely<Database>, links: { videoId: number; hash: string }[]): Promise<Set<string>> {
  if (!links.length) return new Set();
  const rows = await db.selectFrom('video_access_tokens').select(['video_id', 'token_hash'])
    .where('token_hash', 'in', links.map((l) => l.hash))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
    .execute();
  return new Set(rows.map((r) => `${r.video_id}:${r.token_hash}`));
}

export async function signUnlockToken(app: FastifyInstance, videoId: number, passwordHash: string, ttlSeconds: number) {
  const token = await new SignJWT({ vid: videoId, pwd: passwordFingerprint(passwordHash) })
    .setProtectedHeader({ alg: 'HS256' })
    .setAudience(UNLOCK_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(app.keys.derive('video-unlock'));
  return { token, expires_at: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
}

export function newPrivateLinkToken() {
  const token = randomBytes(24).toString('base64url');
  return { token, hash: sha256(token), hint: token.slice(-4) };
}
