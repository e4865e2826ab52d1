// GET /api/v1/legacy/resolve?url=<a Pod V4 URL> — where an old link lives
// now. V4 URLs: /video/<slug>/ (and /video/<slug>/<private link>/), the
// channel routes /<channel>/, /<channel>/<theme>/, /<channel>[/<theme>]/video/
// <slug>/, /playlist/<slug>/, and media files /media/videos/<owner hashkey>/
// <%04d id>/<file>. A video answers only to who may see it (404 otherwise,
// as its detail); a private link in the old URL is checked and handed back as
// the new `?token=`. The frontend turns the answer into a redirect.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, badRequest, notFound } from '../core/errors.ts';
import { OPTIONAL_AUTH } from '../core/openapi.ts';
import { canSee } from '../policy/video-policy.ts';
import { livePrivateLinks } from '../videos/access.ts';
import { sha256 } from '../auth/sessions.ts';
import { factsOf, videoByRef } from '../videos/queries.ts';
import { canSeePlaylist } from '../policy/playlist-policy.ts';
import { playlistByRef, playlistFacts } from '../playlists/queries.ts';

const Query = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000, description: 'An old Pod V4 URL (absolute, or a path)' }) });
const Resolved = Type.Object({
  type: Type.Union([Type.Literal('video'), Type.Literal('channel'), Type.Literal('theme'), Type.Literal('playlist')]),
  id: Type.Integer(),
  slug: Type.String(),
  api: Type.String({ description: 'The resource in this API' }),
  channel: Type.Optional(Type.String({ description: 'For a theme: its channel slug' })),
  token: Type.Optional(Type.String({ description: 'The private link of the old URL, to send as ?token=' })),
});

const SLUG = '[-\\w]+';
const PATTERNS: [RegExp, 'video' | 'video-private' | 'channel' | 'theme' | 'channel-video' | 'playlist' | 'media'][] = [
  [new RegExp(`^/video/(${SLUG})/?$`), 'video'],
  [new RegExp(`^/video/(${SLUG})/(${SLUG})/?$`), 'video-private'],
  [new RegExp(`^/playlist/(${SLUG})/?$`), 'playlist'],
  [new RegExp(`^/media/videos/(${SLUG})/(\\d+)/[^/]+$`), 'media'],
  [new RegExp(`^/(${SLUG})(?:/(${SLUG}))?/video/(${SLUG})/?$`), 'channel-video'],
  [new RegExp(`^/(${SLUG})/(${SLUG})/?$`), 'theme'],
  [new RegExp(`^/(${SLUG})/?$`), 'channel'],
];

