import type { Generated } from 'kysely';

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
