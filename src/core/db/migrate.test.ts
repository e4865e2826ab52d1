// Migrations run on the configured engine (PGlite or PostgreSQL): applied
// once, recorded, idempotent, and an edited applied file is refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../config.ts';
import { openDatabase, type DatabaseHandle } from './engine.ts';
import { migrate, readMigrations } from './migrate.ts';
import { ENGINE, openTestDatabase } from '../../test-support/test-app.ts';

const execFileP = promisify(execFile);

describe('migrations', () => {
  let handle: DatabaseHandle;
  let closeDb: () => Promise<void>;
  let dir: string;
  before(async () => {
    ({ handle, close: closeDb } = await openTestDatabase());
    dir = await mkdtemp(path.join(tmpdir(), 'pod-migrations-'));
    await writeFile(path.join(dir, '0001_first.sql'), 'create table a (id int primary key);\ninsert into a values (1);');
    await writeFile(path.join(dir, '0002_second.sql'), "create table b (v text); insert into b values ('x;y');");
    await writeFile(path.join(dir, 'README.md'), 'not a migration');
  });
  after(async () => {
    await closeDb();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies pending multi-statement files in order, once', async () => {
    assert.deepEqual(await migrate(handle, dir), ['0001_first', '0002_second']);
    assert.deepEqual(await migrate(handle, dir), []);
    const rows = await sql<{ v: string }>`select v from b`.execute(handle.db);
    assert.deepEqual(rows.rows, [{ v: 'x;y' }]);
  });

  it('rolls back a failing migration entirely', async () => {
    await writeFile(path.join(dir, '0003_broken.sql'), 'create table c (id int); select * from no_such_table;');
    await assert.rejects(migrate(handle, dir), /no_such_table/);
    const exists = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name = 'c'`.execute(handle.db);
    assert.equal(exists.rows[0]!.n, 0);
    await rm(path.join(dir, '0003_broken.sql'));
  });

  it('refuses an applied migration whose file was edited', async () => {
    await writeFile(path.join(dir, '0001_first.sql'), 'create table a (id bigint primary key);');
    await assert.rejects(migrate(handle, dir), /0001_first was edited/);
  });

});

describe('project migrations', () => {
  it('apply cleanly on this engine, then are up to date', async () => {
    const db = await openTestDatabase();
    try {
      const files = await readMigrations();
      assert.ok(files.length >= 1);
      assert.equal((await migrate(db.handle)).length, files.length);
      assert.deepEqual(await migrate(db.handle), []);
    } finally {
      await db.close();
    }
  });
});

describe('an embedded (PGlite) database', { skip: ENGINE === 'pglite' ? undefined : 'PGlite only' }, () => {
  // One migrated database, used only through PGlite itself (no Kysely query), dumped, then closed.
  let migrated: Awaited<ReturnType<typeof openTestDatabase>>;
  let dump: Blob;
  before(async () => {
    migrated = await openTestDatabase();
    await migrate(migrated.handle);
    await migrated.handle.pglite!.query(`insert into schema_migrations (version, name, checksum) values ('9999', 'marker', 'x')`);
    dump = await migrated.handle.pglite!.dumpDataDir('none');
    await migrated.close();
  });

  it('closes with its handle even when only migrations ran (no Kysely query)', () => {
    // Left open, its Postgres idle timer held every script and test process alive ≈ 10 s after close.
    assert.equal(migrated.handle.pglite!.closed, true);
  });

  it('`npm run migrate` on a data directory exits after each run, the second finding nothing to do', async () => {
    // Before the handle closed its instance, the first run lingered ≈ 10 s and the second never exited.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pod-migrate-cli-'));
    const run = () => execFileP(process.execPath, [fileURLToPath(new URL('./migrate-cli.ts', import.meta.url))], {
      env: { ...process.env, PGLITE_DATA_DIR: path.join(dataDir, 'pgdata'), DATABASE_URL: '' }, timeout: 60_000,
    });
    try {
      assert.match((await run()).stdout, /Applied \d+ migration\(s\): 0001_foundation/);
      assert.match((await run()).stdout, /Database is up to date\. \(pglite\)/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('starts from a dump of a migrated database: schema and rows are there, nothing left to apply', async () => {
    const loaded = await openDatabase(loadConfig({ PGLITE_DATA_DIR: 'memory://' }), undefined, { pgliteDataDir: dump });
    try {
      assert.deepEqual(await migrate(loaded), []);
      const marker = await sql<{ name: string }>`select name from schema_migrations where version = '9999'`.execute(loaded.db);
      assert.deepEqual(marker.rows, [{ name: 'marker' }]);
    } finally {
      await loaded.close();
    }
  });
});
