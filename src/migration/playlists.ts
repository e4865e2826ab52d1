// V4 playlists and favorites (pod/playlist): each playlist with its editors
// and its videos in V4's order (rank), after the videos. A playlist named
// "Favorites" that V4 does not let its owner edit is that user's favorites.
// V4's playlist passwords (unsalted SHA-256) keep working (auth/passwords.ts).
import { sql } from 'kysely';
import { V4_SHA256 } from '../auth/passwords.ts';
import { videoSlug } from '../videos/write.ts';
import type { ImportContext } from './context.ts';
import { readEverywhere } from './dump.ts';
import type { V4Row } from './encodings.ts';

const VISIBILITY: Record<string, 'public' | 'password' | 'private'> = { public: 'public', protected: 'password', private: 'private' };

export async function importPlaylists(ctx: ImportContext) {
  const { ids, report } = ctx;
  const contents = new Map<string, V4Row[]>();
  for await (const c of readEverywhere(ctx.spool, 'playlist.playlistcontent')) {
    report.seen('playlist.playlistcontent');
    const key = String(c.fields.playlist);
    (contents.get(key) ?? contents.set(key, []).get(key)!).push(c);
  }
  for await (const p of readEverywhere(ctx.spool, 'playlist.playlist')) {
    report.seen('playlist.playlist');
    const items = contents.get(String(p.pk)) ?? [];
    if (ids.has('playlist.playlist', p.pk)) {
      report.already('playlist.playlist');
      report.already('playlist.playlistcontent', items.length);
      continue;
    }
    const owner = ids.num('auth.user', p.fields.owner);
    if (owner === undefined) {
      report.skip('playlist.playlist', p.pk, 'its owner was not imported');
      for (const c of items) report.skip('playlist.playlistcontent', c.pk, 'its playlist was not imported');
      continue;
    }
    const favorites = p.fields.name === 'Favorites' && p.fields.editable === false;
    let visibility = VISIBILITY[String(p.fields.visibility)] ?? 'private';
    const password = typeof p.fields.password === 'string' && /^[0-9a-f]{64}$/i.test(p.fields.password) ? `${V4_SHA256}${p.fields.password.toLowerCase()}` : null;
    if (visibility === 'password' && !password) {
      visibility = 'private';
      report.adjust('a protected playlist without a usable password became private', `playlist ${p.pk}`);
    }
    const videos = [...items].sort((a, b) => Number(a.fields.rank) - Number(b.fields.rank) || Number(a.pk) - Number(b.pk))
      .filter((c) => {
        if (ids.has('video.video', c.fields.video)) return true;
        report.skip('playlist.playlistcontent', c.pk, 'its video was not imported');
        return false;
      });
    const editors = (Array.isArray(p.fields.additional_owners) ? p.fields.additional_owners : [])
      .map((u) => ids.num('auth.user', u)).filter((u): u is number => u !== undefined && u !== owner);
    const db = ctx.db;
    if (!db) {
      ids.remember('playlist.playlist', p.pk, ids.fakeId());
    } else {
      await db.transaction().execute(async (tx) => {
        const title = String(p.fields.name ?? '').slice(0, 250) || 'Playlist';
        let id: number;
        const mine = favorites ? await tx.selectFrom('playlists').select('id').where('owner_id', '=', owner).where('is_favorites', '=', true).executeTakeFirst() : undefined;
        if (mine) {
          id = Number(mine.id);
        } else {
          const made = await tx.insertInto('playlists').values({
            slug: `v4-${String(p.pk)}`, title, description: String(p.fields.description ?? '').slice(0, 10_000),
            visibility: favorites ? 'private' : visibility, password_hash: favorites || visibility !== 'password' ? null : password,
            promoted: !favorites && visibility === 'public' && p.fields.promoted === true, autoplay: p.fields.autoplay !== false,
            is_favorites: favorites, owner_id: owner,
          }).returning('id').executeTakeFirstOrThrow();
          id = Number(made.id);
          await tx.updateTable('playlists').set({ slug: favorites ? `favorites-${owner}` : videoSlug(id, title) }).where('id', '=', id).execute();
        }
        if (!favorites && editors.length) await tx.insertInto('playlist_editors').values([...new Set(editors)].map((user_id) => ({ playlist_id: id, user_id }))).onConflict((oc) => oc.doNothing()).execute();
        const start = Number((await sql<{ n: number }>`select count(*)::int as n from playlist_items where playlist_id = ${id}`.execute(tx)).rows[0]!.n);
        const fresh = videos.filter((c, i, all) => all.findIndex((o) => String(o.fields.video) === String(c.fields.video)) === i);
        if (fresh.length) {
          await tx.insertInto('playlist_items').values(fresh.map((c, i) => ({
            playlist_id: id, video_id: ids.num('video.video', c.fields.video)!, position: start + i,
            ...(typeof c.fields.date_added === 'string' ? { added_at: new Date(c.fields.date_added) } : {}),
          }))).onConflict((oc) => oc.doNothing()).execute();
        }
        await ids.record(tx, [{ model: 'playlist.playlist', old: p.pk, new: id }]);
      });
    }
    report.imported('playlist.playlist');
    report.imported('playlist.playlistcontent', videos.length);
  }
}
