import type { ColumnType, Generated } from 'kysely';

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface VideosTable {
  id: Generated<number>;
  slug: string;
  title: string;
  description: Defaulted<string>;
  /** Null only on a deleted video whose owner's account was erased with it (a CHECK keeps live videos owned). */
  owner_id: number;
  type_id: number | null;
  date_added: Generated<Date>;
  date_evt: ColumnType<string | null, string | null | undefined, string | null>;
  duration: Defaulted<number>;
  is_draft: Defaulted<boolean>;
  is_restricted: Defaulted<boolean>;
  password_hash: string | null;
  allow_downloading: Defaulted<boolean>;
  disable_comment: Defaulted<boolean>;
  disable_public_notes: Defaulted<boolean>;
  is_360: Defaulted<boolean>;
  licence: string | null;
  main_lang: Defaulted<string>;
  cursus: Defaulted<string>;
  thumbnail_url: string | null;
  encoding_status: Defaulted<'pending' | 'queued' | 'processing' | 'ready' | 'error'>;
  encoding_progress: number | null;
  encoding_error_code: string | null;
  encoding_error_message: string | null;
  ready_at: Date | null;
  has_groups: Defaulted<boolean>;
  search_vector: Defaulted<string>;
  source_key: string | null;
  source_filename: string | null;
  source_size: number | null;
  source_mime: string | null;
  source_probe: unknown;
  encoding_job_id: string | null;
  encoding_outputs: unknown;
  encoding_updated_at: Date | null;
  deleted_at: Date | null;
  purged_at: Generated<Date | null>;
  /** Pod's obsolescence date (kept from V4 imports). */
  date_delete: Generated<string | null>;
  /** The tail of the encoder's log when it failed (Esup-Runner's script_output). */
  encoding_log: Generated<string | null>;
  /** Archived by the retention sweep (a draft since, files kept); cleared when date_delete moves on. */
  archived_at: Generated<Date | null>;
  /** When its owners were warned of date_delete (once per date). */
  retention_warned_at: Generated<Date | null>;
  updated_at: Generated<Date>;
}

export interface VideoLinkTables {
  video_additional_owners: { video_id: number; user_id: number };
  video_groups: { video_id: number; group_id: number };
  video_channels: { video_id: number; channel_id: number };
  video_themes: { video_id: number; theme_id: number };
  video_disciplines: { video_id: number; discipline_id: number };
  video_tags: { video_id: number; tag_id: number };
}

export interface VideoAccessTokensTable {
  id: string;
  video_id: number;
  name: Defaulted<string>;
  token_hash: string;
  token_hint: string;
  created_by: number | null;
  created_at: Generated<Date>;
  expires_at: Date | null;
}
