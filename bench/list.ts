// `npm run bench:list` — throughput and p99 of GET /api/v1/videos at 100k
// and 1M videos on PostgreSQL, at 64 connections, next to a bare Fastify
// route answering constant JSON in the same run (the ratio is the figure
// that matters). Each case twice: as deployed (read cache on, the answer
// served from memory until a write changes it) and with READ_CACHE_ENTRIES=0
// (every request queries PostgreSQL), so both paths have a figure.
// Env: BENCH_SIZES (default "100000,1000000"), BENCH_PG_URL (admin URL,
// default postgres://postgres@127.0.0.1:5432/postgres), BENCH_DURATION (s),
// BENCH_CONNECTIONS (default 64).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/auth/passwords.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/engine.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { seed } from '../scripts/seed.ts';
import { load, ratio, benchPostgresUrl, startServer, summary, table } from './lib.ts';

const adminUrl = await benchPostgresUrl();
const sizes = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const baselineScript = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));

const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rows: (string | number)[][] = [];
const baseline = await startServer(baselineScript, {});
const base = await load(`${baseline.url}/`, { connections });
await baseline.stop();
rows.push(['bare Fastify, constant JSON (baseline)', '-', '-', base.rps, base.p50, base.p99, '1']);

for (const size of sizes) {
  const db = await createTestDatabase(adminUrl);
  try {
    const handle = await openDatabase(loadConfig({ DATABASE_URL: db.url }));
    await migrate(handle);
    const t0 = performance.now();
    // Search documents for the 100k catalogue only: computing them for 1M rows takes over 12 minutes here.
    const searchable = size <= 100_000;
    await seed(handle, { videos: size, users: 2000, search: searchable });
    const seedMs = performance.now() - t0;
    await handle.db.insertInto('users').values({ username: 'benchuser', password_hash: await hashPassword('bench password') }).execute();
    await handle.close();
    console.error(`seeded ${size} videos in ${(seedMs / 1000).toFixed(1)} s`);

    for (const cache of ['on', 'off'] as const) {
      // Request logging off (LOG_LEVEL=warn): the figure is the API's own cost.
      const api = await startServer(main, {
        DATABASE_URL: db.url, LOG_LEVEL: 'warn', NODE_ENV: 'production',
        SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', AUTH_RATE_LIMIT_MAX: '1000000', DATABASE_POOL_MAX: '10',
        ...(cache === 'off' ? { READ_CACHE_ENTRIES: '0' } : {}),
      }, '/api/v1/health');
      const login = await fetch(`${api.url}/api/v1/auth/token`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'benchuser', password: 'bench password' }),
      });
      const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
      const cases: [string, string, Record<string, string>][] = [
        ['anonymous, first page', '/api/v1/videos?limit=20', {}],
        ['signed-in, first page', '/api/v1/videos?limit=20', { authorization: `Bearer ${token}` }],
        ['anonymous, channel filter', '/api/v1/videos?limit=20&channel=seed-channel-7', {}],
        ['anonymous, sort by title', '/api/v1/videos?limit=20&sort=title', {}],
        ...(searchable ? [['anonymous, full-text search', `/api/v1/videos?limit=20&q=${encodeURIComponent('physique cours')}`, {}] as [string, string, Record<string, string>]] : []),
      ];
      if (cache === 'on' && size === sizes[0]) {
        // A ceiling for answers this size: bare Fastify sending the same bytes as the anonymous first page.
        const dir = mkdtempSync(path.join(tmpdir(), 'pod-bench-'));
        const file = path.join(dir, 'page.json');
        const page = Buffer.from(await (await fetch(`${api.url}/api/v1/videos?limit=20`)).arrayBuffer());
        writeFileSync(file, page);
        const same = await startServer(baselineScript, { BASELINE_BODY_FILE: file });
        await load(`${same.url}/`, { connections, duration: 2 });
        const r = await load(`${same.url}/`, { connections });
        await same.stop();
        rmSync(dir, { recursive: true, force: true });
        rows.push([`bare Fastify, the same bytes as the anonymous first page (${page.length.toLocaleString('en')} B; a ceiling)`, '-', '-', r.rps, r.p50, r.p99, ratio(r.rps / base.rps)]);
      }
      for (const [label, path, headers] of cases) {
        await load(`${api.url}${path}`, { headers, connections, duration: 2 }); // warm-up: JIT, pools, cache
        const r = await load(`${api.url}${path}`, { headers, connections });
        if (r.non2xx || r.errors) console.error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rows.push([`GET ${path} — ${label}`, size.toLocaleString('en'), cache, r.rps, r.p50, r.p99, ratio(r.rps / base.rps)]);
        if (cache === 'on') {
          summary(`list videos (${label}), ${size.toLocaleString('en')} videos, ${connections} conn.`, `${Math.round(r.rps)} req/s, p99 ${r.p99} ms`, `${Math.round(base.rps)} req/s (bare Fastify)`, r.rps / base.rps);
        }
      }
      await api.stop();
    }
  } finally {
    await db.drop();
  }
}

console.log(table(rows, ['measure', 'videos', 'read cache', 'req/s', 'p50 ms', 'p99 ms', 'ratio to baseline']));
