// Playlists: public listing and search, mine, CRUD, password unlock, the
// ordered videos (add, remove, move), and a video's playlists. Who may do
// what: policy/playlist-policy.ts; which videos show: the video policy.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import type { Principal, Viewer } from '../auth/principal.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, badRequest, forbidden, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { canAdministerPlaylist, canEditPlaylist, canOpenPlaylist, canPromotePlaylists, canSeePlaylist, listablePlaylists } from '../policy/playlist-policy.ts';
import { userIdsByUsernames } from '../users/queries.ts';
import { visibleVideo } from '../videos/routes.ts';
import { VideoRefParams } from '../videos/schemas.ts';
import { videoSlug } from '../videos/write.ts';
import { playlistUnlocked, signPlaylistUnlock } from './access.ts';
import { addItem, listItems, moveItem, removeItem, videoForItem } from './items.ts';
import { playlistByRef, playlistFacts, playlistJson, selectPlaylists, type PlaylistRow } from './queries.ts';
import {
  ItemAdd, ItemMove, PLAYLIST_SORTS, ItemPosition, Playlist, PlaylistCreate, PlaylistItem, PlaylistListQuery, PlaylistPatch, PlaylistRefParams,
  PlaylistTokenQuery, PlaylistVideoParams, type PlaylistWrite,
} from './schemas.ts';

const ListQuery = Type.Object({ ...PlaylistListQuery.properties, ...PageQuery });
const ItemsMeta = Type.Object({ ...PageMeta.properties, total: Type.Integer({ minimum: 0, description: 'Videos of the playlist the caller may see' }) });
const ItemsQuery = Type.Object({ ...PageQuery, ...PlaylistTokenQuery.properties });
const UnlockBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
type Tx = import('kysely').Transaction<Database>;

/** A playlist the caller may see, else 404 (existence is not revealed). */
async function visiblePlaylist(app: FastifyInstance, request: FastifyRequest, ref: string): Promise<PlaylistRow> {
  const row = await playlistByRef(app.dbh.db, request.principal, ref);
  if (!row || !canSeePlaylist(request.principal, playlistFacts(row))) throw notFound('No such playlist');
  return row;
}

/** A playlist the caller may edit: 404 if they may not see it, 403 if they see it only. */
async function editablePlaylist(app: FastifyInstance, request: FastifyRequest, ref: string): Promise<{ row: PlaylistRow; viewer: Principal }> {
  const viewer = requireUser(request);
  const row = await visiblePlaylist(app, request, ref);
  if (!canEditPlaylist(viewer, playlistFacts(row))) throw forbidden('Only the owner and editors of this playlist can change it');
  return { row, viewer };
}

async function saveFields(tx: Tx, viewer: Principal, body: PlaylistWrite, row: PlaylistRow | null): Promise<number> {
  const facts = row ? playlistFacts(row) : null;
  if (body.promoted !== undefined && body.promoted !== (row?.promoted ?? false) && !canPromotePlaylists(viewer)) {
    throw forbidden('Only managers promote playlists');
  }
  if (body.editors !== undefined && facts && !canAdministerPlaylist(viewer, facts)) throw forbidden('Only the owner of this playlist chooses its editors', 'owner_only');
  const visibility = body.visibility ?? row?.visibility ?? 'private';
  const promoted = visibility === 'public' ? (body.promoted ?? row?.promoted ?? false) : false;
  if (body.promoted && visibility !== 'public') throw badRequest('Only a public playlist may be promoted', 'promoted', 'validation_error');
  let passwordHash = row?.password_hash ?? null;
  if (body.password !== undefined) passwordHash = body.password === null ? null : await hashPassword(body.password);
  if (visibility === 'password' && !passwordHash) throw badRequest('A password playlist needs a password', 'password', 'validation_error');
  if (visibility !== 'password') passwordHash = null;
  const values = {
    ...(body.title !== undefined ? { title: body.title } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.autoplay !== undefined ? { autoplay: body.autoplay } : {}),
    visibility, promoted, password_hash: passwordHash,
  };
  let id: number;
  if (row) {
    id = Number(row.id);
    await tx.updateTable('playlists').set(values).where('id', '=', id).execute();
  } else {
    const created = await tx.insertInto('playlists').values({ ...values, title: body.title!, slug: `new-${crypto.randomUUID()}`, owner_id: viewer.id })
      .returning('id').executeTakeFirstOrThrow();
    id = Number(created.id);
    await tx.updateTable('playlists').set({ slug: videoSlug(id, body.title!) }).where('id', '=', id).execute();
  }
  if (body.editors !== undefined) {
    const owner = row ? Number(row.owner_id) : viewer.id;
    const ids = (await userIdsByUsernames(tx, body.editors, 'editors')).filter((u) => u !== owner);
    await tx.deleteFrom('playlist_editors').where('playlist_id', '=', id).execute();
    if (ids.length) await tx.insertInto('playlist_editors').values(ids.map((user_id) => ({ playlist_id: id, user_id }))).execute();
  }
  return id;
}

