// `npm test` (after the typecheck): runs the whole suite on embedded PGlite,
// then again on real PostgreSQL when one is reachable (TEST_POSTGRES_URL, or
// 127.0.0.1:5432 as on CI's machine). A machine without PostgreSQL still
// runs and passes the PGlite pass.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const files = process.argv.slice(2);
const pattern = files.length ? files : ['src/**/*.test.ts'];
const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 1000 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

function run(label: string, env: NodeJS.ProcessEnv): boolean {
  console.log(`\n=== test pass: ${label} ===`);
  // Two files at a time on two cores: the suite is CPU-bound (three gave 18 min 23 s against 18 min 32 s).
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const result = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...pattern],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  );
  return result.status === 0;
}

const results: [string, boolean][] = [];
const { TEST_POSTGRES_URL: _ignored, ...baseEnv } = process.env;
// Every PGlite test app starts from one migrated database made here (initdb once, not once per app).
const template = path.join(mkdtempSync(path.join(tmpdir(), 'pod-test-')), 'pglite-template.tar');
const made = spawnSync(process.execPath, ['src/test-support/pglite-template.ts', template], { stdio: 'inherit' });
if (made.status !== 0) console.log('The PGlite template could not be made: each test app runs initdb.');
results.push(['pglite', run('embedded PGlite', { ...baseEnv, TEST_POSTGRES_URL: '', ...(made.status === 0 ? { TEST_PGLITE_TEMPLATE: template } : {}) })]);
rmSync(path.dirname(template), { recursive: true, force: true });

let pgUrl = process.env.TEST_POSTGRES_URL;
if (!pgUrl && process.env.TEST_SKIP_POSTGRES !== '1' && (await reachable('127.0.0.1', 5432))) pgUrl = DEFAULT_PG;
if (pgUrl) results.push(['postgres', run(`PostgreSQL (${new URL(pgUrl).host})`, { TEST_POSTGRES_URL: pgUrl })]);
else console.log('\nPostgreSQL not reachable on 127.0.0.1:5432 and TEST_POSTGRES_URL unset: PostgreSQL pass skipped.');

console.log('\n=== summary ===');
for (const [name, ok] of results) console.log(`${name}: ${ok ? 'passed' : 'FAILED'}`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
