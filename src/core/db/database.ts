// The Kysely view of the whole schema. Each capability declares its own
// tables next to its queries; this file only assembles them.
import type { Generated } from 'kysely';

export interface SchemaMigrationsTable {
  version: string;
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface Database {
  schema_migrations: SchemaMigrationsTable;
}
