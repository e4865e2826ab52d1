import type { Generated } from 'kysely';

export interface PositionTables {
  video_positions: { user_id: number; video_id: number; position_s: number; updated_at: Generated<Date> };
}
