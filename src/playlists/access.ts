// Unlock tokens of password playlists: a short-lived JWT for one playlist,
// bound to the password it was given for (changing the password ends every
// earlier unlock), sent as ?token= or X-Playlist-Token. It opens the
// playlist only: its audience differs from a video's unlock token, so it
// never unlocks a password video in it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { passwordFingerprint } from '../videos/access.ts';

const AUDIENCE = 'pod-api:playlist-unlock';

export function requestPlaylistToken(request: FastifyRequest): string | undefined {
  const fromQuery = (request.query as { token?: unknown } | undefined)?.token;
  if (typeof fromQuery === 'string' && fromQuery) return fromQuery;
  const header = request.headers['x-playlist-token'];
  return typeof header === 'string' && header ? header : undefined;
}

export async function playlistUnlocked(app: FastifyInstance, request: FastifyRequest, playlist: { id: number | string; password_hash: string | null }) {
  const token = requestPlaylistToken(request);
  if (!token || token.length > 2000 || !playlist.password_hash) return false;
  try {
    const { payload } = await jwtVerify(token, app.keys.derive('playlist-unlock'), { algorithms: ['HS256'], audience: AUDIENCE });
    return payload.pl === Number(playlist.id) && payload.pwd === passwordFingerprint(playlist.password_hash);
  } catch {
    return false;
  }
}

export async function signPlaylistUnlock(app: FastifyInstance, playlistId: number, passwordHash: string, ttlSeconds: number) {
  const token = await new SignJWT({ pl: playlistId, pwd: passwordFingerprint(passwordHash) })
    .setProtectedHeader({ alg: 'HS256' }).setAudience(AUDIENCE).setIssuedAt().setExpirationTime(`${ttlSeconds}s`)
    .sign(app.keys.derive('playlist-unlock'));
  return { token, expires_at: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
}
