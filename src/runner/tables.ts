import type { Generated } from 'kysely';

export type RunnerTaskStatus = 'dispatching' | 'running' | 'completed' | 'imported' | 'failed' | 'timeout' | 'import_failed' | 'lost' | 'superseded';

export interface RunnerTasksTable {
  id: string;
  video_id: number;
  job_id: string | null;
  kind: 'encoding' | 'transcription';
  language: string | null;
  manager_url: string;
  task_id: string | null;
  status: RunnerTaskStatus;
  error_message: string | null;
  log_tail: string | null;
  notified_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
