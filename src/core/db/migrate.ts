// Versioned SQL migrations (migrations/NNNN_name.sql), applied in order, each
// recorded with a checksum so an edited, already-applied file is detected.
// Kysely's Migrator is not used because it cannot run multi-statement .sql
// files on PGlite (its query path uses prepared statements); this runner uses
// each engine's script mode instead and an advisory lock so that several API
// nodes starting together apply each migration exactly once.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from './engine.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const LOCK_KEY = 7_270_011; // arbitrary, constant: "pod-api migrations"

export interface MigrationFile {
  version: string;
  name: string;
  checksum: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        checksum: createHash('sha256').update(text).digest('hex'),
        sql: text,
      };
    }),
  );
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate(handle: DatabaseHandle, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return handle.inScriptTransaction(async (s) => {
    await s.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await s.exec(`create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const applied = new Map(
      (await s.query<{ version: string; checksum: string }>('select version, checksum from schema_migrations')).map(
        (r) => [r.version, r.checksum],
      ),
    );
    const done: string[] = [];
    for (const m of migrations) {
      const known = applied.get(m.version);
      if (known !== undefined) {
        if (known !== m.checksum) {
          throw new Error(`migration ${m.version}_${m.name} was edited after being applied (checksum mismatch)`);
        }
        continue;
      }
      await s.exec(m.sql);
      await s.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      done.push(`${m.version}_${m.name}`);
    }
    return done;
  });
}
