import type { ColumnType, Generated } from 'kysely';

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface AuditLogTable {
  id: Generated<number>;
  at: ColumnType<Date, Date | undefined, Date>;
  actor_id: number | null;
  actor_username: Defaulted<string>;
  action: string;
  target_type: Defaulted<string>;
  target_id: Defaulted<string>;
  ip: Defaulted<string>;
  request_id: Defaulted<string>;
  details: ColumnType<unknown, string | undefined, string>;
}
