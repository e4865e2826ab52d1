// The ordered videos of a playlist (favorites included): add, remove, move,
// list. Positions are dense (0 … n-1); every change takes the playlist row's
// lock first (select … for update), so concurrent moves and additions apply
// one after the other and the order stays a permutation.
import type { FastifyInstance } from 'fastify';
import { sql, type Transaction } from 'kysely';
import type { Viewer } from '../auth/principal.ts';
import type { Database } from '../core/db/database.ts';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { decodeCursor, pageOf } from '../core/pagination.ts';
import { mediaUrlFactory } from '../delivery/media-urls.ts';
import { canSee, listableVideos } from '../policy/video-policy.ts';
import { factsOf, selectVideos, videoByRef, videoJson } from '../videos/queries.ts';

type Tx = Transaction<Database>;

/** The most videos one playlist holds (Pod has no limit; a bound keeps every move one cheap statement). */
export const PLAYLIST_MAX_ITEMS = 2000;

async function lockPlaylist(tx: Tx, playlistId: number): Promise<number> {
  await sql`select id from playlists where id = ${playlistId} for update`.execute(tx);
  const { n } = await tx.selectFrom('playlist_items').select(sql<number>`count(*)::int`.as('n')).where('playlist_id', '=', playlistId).executeTakeFirstOrThrow();
  return n;
}

const touch = (tx: Tx, playlistId: number) => tx.updateTable('playlists').set({ updated_at: new Date() }).where('id', '=', playlistId).execute();

/** A video an editor adds, removes or moves: one they may see (a playlist never reveals one it could not). */
export async function videoForItem(app: FastifyInstance, viewer: Viewer, ref: string) {
  const video = await videoByRef(app.dbh.db, ref, viewer);
  if (!video || !canSee(viewer, factsOf(video))) throw notFound('No such video');
  return video;
}

/** Inserts the video at `position` (default: last); 409 when it is there already or the playlist is full. */
export async function addItem(tx: Tx, playlistId: number, videoId: number, position?: number): Promise<number> {
  const n = await lockPlaylist(tx, playlistId);
  const there = await tx.selectFrom('playlist_items').select('position').where('playlist_id', '=', playlistId).where('video_id', '=', videoId).executeTakeFirst();
  if (there) throw conflict('This video is in the playlist already', 'video', 'already_in_playlist');
  if (n >= PLAYLIST_MAX_ITEMS) throw new AppError(409, 'playlist_full', `A playlist holds at most ${PLAYLIST_MAX_ITEMS} videos`);
  const at = Math.min(position ?? n, n);
  await tx.updateTable('playlist_items').set((eb) => ({ position: eb('position', '+', 1) }))
    .where('playlist_id', '=', playlistId).where('position', '>=', at).execute();
  await tx.insertInto('playlist_items').values({ playlist_id: playlistId, video_id: videoId, position: at }).execute();
  await touch(tx, playlistId);
  return at;
}

/** Removes the video and closes the gap; 404 when it is not in the playlist. */
export async function removeItem(tx: Tx, playlistId: number, videoId: number) {
  await lockPlaylist(tx, playlistId);
  const gone = await tx.deleteFrom('playlist_items').where('playlist_id', '=', playlistId).where('video_id', '=', videoId).returning('position').executeTakeFirst();
  if (!gone) throw notFound('This video is not in the playlist');
  await tx.updateTable('playlist_items').set((eb) => ({ position: eb('position', '-', 1) }))
    .where('playlist_id', '=', playlistId).where('position', '>', gone.position).execute();
  await touch(tx, playlistId);
}

/** Moves the video to `to` (past the end: last), shifting the ones between; returns its new position. */
export async function moveItem(tx: Tx, playlistId: number, videoId: number, to: number): Promise<number> {
  const n = await lockPlaylist(tx, playlistId);
  const item = await tx.selectFrom('playlist_items').select('position').where('playlist_id', '=', playlistId).where('video_id', '=', videoId).executeTakeFirst();
  if (!item) throw notFound('This video is not in the playlist');
  const from = item.position;
  const target = Math.min(to, n - 1);
  if (target === from) return from;
  const [lo, hi, step] = target < from ? [target, from - 1, 1] : [from + 1, target, -1];
  await tx.updateTable('playlist_items').set((eb) => ({ position: eb('position', '+', step) }))
    .where('playlist_id', '=', playlistId).where('position', '>=', lo).where('position', '<=', hi).execute();
  await tx.updateTable('playlist_items').set({ position: target }).where('playlist_id', '=', playlistId).where('video_id', '=', videoId).execute();
  await touch(tx, playlistId);
  return target;
}

/**
 * A page of the playlist's videos the viewer may see (the video policy
 * filters every item, whatever the playlist's own access), in order, and how
 * many such videos it holds in all.
 */
export async function listItems(app: FastifyInstance, viewer: Viewer, playlistId: number, q: { limit?: number; cursor?: string }) {
  const db = app.dbh.db;
  const limit = q.limit ?? 20;
  let query = selectVideos(db, viewer).innerJoin('playlist_items as pi', 'pi.video_id', 'v.id')
    .select(['pi.position', 'pi.added_at']).where('pi.playlist_id', '=', playlistId).where(listableVideos(viewer));
  const after = decodeCursor(q.cursor, ['int', 'id']);
  if (after) query = query.where(sql`(pi.position, v.id)`, '>', sql`(${after[0]}::int, ${after[1]}::bigint)`);
  const [rows, total] = await Promise.all([
    query.orderBy('pi.position').orderBy('v.id').limit(limit + 1).execute(),
    db.selectFrom('playlist_items as pi').innerJoin('videos as v', 'v.id', 'pi.video_id').select(sql<number>`count(*)::int`.as('n'))
      .where('pi.playlist_id', '=', playlistId).where(listableVideos(viewer)).executeTakeFirstOrThrow(),
  ]);
  const page = pageOf(rows, limit, (r) => [r.position, Number(r.id)]);
  const media = mediaUrlFactory(app);
  return {
    items: page.items.map((r) => ({ position: r.position, added_at: new Date(r.added_at).toISOString(), video: videoJson(r, viewer, media) })),
    meta: { ...page.meta, total: total.n },
  };
}
