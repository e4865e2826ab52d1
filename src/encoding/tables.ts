import type { Generated } from 'kysely';

export interface EncodingEventsTable {
  id: string;
  video_id: number;
  job_id: string;
  type: string;
  applied: boolean;
  received_at: Generated<Date>;
}

export interface EncodersTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

export interface EncodingLeasesTable {
  job_id: string;
  /** One per hand-out (attempt); the job's file URLs are bound to it. */
  lease_id: Generated<string>;
  video_id: number;
  encoder_id: string;
  lease_until: Date;
  created_at: Generated<Date>;
}
