// Erasing an account (a superuser's DELETE /users/{id}, or the user's own
// DELETE /users/me). Its videos first go to an heir (transfer_to), or are
// deleted with it (delete_videos: hidden at once, files purged by the purge
// job, the rows kept ownerless so their slugs are never reused). Then the
// row goes, and with it, by foreign-key cascade, everything that was only
// theirs: sessions, group memberships, comments, votes, notes, favorites and
// other playlists not handed over, resume positions, uploads in progress.
// The audit trail keeps their id and username for AUDIT_RETENTION_DAYS.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Transaction } from 'kysely';
import { audit } from '../audit/log.ts';
import type { Database } from '../core/db/database.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import { deleteVideo } from '../videos/purge.ts';

type Tx = Transaction<Database>;

export interface EraseOptions {
  /** Username of who inherits their videos and playlists. */
  transfer_to?: string;
  /** Delete their videos with the account. */
  delete_videos?: boolean;
}

export interface EraseOutcome {
  videos_transferred: number;
  videos_deleted: number;
}

export async function eraseAccount(app: FastifyInstance, tx: Tx, request: FastifyRequest, userId: number, opts: EraseOptions): Promise<EraseOutcome> {
  if (opts.transfer_to !== undefined && opts.delete_videos) {
    throw badRequest('Choose transfer_to or delete_videos, not both', 'query.delete_videos', 'invalid_transfer');
  }
  const user = await tx.selectFrom('users').select(['id', 'username']).where('id', '=', userId).forUpdate().executeTakeFirst();
  if (!user) throw notFound('No such user');
  const outcome: EraseOutcome = { videos_transferred: 0, videos_deleted: 0 };
  if (opts.transfer_to !== undefined) {
    const heir = await tx.selectFrom('users').select(['id', 'is_active']).where(sql`lower(username)`, '=', opts.transfer_to.toLowerCase()).executeTakeFirst();
    if (!heir) throw badRequest(`Unknown user ${JSON.stringify(opts.transfer_to)}`, 'query.transfer_to', 'validation_error');
    if (heir.id === userId) throw badRequest('transfer_to must name another user', 'query.transfer_to', 'invalid_transfer');
    if (!heir.is_active) throw badRequest('transfer_to names a disabled account', 'query.transfer_to', 'invalid_transfer');
    // The heir owns them now: not also an additional owner of the same videos.
    await tx.deleteFrom('video_additional_owners').where('user_id', '=', heir.id)
      .where('video_id', 'in', (eb) => eb.selectFrom('videos').select('id').where('owner_id', '=', userId)).execute();
    const moved = await tx.updateTable('videos').set({ owner_id: heir.id }).where('owner_id', '=', userId).executeTakeFirst();
    outcome.videos_transferred = Number(moved.numUpdatedRows);
    // Their playlists too (not their favorites: those are a person's own, and go with the account).
    await tx.deleteFrom('playlist_editors').where('user_id', '=', heir.id)
      .where('playlist_id', 'in', (eb) => eb.selectFrom('playlists').select('id').where('owner_id', '=', userId).where('is_favorites', '=', false)).execute();
    await tx.updateTable('playlists').set({ owner_id: heir.id }).where('owner_id', '=', userId).where('is_favorites', '=', false).execute();
  } else if (opts.delete_videos) {
    const live = await tx.selectFrom('videos').select('id').where('owner_id', '=', userId).where('deleted_at', 'is', null).execute();
    for (const v of live) {
      await deleteVideo(app, tx, v.id);
      app.encodingBus.touch(v.id);
    }
    outcome.videos_deleted = live.length;
    // Deleted videos (these, and those already awaiting their purge) stay ownerless.
    await tx.updateTable('videos').set({ owner_id: null as unknown as number }).where('owner_id', '=', userId).where('deleted_at', 'is not', null).execute();
  }
  const owned = await tx.selectFrom('videos').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', userId).executeTakeFirstOrThrow();
  if (Number(owned.n) > 0) {
    throw conflict(`This user owns ${owned.n} video(s) (deleted ones awaiting their purge included): pass ?transfer_to=<username> or ?delete_videos=true, or deactivate the account instead`, undefined, 'user_owns_videos');
  }
  await audit(tx, request, {
    action: 'user.deleted', target_type: 'user', target_id: userId,
    details: { username: user.username, by_self: request.principal?.id === userId, ...outcome, ...(opts.transfer_to ? { transfer_to: opts.transfer_to } : {}) },
  });
  await tx.deleteFrom('users').where('id', '=', userId).execute();
  return outcome;
}
