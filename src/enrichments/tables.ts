// Tables of what enriches a video (migration 0014): comments and votes,
// documents, contributors, overlays, timed links, notes.
import type { ColumnType, Generated } from 'kysely';

/** numeric(10,3) seconds: read back as a string, written as a number. */
type Seconds = ColumnType<string, number, number>;

export interface EnrichmentTables {
  video_comments: {
    id: Generated<number>; video_id: number; author_id: number; parent_id: number | null; text: string;
    votes: Generated<number>; hidden_at: Date | null; edited_at: Date | null; created_at: Generated<Date>;
  };
  video_comment_votes: { comment_id: number; user_id: number };
  video_documents: {
    id: Generated<number>; video_id: number; title: string; filename: string; storage_key: string; content_type: string;
    size: ColumnType<string | number, number, number>; is_private: Generated<boolean>; created_at: Generated<Date>; updated_at: Generated<Date>;
  };
  video_contributors: { id: Generated<number>; video_id: number; name: string; role: string; email: string | null; weblink: string | null };
  video_overlays: {
    id: Generated<number>; video_id: number; title: string; time_start: Seconds; time_end: Seconds; content: string;
    position: string; background: Generated<boolean>;
  };
  video_links: { id: Generated<number>; video_id: number; url: string; label: string; time_start: Seconds };
  video_notes: {
    id: Generated<number>; video_id: number; user_id: number; time_start: ColumnType<string | null, number | null, number | null>;
    text: string; is_public: Generated<boolean>; created_at: Generated<Date>; updated_at: Generated<Date>;
  };
}
