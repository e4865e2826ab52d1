// `npm run bench:views` — view registration, the platform's hottest write:
// 64 connections POSTing /videos/{id}/views (every request a new viewer, so
// every one is counted) on one video, then spread over 10,000 videos, on
// PostgreSQL, next to the anonymous first page of GET /videos on the same
// server in the same run (the target: ≥ 0.5× its req/s). During each run the
// lock waits are sampled every 100 ms (pg_locks not granted); after it, the
// counts are checked exact once the last flush has run.
// Env: BENCH_PG_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 64), BENCH_VIDEOS (default 10000).
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/engine.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { seed } from '../scripts/seed.ts';
import { load, ratio, reachable, startServer, summary, table } from './lib.ts';

const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!(await reachable(new URL(adminUrl).hostname, Number(new URL(adminUrl).port || 5432)))) {
  console.error(`PostgreSQL is not reachable at ${new URL(adminUrl).host}; set BENCH_PG_URL.`);
  process.exit(2);
}
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const size = Number(process.env.BENCH_VIDEOS ?? 10_000);
const FLUSH_MS = 2000;
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const db = await createTestDatabase(adminUrl);
const client = new pg.Client({ connectionString: db.url });
try {
  const handle = await openDatabase(loadConfig({ DATABASE_URL: db.url }));
  await migrate(handle);
  await seed(handle, { videos: size, users: 500, search: false });
  await handle.close();
  await client.connect();
  // The videos anonymous viewers may watch (the seed makes some drafts, restricted or protected).
  const open = (await client.query<{ id: string }>(`select id from videos where ready_at is not null and not is_draft and not is_restricted
    and not has_groups and password_hash is null and deleted_at is null order by id`)).rows.map((r) => Number(r.id));
  const spread = open.slice(0, size);
  console.error(`seeded ${size} videos, ${open.length} open to anonymous viewers; ${spread.length} take views`);

  const api = await startServer(main, {
    DATABASE_URL: db.url, LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_POOL_MAX: '10',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', VIEW_FLUSH_INTERVAL_MS: String(FLUSH_MS),
  }, '/api/v1/health');
  const rows: (string | number)[][] = [];

  // Warm-up of both paths (JIT, pools, caches).
  await load(`${api.url}/api/v1/videos?limit=20`, { connections, duration: 2 });
  await autocannon({ url: `${api.url}/api/v1/videos/${spread[1]}/views`, method: 'POST', connections, duration: 2, headers: { 'user-agent': 'Mozilla/5.0 Firefox/128.0 warm-up' } });
  const list = await load(`${api.url}/api/v1/videos?limit=20`, { connections, duration });
  rows.push(['GET /api/v1/videos?limit=20 — anonymous, first page (baseline)', list.rps, list.p50, list.p99, '-', '-', '1']);

  const acceptedSoFar = async () => Number(/^pod_views_accepted_total (\d+)$/m.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1] ?? NaN);
  const total = async () => Number((await client.query<{ n: string }>('select coalesce(sum(views), 0)::bigint as n from video_view_counts')).rows[0]!.n);
  let viewer = 0;
  for (const [label, targets] of [['one video', [spread[0]!]], [`${spread.length.toLocaleString('en')} videos`, spread]] as const) {
    const before = await total();
    const acceptedBefore = await acceptedSoFar();
    let maxWaiting = 0;
    const sampler = setInterval(() => {
      void client.query<{ n: string }>('select count(*)::int as n from pg_locks where not granted').then((r) => {
        maxWaiting = Math.max(maxWaiting, Number(r.rows[0]!.n));
      }, () => {});
    }, 100);
    const result = await autocannon({
      url: api.url, connections, duration,
      requests: [{
        method: 'POST', path: '/',
        // Each request a new viewer (agent), round-robin over the targets: every view should count.
        setupRequest: (req: Record<string, any>) => {
          const n = viewer++;
          return { ...req, path: `/api/v1/videos/${targets[n % targets.length]}/views`, headers: { ...req.headers, 'user-agent': `Mozilla/5.0 Firefox/128.0 bench-${n}` } };
        },
      }],
    });
    clearInterval(sampler);
    // Accepted by the server (its own counter: a request in flight when the load stopped was still served).
    const accepted = (await acceptedSoFar()) - acceptedBefore;
    // The last views are written by the next flush: wait for it (at most 3 intervals).
    const deadline = Date.now() + 3 * FLUSH_MS;
    let counted = (await total()) - before;
    while (counted < accepted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      counted = (await total()) - before;
    }
    if (result.non2xx || result.errors) console.error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    const rps = result.requests.average;
    rows.push([`POST /api/v1/videos/{id}/views — ${label}`, rps, result.latency.p50, result.latency.p99, maxWaiting, `${counted} / ${accepted} (${result['2xx']} answered in time)`, ratio(rps / list.rps)]);
    summary(`register views (${label}), ${connections} conn.`, `${Math.round(rps)} req/s, p99 ${result.latency.p99} ms; counted ${counted} of ${accepted}; lock waits ≤ ${maxWaiting}`,
      `${Math.round(list.rps)} req/s (anonymous first page of /videos)`, rps / list.rps);
  }
  await api.stop();
  console.log(table(rows, ['measure', 'req/s', 'p50 ms', 'p99 ms', 'most lock waits seen', 'views counted / accepted', 'ratio to the listing']));
} finally {
  await client.end().catch(() => {});
  await db.drop();
}
