// Favorites: each signed-in user's own ordered list of videos, kept as a
// private playlist of theirs (as Pod does), made at the first addition.
// `is_favorite` in the video JSON tells the caller; editors read a video's
// favorite count in its statistics.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import type { Principal } from '../auth/principal.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { notFound } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { PageMeta, PageQuery } from '../core/pagination.ts';
import { VideoRefParams } from '../videos/schemas.ts';
import { addItem, listItems, moveItem, removeItem, videoForItem } from './items.ts';
import { ItemAdd, ItemMove, ItemPosition, PlaylistItem } from './schemas.ts';

const FavoritesMeta = Type.Object({ ...PageMeta.properties, total: Type.Integer({ minimum: 0 }) });

export async function favoriteRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  async function favoritesId(viewer: Principal, create: boolean): Promise<number | undefined> {
    const found = await db().selectFrom('playlists').select('id').where('owner_id', '=', viewer.id).where('is_favorites', '=', true).executeTakeFirst();
    if (found || !create) return found ? Number(found.id) : undefined;
    await db().insertInto('playlists').values({ slug: `favorites-${viewer.id}`, title: 'Favorites', owner_id: viewer.id, is_favorites: true, visibility: 'private' })
      .onConflict((oc) => oc.column('owner_id').where('is_favorites', '=', true).doNothing()).execute();
    return favoritesId(viewer, false);
  }

  app.get('/api/v1/favorites', {
    schema: {
      operationId: 'listFavorites', errors: ['invalid_cursor'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'My favorite videos, in my order (those I may still see)', querystring: Type.Object(PageQuery),
      response: { 200: Envelope(Type.Array(PlaylistItem), FavoritesMeta) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const id = await favoritesId(viewer, false);
    const q = request.query as { limit?: number; cursor?: string };
    if (id === undefined) return ok([], { next_cursor: null, limit: q.limit ?? 20, total: 0 });
    const page = await listItems(app, viewer, id, q);
    return ok(page.items, page.meta);
  });

  app.post('/api/v1/favorites', {
    schema: {
      operationId: 'addFavorite', errors: ['not_found', 'already_in_playlist', 'playlist_full'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Add a video I may see to my favorites', body: ItemAdd, response: { 201: Envelope(ItemPosition) },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const body = request.body as Static<typeof ItemAdd>;
    const video = await videoForItem(app, viewer, body.video);
    const id = (await favoritesId(viewer, true))!;
    const position = await db().transaction().execute((tx) => addItem(tx, id, Number(video.id), body.position));
    reply.code(201);
    return ok({ video_id: Number(video.id), position });
  });

  app.delete('/api/v1/favorites/:ref', {
    schema: {
      operationId: 'removeFavorite', errors: ['not_found'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Remove a video from my favorites', params: VideoRefParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const video = await videoForItem(app, viewer, (request.params as Static<typeof VideoRefParams>).ref);
    const id = await favoritesId(viewer, false);
    if (id === undefined) throw notFound('This video is not in your favorites');
    await db().transaction().execute((tx) => removeItem(tx, id, Number(video.id)));
    return ok(null);
  });

  app.put('/api/v1/favorites/:ref/position', {
    schema: {
      operationId: 'moveFavorite', errors: ['not_found'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Move a favorite to a position (one request)', params: VideoRefParams, body: ItemMove, response: { 200: Envelope(ItemPosition) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const video = await videoForItem(app, viewer, (request.params as Static<typeof VideoRefParams>).ref);
    const id = await favoritesId(viewer, false);
    if (id === undefined) throw notFound('This video is not in your favorites');
    const position = await db().transaction().execute((tx) => moveItem(tx, id, Number(video.id), (request.body as Static<typeof ItemMove>).position));
    return ok({ video_id: Number(video.id), position });
  });
}