export async function playlistRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const reread = async (id: number, viewer: Viewer) => playlistJson((await playlistByRef(db(), viewer, String(id)))!, viewer);

  async function listing(request: FastifyRequest, scope: 'listed' | 'mine') {
    const q = request.query as Static<typeof ListQuery>;
    const viewer = request.principal;
    const limit = q.limit ?? 20;
    let query = selectPlaylists(db(), viewer);
    if (scope === 'mine') {
      const me = requireUser(request).id;
      query = query.where('p.is_favorites', '=', false).where((eb) => eb.or([
        eb('p.owner_id', '=', me),
        eb.exists(eb.selectFrom('playlist_editors as pe').select('pe.user_id').whereRef('pe.playlist_id', '=', 'p.id').where('pe.user_id', '=', me)),
      ]));
    } else {
      // The public catalogue: public and password playlists (a manager's private view is /playlists/me or the detail).
      query = query.where(listablePlaylists(viewer)).where('p.visibility', '<>', 'private');
    }
    if (q.q) {
      const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(sql<boolean>`(fold(p.title) ilike fold(${like}) or fold(p.description) ilike fold(${like}))`);
    }
    if (q.owner) query = query.where(sql`lower(o.username)`, '=', q.owner.toLowerCase());
    if (q.promoted !== undefined) query = query.where('p.promoted', '=', q.promoted);
    const sort = (q.sort ?? '-updated_at') as (typeof PLAYLIST_SORTS)[number];
    const column: 'p.title' | 'p.created_at' | 'p.updated_at' = sort.endsWith('title') ? 'p.title' : sort === '-created_at' ? 'p.created_at' : 'p.updated_at';
    const kind = column === 'p.title' ? 'string' : 'timestamp';
    const desc = sort.startsWith('-');
    // Instants compared to the millisecond: the cursor carries them as JSON.
    const key = kind === 'timestamp' ? sql`date_trunc('milliseconds', ${sql.ref(column)})` : sql.ref(column);
    const after = decodeCursor(q.cursor, [kind, 'id']);
    if (after) {
      const value = kind === 'timestamp' ? new Date(after[0] as string) : after[0];
      query = query.where(sql`(${key}, p.id)`, desc ? '<' : '>', sql`(${value}, ${after[1]}::bigint)`);
    }
    const rows = await query.orderBy(key, desc ? 'desc' : 'asc').orderBy('p.id', desc ? 'desc' : 'asc').limit(limit + 1).execute();
    const page = pageOf(rows, limit, (r) => [kind === 'string' ? r.title : new Date(column === 'p.created_at' ? r.created_at : r.updated_at).toISOString(), Number(r.id)]);
    return ok(page.items.map((r) => playlistJson(r, viewer)), page.meta);
  }

  app.get('/api/v1/playlists', {
    schema: {
      operationId: 'listPlaylists', errors: ['invalid_cursor'], tags: ['playlists'], security: OPTIONAL_AUTH,
      summary: 'Public and password playlists: search (q), owner, promoted (home page); cursor pagination',
      querystring: ListQuery, response: { 200: Envelope(Type.Array(Playlist), PageMeta) },
    },
  }, (request) => listing(request, 'listed'));

  app.get('/api/v1/playlists/me', {
    schema: {
      operationId: 'listMyPlaylists', errors: ['invalid_cursor'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Playlists I own or edit (any visibility; favorites are /favorites)',
      querystring: ListQuery, response: { 200: Envelope(Type.Array(Playlist), PageMeta) },
    },
  }, (request) => listing(request, 'mine'));

  app.post('/api/v1/playlists', {
    schema: {
      operationId: 'createPlaylist', responseHeaders: { 201: ['Location'] }, errors: ['forbidden'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Create a playlist (any signed-in user); promoted: managers only', body: PlaylistCreate, response: { 201: Envelope(Playlist) },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const id = await db().transaction().execute((tx) => saveFields(tx, viewer, request.body as PlaylistWrite, null));
    const json = await reread(id, viewer);
    reply.code(201).header('location', `/api/v1/playlists/${json.slug}`);
    return ok(json);
  });

  app.get('/api/v1/playlists/:ref', {
    schema: {
      operationId: 'getPlaylist', errors: ['not_found'], tags: ['playlists'], security: OPTIONAL_AUTH,
      summary: 'One playlist by id or slug (404 when private and not the caller\'s)',
      params: PlaylistRefParams, querystring: PlaylistTokenQuery, response: { 200: Envelope(Playlist) },
    },
  }, async (request) => {
    const row = await visiblePlaylist(app, request, (request.params as Static<typeof PlaylistRefParams>).ref);
    return ok(playlistJson(row, request.principal, await playlistUnlocked(app, request, row)));
  });

  app.patch('/api/v1/playlists/:ref', {
    schema: {
      operationId: 'updatePlaylist', errors: ['not_found', 'forbidden', 'owner_only'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Change a playlist (owner, editors, managers; editors list: owner and managers; promoted: managers)',
      params: PlaylistRefParams, body: PlaylistPatch, response: { 200: Envelope(Playlist) },
    },
  }, async (request) => {
    const { row, viewer } = await editablePlaylist(app, request, (request.params as Static<typeof PlaylistRefParams>).ref);
    await db().transaction().execute((tx) => saveFields(tx, viewer, request.body as PlaylistWrite, row));
    return ok(await reread(Number(row.id), viewer));
  });

  app.delete('/api/v1/playlists/:ref', {
    schema: {
      operationId: 'deletePlaylist', errors: ['not_found', 'forbidden'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Delete a playlist (owner or manager; its videos stay)', params: PlaylistRefParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const row = await visiblePlaylist(app, request, (request.params as Static<typeof PlaylistRefParams>).ref);
    if (!canAdministerPlaylist(viewer, playlistFacts(row))) throw forbidden('Only the owner of this playlist can delete it');
    await db().deleteFrom('playlists').where('id', '=', Number(row.id)).execute();
    return ok(null);
  });

  app.post('/api/v1/playlists/:ref/unlock', {
    schema: {
      operationId: 'unlockPlaylist', errors: ['not_found', 'no_password', 'wrong_password'], tags: ['playlists'], security: OPTIONAL_AUTH,
      summary: 'Give the password of a password playlist; get a token that lists its videos (send it as ?token= or X-Playlist-Token). It unlocks no video',
      params: PlaylistRefParams, body: UnlockBody,
      response: { 200: Envelope(Type.Object({ token: Type.String(), expires_at: Type.String({ format: 'date-time' }) })) },
    },
    config: { rateLimit: { max: app.config.AUTH_RATE_LIMIT_MAX, timeWindow: app.config.AUTH_RATE_LIMIT_WINDOW_MS } },
  }, async (request) => {
    const row = await visiblePlaylist(app, request, (request.params as Static<typeof PlaylistRefParams>).ref);
    if (row.visibility !== 'password' || !row.password_hash) throw new AppError(400, 'no_password', 'This playlist has no password');
    if (!(await verifyPassword(row.password_hash, (request.body as Static<typeof UnlockBody>).password))) {
      throw new AppError(403, 'wrong_password', 'Wrong password for this playlist', { field: 'password' });
    }
    return ok(await signPlaylistUnlock(app, Number(row.id), row.password_hash, app.config.VIDEO_UNLOCK_TTL_S));
  });

  app.get('/api/v1/playlists/:ref/videos', {
    schema: {
      operationId: 'listPlaylistVideos', errors: ['not_found', 'password_required', 'invalid_cursor'], tags: ['playlists'], security: OPTIONAL_AUTH,
      summary: 'The playlist\'s videos in order, each shown only if the caller may see it (meta.total counts those); 403 password_required until unlocked',
      params: PlaylistRefParams, querystring: ItemsQuery, response: { 200: Envelope(Type.Array(PlaylistItem), ItemsMeta) },
    },
  }, async (request) => {
    const row = await visiblePlaylist(app, request, (request.params as Static<typeof PlaylistRefParams>).ref);
    if (!canOpenPlaylist(request.principal, playlistFacts(row), await playlistUnlocked(app, request, row))) {
      throw new AppError(403, 'password_required', 'This playlist is protected by a password: POST it to /unlock and send the token');
    }
    const page = await listItems(app, request.principal, Number(row.id), request.query as Static<typeof ItemsQuery>);
    return ok(page.items, page.meta);
  });

  app.post('/api/v1/playlists/:ref/videos', {
    schema: {
      operationId: 'addPlaylistVideo', errors: ['not_found', 'forbidden', 'already_in_playlist', 'playlist_full'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Add a video the caller may see (at `position`, default last)', params: PlaylistRefParams, body: ItemAdd,
      response: { 201: Envelope(ItemPosition) },
    },
  }, async (request, reply) => {
    const { row, viewer } = await editablePlaylist(app, request, (request.params as Static<typeof PlaylistRefParams>).ref);
    const body = request.body as Static<typeof ItemAdd>;
    const video = await videoForItem(app, viewer, body.video);
    const position = await db().transaction().execute((tx) => addItem(tx, Number(row.id), Number(video.id), body.position));
    reply.code(201);
    return ok({ video_id: Number(video.id), position });
  });

  app.delete('/api/v1/playlists/:ref/videos/:video', {
    schema: {
      operationId: 'removePlaylistVideo', errors: ['not_found', 'forbidden'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Remove a video from the playlist (the others close the gap)', params: PlaylistVideoParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const params = request.params as Static<typeof PlaylistVideoParams>;
    const { row, viewer } = await editablePlaylist(app, request, params.ref);
    const video = await videoForItem(app, viewer, params.video);
    await db().transaction().execute((tx) => removeItem(tx, Number(row.id), Number(video.id)));
    return ok(null);
  });

  app.put('/api/v1/playlists/:ref/videos/:video/position', {
    schema: {
      operationId: 'movePlaylistVideo', errors: ['not_found', 'forbidden'], tags: ['playlists'], security: AUTHENTICATED,
      summary: 'Move a video to a position in one request (the ones between shift; concurrent moves apply in turn)',
      params: PlaylistVideoParams, body: ItemMove, response: { 200: Envelope(ItemPosition) },
    },
  }, async (request) => {
    const params = request.params as Static<typeof PlaylistVideoParams>;
    const { row, viewer } = await editablePlaylist(app, request, params.ref);
    const video = await videoForItem(app, viewer, params.video);
    const position = await db().transaction().execute((tx) => moveItem(tx, Number(row.id), Number(video.id), (request.body as Static<typeof ItemMove>).position));
    return ok({ video_id: Number(video.id), position });
  });

  app.get('/api/v1/videos/:ref/playlists', {
    schema: {
      operationId: 'listVideoPlaylists', errors: ['not_found', 'invalid_cursor'], tags: ['playlists'], security: OPTIONAL_AUTH,
      summary: 'The playlists holding this video that the caller may see', params: VideoRefParams,
      querystring: Type.Object(PageQuery), response: { 200: Envelope(Type.Array(Playlist), PageMeta) },
    },
  }, async (request) => {
    const { row: video } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const q = request.query as { limit?: number; cursor?: string };
    const limit = q.limit ?? 20;
    let query = selectPlaylists(db(), request.principal).where(listablePlaylists(request.principal))
      .where((eb) => eb.exists(eb.selectFrom('playlist_items as pi').select('pi.video_id').whereRef('pi.playlist_id', '=', 'p.id').where('pi.video_id', '=', Number(video.id))));
    const after = decodeCursor(q.cursor, ['id']);
    if (after) query = query.where('p.id', '>', after[0] as number);
    const rows = await query.orderBy('p.id').limit(limit + 1).execute();
    const page = pageOf(rows, limit, (r) => [Number(r.id)]);
    return ok(page.items.map((r) => playlistJson(r, request.principal)), page.meta);
  });
}
