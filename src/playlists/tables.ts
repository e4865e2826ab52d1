import type { ColumnType, Generated } from 'kysely';

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export type PlaylistVisibility = 'public' | 'password' | 'private';

export interface PlaylistsTable {
  id: Generated<number>;
  slug: string;
  title: string;
  description: Defaulted<string>;
  visibility: Defaulted<PlaylistVisibility>;
  password_hash: string | null;
  promoted: Defaulted<boolean>;
  autoplay: Defaulted<boolean>;
  is_favorites: Defaulted<boolean>;
  owner_id: number;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PlaylistTables {
  playlists: PlaylistsTable;
  playlist_editors: { playlist_id: number; user_id: number };
  playlist_items: { playlist_id: number; video_id: number; position: number; added_at: Generated<Date> };
}
