// THE access-control policy for playlists (and favorites, a playlist of
// their own). A playlist never widens what its viewer may see of a video:
// its items are always filtered by the video policy (listableVideos), and
// its password opens the playlist, not the password of any video in it.
//
// Rules (Esup-Pod V4 §3.6, with its flaws fixed):
//  - public and password playlists are listed and described to everyone;
//    a password playlist shows its videos once unlocked (editors need not);
//  - a private playlist exists only for its owner, its editors and managers;
//  - favorites exist only for their owner (not even managers: they are a
//    person's own list) and are never listed among playlists;
//  - editing (title, items, order): owner, editors, managers; the editors
//    list and deletion: owner and managers; `promoted`: managers only.
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Viewer } from '../auth/principal.ts';
import type { Database } from '../core/db/database.ts';

export interface PlaylistFacts {
  owner_id: number;
  editor_ids: readonly number[];
  visibility: 'public' | 'password' | 'private';
  is_favorites: boolean;
}

const isManager = (viewer: Viewer) => Boolean(viewer && (viewer.is_superuser || viewer.is_manager));

export function canEditPlaylist(viewer: Viewer, p: PlaylistFacts): boolean {
  if (!viewer) return false;
  if (p.is_favorites) return p.owner_id === viewer.id;
  return isManager(viewer) || p.owner_id === viewer.id || p.editor_ids.includes(viewer.id);
}

/** The editors list, deletion. */
export function canAdministerPlaylist(viewer: Viewer, p: PlaylistFacts): boolean {
  if (!viewer || p.is_favorites) return false;
  return isManager(viewer) || p.owner_id === viewer.id;
}

export const canPromotePlaylists = (viewer: Viewer) => isManager(viewer);

/** May know it exists (detail 200, listed). */
export function canSeePlaylist(viewer: Viewer, p: PlaylistFacts): boolean {
  if (p.is_favorites) return Boolean(viewer && viewer.id === p.owner_id);
  return p.visibility !== 'private' || canEditPlaylist(viewer, p);
}

/** May list its videos (each still filtered by the video policy). */
export function canOpenPlaylist(viewer: Viewer, p: PlaylistFacts, unlocked: boolean): boolean {
  if (!canSeePlaylist(viewer, p)) return false;
  return p.visibility !== 'password' || unlocked || canEditPlaylist(viewer, p);
}

type PlaylistScope = ExpressionBuilder<Database & { p: Database['playlists'] }, 'p'>;

/** SQL for canSeePlaylist, favorites excluded (they are never listed with playlists). Use on `playlists as p`. */
export function listablePlaylists(viewer: Viewer) {
  return (eb: PlaylistScope): Expression<SqlBool> => {
    const notFavorites = eb('p.is_favorites', '=', false);
    if (isManager(viewer)) return notFavorites;
    const audience: Expression<SqlBool>[] = [eb('p.visibility', '<>', 'private')];
    if (viewer) {
      audience.push(eb('p.owner_id', '=', viewer.id));
      audience.push(eb.exists(eb.selectFrom('playlist_editors as pe').select(sql`1`.as('one'))
        .whereRef('pe.playlist_id', '=', 'p.id').where('pe.user_id', '=', viewer.id)));
    }
    return eb.and([notFavorites, eb.or(audience)]);
  };
}
