// What a crash loses of the views, measured on the real entry point (a child
// process, as `npm start` runs): views accepted by a node are written every
// VIEW_FLUSH_INTERVAL_MS, so a SIGKILL loses at most those of the last
// interval; a SIGTERM (graceful stop) writes them all. On PGlite (on disk)
// and on PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { migrate } from '../core/db/migrate.ts';
import { startServerProcess, type ServerProcess } from '../test-support/server-process.ts';
import { createTestDatabase, TEST_POSTGRES_URL } from '../test-support/test-app.ts';

const FLUSH_MS = 200;

describe('views across a crash and a graceful stop', () => {
  let dir: string;
  let env: Record<string, string>;
  let dropDb: (() => Promise<void>) | undefined;
  let videoId: number;
  let server: ServerProcess | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-views-crash-'));
    const db = TEST_POSTGRES_URL ? await createTestDatabase(TEST_POSTGRES_URL) : undefined;
    dropDb = db?.drop;
    env = {
      ...(db ? { DATABASE_URL: db.url } : { PGLITE_DATA_DIR: path.join(dir, 'pgdata') }),
      MEDIA_DIR: path.join(dir, 'media'), SECRET_KEY: 'crash-test-secret-key-0123456789-abcdef',
      VIEW_FLUSH_INTERVAL_MS: String(FLUSH_MS), VIEW_DEDUP_WINDOW_S: '3600',
    };
    // Fixture: one published video, written before the server starts.
    const handle = await openDatabase(loadConfig(env));
    await migrate(handle);
    const user = await handle.db.insertInto('users').values({ username: 'teacher', password_hash: null }).returning('id').executeTakeFirstOrThrow();
    const video = await handle.db.insertInto('videos').values({ slug: '0001-crash', title: 'Crash', owner_id: user.id, is_draft: false, ready_at: new Date(), encoding_status: 'ready' })
      .returning('id').executeTakeFirstOrThrow();
    videoId = Number(video.id);
    await handle.close();
  });
  after(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    await dropDb?.();
    await rm(dir, { recursive: true, force: true });
  });

  const register = async (n: number, tag: string) => {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${server!.url}/api/v1/videos/${videoId}/views`, { method: 'POST', headers: { 'user-agent': `Mozilla/5.0 Firefox/128.0 ${tag}-${i}` } });
      assert.equal(res.status, 202);
    }
  };
  const count = async () => ((await (await fetch(`${server!.url}/api/v1/videos/${videoId}`)).json()) as { data: { views: number } }).data.views;
  /** Waits until the count reaches `n` (the flush is the event; polled every 20 ms, at most 10 s). */
  async function until(n: number) {
    const deadline = Date.now() + 10_000;
    while ((await count()) < n) {
      if (Date.now() > deadline) throw new Error(`views stayed at ${await count()}, expected ${n}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a SIGKILL loses at most the last interval; a SIGTERM loses nothing', { timeout: 90_000 }, async (t) => {
    server = await startServerProcess(env);
    await register(5, 'flushed');
    await until(5);

    // Accepted, then the process dies before its next flush can run.
    await register(3, 'in-flight');
    server.child.kill('SIGKILL');
    await server.exited;
    server = await startServerProcess(env);
    const afterCrash = await count();
    assert.ok(afterCrash >= 5 && afterCrash <= 8, `written views survive, at most the last interval is lost (got ${afterCrash})`);
    t.diagnostic(`SIGKILL within ${FLUSH_MS} ms of 3 accepted views: ${8 - afterCrash} of them lost`);

    await register(4, 'graceful');
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const stopLogs = server.logs.join('');
    server = await startServerProcess(env);
    assert.equal(await count(), afterCrash + 4, `a graceful stop writes every accepted view\n${stopLogs.slice(-3000)}`);
  });
});
