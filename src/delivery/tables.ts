import type { ColumnType, Generated } from 'kysely';

export interface VideoTracksTable {
  id: Generated<number>;
  video_id: number;
  kind: 'subtitles' | 'captions';
  lang: string;
  label: string;
  is_default: Generated<boolean>;
  /** Made by a transcription task (Esup-Runner), not uploaded by a person. */
  is_auto: Generated<boolean>;
  storage_key: string;
  cue_count: number;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface VideoChaptersTable {
  id: Generated<number>;
  video_id: number;
  title: string;
  /** numeric: read back as a string, written as a number. */
  time_start: ColumnType<string, number, number>;
  created_at: Generated<Date>;
}
