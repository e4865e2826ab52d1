import type { Generated } from 'kysely';

export interface EncodingEventsTable {
  id: string;
  video_id: number;
  job_id: string;
  type: string;
  applied: boolean;
  received_at: Generated<Date>;
}
