import type { Generated } from 'kysely';

export interface MigrationMapTable {
  model: string;
  old_id: string;
  new_id: string;
  imported_at: Generated<Date>;
}
