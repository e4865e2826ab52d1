// Reading playlists with everything their JSON shows, for one viewer (the
// video count is what that viewer may see of them).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Viewer } from '../auth/principal.ts';
import type { Database } from '../core/db/database.ts';
import { canAdministerPlaylist, canEditPlaylist, canOpenPlaylist, type PlaylistFacts } from '../policy/playlist-policy.ts';
import { listableVideos } from '../policy/video-policy.ts';

type Db = Kysely<Database> | Transaction<Database>;
interface PersonJson { id: number; username: string; first_name: string; last_name: string }

export function selectPlaylists(db: Db, viewer: Viewer) {
  return db.selectFrom('playlists as p').innerJoin('users as o', 'o.id', 'p.owner_id').select([
    'p.id', 'p.slug', 'p.title', 'p.description', 'p.visibility', 'p.password_hash', 'p.promoted', 'p.autoplay', 'p.is_favorites',
    'p.owner_id', 'p.created_at', 'p.updated_at',
    sql<PersonJson>`json_build_object('id', o.id, 'username', o.username, 'first_name', o.first_name, 'last_name', o.last_name)`.as('owner'),
    sql<PersonJson[]>`coalesce((select json_agg(json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name, 'last_name', u.last_name) order by u.username) from playlist_editors pe join users u on u.id = pe.user_id where pe.playlist_id = p.id), '[]')`.as('editors'),
    (eb) => eb.selectFrom('playlist_items as pi').innerJoin('videos as v', 'v.id', 'pi.video_id')
      .select(sql<number>`count(*)::int`.as('n')).whereRef('pi.playlist_id', '=', 'p.id').where(listableVideos(viewer)).as('video_count'),
  ]);
}

export type PlaylistRow = Awaited<ReturnType<ReturnType<typeof selectPlaylists>['executeTakeFirstOrThrow']>>;

export const playlistFacts = (row: PlaylistRow): PlaylistFacts => ({
  owner_id: Number(row.owner_id), editor_ids: row.editors.map((e) => e.id), visibility: row.visibility, is_favorites: row.is_favorites,
});

export function playlistJson(row: PlaylistRow, viewer: Viewer, unlocked = false) {
  const facts = playlistFacts(row);
  return {
    id: Number(row.id), slug: row.slug, title: row.title, description: row.description, visibility: row.visibility,
    promoted: row.promoted, autoplay: row.autoplay, owner: row.owner, editors: row.editors,
    video_count: row.video_count ?? 0,
    is_locked: !canOpenPlaylist(viewer, facts, unlocked),
    can_edit: canEditPlaylist(viewer, facts), can_delete: canAdministerPlaylist(viewer, facts),
    created_at: new Date(row.created_at).toISOString(), updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** A playlist (favorites excluded) by id or slug. */
export async function playlistByRef(db: Db, viewer: Viewer, ref: string): Promise<PlaylistRow | undefined> {
  const base = () => selectPlaylists(db, viewer).where('p.is_favorites', '=', false);
  if (/^\d{1,15}$/.test(ref)) return base().where('p.id', '=', Number(ref)).executeTakeFirst();
  return base().where('p.slug', '=', ref).executeTakeFirst();
}
