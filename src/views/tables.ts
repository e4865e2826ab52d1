import type { ColumnType } from 'kysely';

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface ViewTables {
  video_view_counts: { video_id: number; views: Defaulted<string | number>; recent_views: Defaulted<string | number>; comments: Defaulted<number> };
  video_views_daily: { video_id: number; day: string; views: string | number };
  view_marks: { video_id: number; viewer_key: Uint8Array; counted_at: Date };
}
