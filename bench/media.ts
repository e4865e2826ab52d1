// `npm run bench:media` — HLS segment throughput of a private video's signed
// URLs, served (1) by the API process itself (MEDIA_SERVE_MODE=app), directly
// and behind nginx as a plain proxy, and (2) by nginx after the API's
// X-Accel-Redirect (MEDIA_SERVE_MODE=x-accel), next to (3) the baseline:
// nginx serving the same file straight from disk, no check — all in the same
// run, same file, same load (autocannon, this process; the servers are
// separate processes; 2 cores shared by all). Needs nginx and PostgreSQL
// (BENCH_PG_URL, default 127.0.0.1:5432). Env: BENCH_SEGMENT_BYTES (2 MiB),
// BENCH_DURATION (10 s), BENCH_CONNECTIONS (20).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { hashPassword } from '../src/auth/passwords.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/engine.ts';
import { createStorage } from '../src/core/storage/index.ts';
import { markEncoded } from '../src/test-support/encoded.ts';
import { nginxUnavailable, startNginx } from '../src/test-support/nginx.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import type { TestApp } from '../src/test-support/test-app.ts';
import { ratio, reachable, startServer, summary, table } from './lib.ts';

const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const noNginx = nginxUnavailable();
if (noNginx) {
  console.error(`${noNginx}; this benchmark compares against nginx.`);
  process.exit(2);
}
if (!(await reachable(new URL(adminUrl).hostname, Number(new URL(adminUrl).port || 5432)))) {
  console.error('PostgreSQL is not reachable; set BENCH_PG_URL.');
  process.exit(2);
}
const SEGMENT = Number(process.env.BENCH_SEGMENT_BYTES ?? 2 * 1024 * 1024);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const dir = await mkdtemp(path.join(tmpdir(), 'pod-bench-media-'));
const db = await createTestDatabase(adminUrl);
const env = {
  DATABASE_URL: db.url, LOG_LEVEL: 'warn', MEDIA_DIR: path.join(dir, 'media'), AUTH_RATE_LIMIT_MAX: '100000',
  SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop',
};
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const appMode = await startServer(main, { ...env, MEDIA_SERVE_MODE: 'app' }, '/api/v1/ready');
const accelMode = await startServer(main, { ...env, MEDIA_SERVE_MODE: 'x-accel', MIGRATE_ON_START: 'false' }, '/api/v1/ready');
const nginx = await startNginx({ upstream: accelMode.url, mediaDir: env.MEDIA_DIR, direct: true });
const proxy = await startNginx({ upstream: appMode.url, mediaDir: env.MEDIA_DIR });

// A superuser, a draft (private) video, and its files (the test fixture's HLS ladder, big segments).
const config = loadConfig(env);
const handle = await openDatabase(config);
const storage = await createStorage(config);
await handle.db.insertInto('users').values({ username: 'bench', email: '', password_hash: await hashPassword('bench password'), is_superuser: true, is_staff: true, is_active: true }).execute();
const login = await fetch(`${appMode.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench password' }) });
const auth = { authorization: `Bearer ${((await login.json()) as { data: { access_token: string } }).data.access_token}` };
const created = await fetch(`${appMode.url}/api/v1/videos`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'bench', is_draft: true }) });
const video = ((await created.json()) as { data: { id: number; slug: string } }).data;
await markEncoded({ app: { storage, dbh: handle } } as unknown as TestApp, video.id, { segmentBytes: SEGMENT });
await handle.close();

const segmentUrl = async (base: string) => {
  const cfg = (await (await fetch(`${base}/api/v1/videos/${video.slug}/config`, { headers: auth })).json()) as { data: { hls: { renditions: { url: string }[] } } };
  // Media URLs are absolute on PUBLIC_URL; each case reaches the same path through its own server.
  const { pathname } = new URL(cfg.data.hls.renditions[0]!.url);
  return `${base}${pathname.replace('360p.m3u8', '360p_0000.ts')}`;
};

async function measure(url: string) {
  const check = await fetch(url);
  const bytes = (await check.arrayBuffer()).byteLength;
  if (check.status !== 200 || bytes !== SEGMENT) throw new Error(`${url}: ${check.status}, ${bytes} bytes`);
  await autocannon({ url, duration: 2, connections: CONNECTIONS }); // warm-up (JIT, page cache, keep-alive pools)
  const r = await autocannon({ url, duration: DURATION, connections: CONNECTIONS });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { mibps: r.throughput.average / 1024 / 1024, rps: r.requests.average, p99: r.latency.p99 };
}

const cases: [string, string][] = [
  ['nginx serves the file directly, no check (baseline)', `${nginx.url}/_direct/encodings/${video.id}/hls/360p_0000.ts`],
  ['x-accel: API checks the signed URL, nginx sends the file', await segmentUrl(nginx.url)],
  ['app: the API streams the file (direct)', await segmentUrl(appMode.url)],
  ['app: the API streams the file, behind nginx as a proxy', await segmentUrl(proxy.url)],
];
const rows: (string | number)[][] = [];
let baseline = 0;
for (const [name, url] of cases) {
  const m = await measure(url);
  baseline ||= m.mibps;
  rows.push([name, m.mibps, Math.round(m.rps), m.p99, ratio(m.mibps / baseline)]);
  if (rows.length > 1) summary(`media segment: ${name}`, `${m.mibps.toFixed(0)} MiB/s`, `${baseline.toFixed(0)} MiB/s (nginx direct)`, m.mibps / baseline);
}

await nginx.stop();
await proxy.stop();
await appMode.stop();
await accelMode.stop();
await db.drop();
await rm(dir, { recursive: true, force: true });

console.log(table(rows, [`GET a ${(SEGMENT / 1024 / 1024).toFixed(1)} MiB segment, ${CONNECTIONS} connections, ${DURATION} s`, 'MiB/s', 'req/s', 'p99 ms', 'ratio to nginx direct']));
