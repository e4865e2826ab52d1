import type { ColumnType, Generated } from 'kysely';

export interface UploadsTable {
  id: string;
  user_id: number;
  video_id: number | null;
  filename: string;
  title: string | null;
  size: number;
  created_at: Generated<Date>;
  completed_at: Date | null;
  result_video_id: number | null;
}

export interface EncodingJobsTable {
  id: string;
  video_id: number;
  source_key: string;
  state: ColumnType<'queued' | 'processing' | 'done' | 'error' | 'cancelled', string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: ColumnType<number, number | undefined, number>;
  run_after: Generated<Date>;
  locked_by: string | null;
  locked_until: Date | null;
  progress: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
