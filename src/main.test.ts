// The real entry point, run as `npm start` runs it: embedded defaults,
// readiness, graceful SIGTERM, restart on the same data, bad configuration.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { apiNodeFlags } from '../bench/lib.ts';
import { MAIN, startServerProcess } from './test-support/server-process.ts';
import { ENGINE_INDEPENDENT } from './test-support/passes.ts';

const startServer = startServerProcess;

// The embedded defaults in both passes: run once, in the PGlite pass.
describe('the server process (npm start)', { skip: ENGINE_INDEPENDENT }, () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('starts on embedded PGlite, answers health and readiness, logs JSON with request ids, stops on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pod-main-'));
    dirs.push(dir);
    const started = Date.now();
    const server = await startServer({ PGLITE_DATA_DIR: path.join(dir, 'pgdata') });
    const health = await fetch(`${server.url}/api/v1/health`, { headers: { 'x-request-id': 'main-test-1' } });
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "success");
    assert.ok(Date.now() - started < 30_000);
    const ready = (await (await fetch(`${server.url}/api/v1/ready`)).json()) as any;
    assert.equal(ready.data.database.engine, 'pglite');

    const logLine = server.logs.join('').split('\n').find((l) => l.includes('main-test-1'));
    assert.ok(logLine, 'the request is logged with its id');
    const parsed = JSON.parse(logLine);
    assert.equal(parsed.request_id, 'main-test-1');

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.match(server.logs.join(''), /"signal":"SIGTERM".*shutting down/);

    // Restart on the same data directory: migrations are already recorded.
    const again = await startServer({ PGLITE_DATA_DIR: path.join(dir, 'pgdata') });
    assert.doesNotMatch(again.logs.join(''), /migrations applied/);
    assert.equal((await fetch(`${again.url}/api/v1/ready`)).status, 200);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('refuses a bad configuration with a clear message and exit code 78', async () => {
    const child = spawn(process.execPath, [...apiNodeFlags(), MAIN], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'mysql://nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 78);
    assert.match(stderr, /Invalid configuration/);
    assert.match(stderr, /PORT/);
    assert.match(stderr, /DATABASE_URL/);
  });
});