export async function legacyRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  async function video(request: import('fastify').FastifyRequest, ref: string, privateLink?: string) {
    // A V4 id that got a new id on import (taken) resolves through the import's map.
    const v4Id = /^(\d+)/.exec(ref)?.[1];
    const mapped = v4Id ? await db().selectFrom('migration_map').select('new_id').where('model', '=', 'video.video').where('old_id', '=', String(Number(v4Id))).executeTakeFirst() : undefined;
    const row = await videoByRef(db(), mapped ? mapped.new_id : ref);
    if (!row) throw notFound('No such video');
    const linkValid = privateLink ? (await livePrivateLinks(db(), [{ videoId: row.id, hash: sha256(privateLink) }])).size > 0 : false;
    if (!canSee(request.principal, factsOf(row), { privateLink: linkValid })) throw notFound('No such video');
    return { type: 'video' as const, id: row.id, slug: row.slug, api: `/api/v1/videos/${row.slug}`, ...(linkValid ? { token: privateLink } : {}) };
  }

  /** A V4 playlist ("<id>-<slug>"), through the import's map; favorites and playlists the caller may not see: 404. */
  async function playlist(request: import('fastify').FastifyRequest, ref: string) {
    const v4Id = /^(\d+)/.exec(ref)?.[1];
    const mapped = v4Id ? await db().selectFrom('migration_map').select('new_id').where('model', '=', 'playlist.playlist').where('old_id', '=', String(Number(v4Id))).executeTakeFirst() : undefined;
    if (!mapped) throw new AppError(410, 'legacy_not_migrated', 'This V4 playlist was not imported');
    // V4 favorites are their owner's /favorites now.
    const fav = await db().selectFrom('playlists').select(['id', 'slug', 'owner_id']).where('id', '=', Number(mapped.new_id)).where('is_favorites', '=', true).executeTakeFirst();
    if (fav) {
      if (request.principal?.id !== Number(fav.owner_id)) throw notFound('No such playlist');
      return { type: 'playlist' as const, id: Number(fav.id), slug: fav.slug, api: '/api/v1/favorites' };
    }
    const row = await playlistByRef(db(), request.principal, mapped.new_id);
    if (!row || !canSeePlaylist(request.principal, playlistFacts(row))) throw notFound('No such playlist');
    return { type: 'playlist' as const, id: Number(row.id), slug: row.slug, api: `/api/v1/playlists/${row.slug}` };
  }

  /** A hidden channel is known to its owners and managers only (as GET /channels/{slug}). */
  async function channelVisible(request: import('fastify').FastifyRequest, c: { id: number; visible: boolean }) {
    const p = request.principal;
    if (c.visible || p?.is_superuser || p?.is_manager) return true;
    if (!p) return false;
    return Boolean(await db().selectFrom('channel_owners').select('user_id').where('channel_id', '=', c.id).where('user_id', '=', p.id).executeTakeFirst());
  }

  app.get('/api/v1/legacy/resolve', {
    schema: {
      operationId: 'resolveLegacyUrl', errors: ['invalid_url', 'not_found', 'legacy_not_migrated'], tags: ['videos'], summary: 'Where an old Pod V4 link lives now (videos, private links, channels, themes, playlists, media files)', security: OPTIONAL_AUTH,
      description: '404 when the resource is unknown or not visible to the caller (favorites are nobody else\'s); 410 `legacy_not_migrated` for a V4 playlist the import did not bring.',
      querystring: Query, response: { 200: Envelope(Resolved) },
    },
  }, async (request) => {
    let pathname: string;
    try {
      // decodeURIComponent throws on a stray `%` (`%25+` arrives as `% `): one refusal for both.
      pathname = decodeURIComponent(new URL((request.query as Static<typeof Query>).url, 'http://legacy.invalid').pathname).replace(/\/{2,}/g, '/');
    } catch {
      throw badRequest('Not a URL', 'query.url', 'invalid_url');
    }
    for (const [pattern, kind] of PATTERNS) {
      const m = pattern.exec(pathname);
      if (!m) continue;
      if (kind === 'video') return ok(await video(request, m[1]!));
      if (kind === 'video-private') return ok(await video(request, m[1]!, m[2]!));
      if (kind === 'channel-video') return ok(await video(request, m[3]!));
      if (kind === 'playlist') return ok(await playlist(request, m[1]!));
      if (kind === 'media') return ok(await video(request, String(Number(m[2]!))));
      if (kind === 'channel') {
        const c = await db().selectFrom('channels').select(['id', 'slug', 'visible']).where('slug', '=', m[1]!).executeTakeFirst();
        if (!c || !(await channelVisible(request, c))) break;
        return ok({ type: 'channel' as const, id: c.id, slug: c.slug, api: `/api/v1/channels/${c.slug}` });
      }
      if (kind === 'theme') {
        const t = await db().selectFrom('themes as t').innerJoin('channels as c', 'c.id', 't.channel_id').select(['t.id', 't.slug', 'c.slug as channel', 'c.id as channel_id', 'c.visible'])
          .where('c.slug', '=', m[1]!).where('t.slug', '=', m[2]!).executeTakeFirst();
        if (!t || !(await channelVisible(request, { id: t.channel_id, visible: t.visible }))) break;
        return ok({ type: 'theme' as const, id: t.id, slug: t.slug, channel: t.channel, api: `/api/v1/channels/${t.channel}/themes` });
      }
    }
    throw notFound('No resource of this platform answers to this old URL');
  });
}
