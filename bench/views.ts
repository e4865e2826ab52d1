// `npm run bench:views` — view registration, the platform's hottest write:
// 64 connections POSTing /videos/{id}/views (every request a new viewer, so
// every one is counted) on one video, then spread over 10,000 videos, on
// PostgreSQL, next to the anonymous first page of GET /videos on the same
// server in the same run (the target: ≥ 0.5× its req/s). During each run the
// lock waits are sampled every 100 ms (pg_locks not granted); after it, the
// counts are checked exact once the last flush has run.
// The load comes from wrk (Debian package `wrk`), for the listing and the views
// alike: the views need a new user agent per request, which autocannon builds in
// JavaScript on the same two cores as the server, while it sends the listing's
// request as is; wrk builds both in C and Lua.
// Env: BENCH_PG_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 64),
// BENCH_VIDEOS (default 10000), BENCH_FLUSH_MS (the server's VIEW_FLUSH_INTERVAL_MS, default 2000).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/engine.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { seed } from '../scripts/seed.ts';
import { ratio, benchPostgresUrl, startServer, summary, table } from './lib.ts';

const adminUrl = await benchPostgresUrl();
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const size = Number(process.env.BENCH_VIDEOS ?? 10_000);
const FLUSH_MS = Number(process.env.BENCH_FLUSH_MS ?? 2000);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed: apt-get install wrk');
  process.exit(2);
}
const scripts = mkdtempSync(path.join(tmpdir(), 'pod-bench-views-'));

/** Milliseconds from wrk's "1.23ms" / "850.00us" / "1.02s". */
const ms = (v: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  return m ? Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[m[2] as 'us' | 'ms' | 's'] : NaN;
};

/** wrk (2 threads) for `seconds` at `connections`, with an optional Lua script; req/s and latency percentiles. */
function wrk(url: string, seconds: number, lua?: string) {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (lua) {
    const file = path.join(scripts, `s${Math.random().toString(36).slice(2)}.lua`);
    writeFileSync(file, lua);
    args.push('-s', file);
  }
  const out = spawnSync('wrk', [...args, url], { encoding: 'utf8' }).stdout;
  const pct = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm').exec(out)?.[1] ?? '');
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: pct('50'), p99: pct('99'),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** A wrk script POSTing views round-robin over `ids`, each request from a new user agent (a new viewer; `tag` tells runs apart). */
const viewsScript = (ids: number[], tag: string) => `
local ids = {${ids.join(',')}}
local n = 0
local thread_id = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) thread_id = tid or 0 end
function request()
  n = n + 1
  return wrk.format("POST", "/api/v1/videos/" .. ids[(n % #ids) + 1] .. "/views", { ["User-Agent"] = "Mozilla/5.0 Firefox/128.0 bench-${tag}-" .. thread_id .. "-" .. n })
end
`;

const db = await createTestDatabase(adminUrl);
const client = new pg.Client({ connectionString: db.url });
try {
  const handle = await openDatabase(loadConfig({ DATABASE_URL: db.url }));
  await migrate(handle);
  // The seed makes about half its videos open to anonymous viewers: twice as many, to spread views over `size`.
  await seed(handle, { videos: 2 * size, users: 500, search: false });
  await handle.close();
  await client.connect();
  // The videos anonymous viewers may watch (the seed makes some drafts, restricted or protected).
  const open = (await client.query<{ id: string }>(`select id from videos where ready_at is not null and not is_draft and not is_restricted
    and not has_groups and password_hash is null and deleted_at is null order by id`)).rows.map((r) => Number(r.id));
  const spread = open.slice(0, size);
  console.error(`seeded ${2 * size} videos, ${open.length} open to anonymous viewers; ${spread.length} take views`);

  const api = await startServer(main, {
    DATABASE_URL: db.url, LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_POOL_MAX: '10',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', VIEW_FLUSH_INTERVAL_MS: String(FLUSH_MS),
  }, '/api/v1/health');
  const rows: (string | number)[][] = [];

  // Warm-up of both paths (JIT, pools, caches).
  wrk(`${api.url}/api/v1/videos?limit=20`, 2);
  wrk(api.url, 2, viewsScript([spread[1]!], 'warm-up'));
  const acceptedSoFar = async () => Number(/^pod_views_accepted_total (\d+)$/m.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1] ?? NaN);
  const total = async () => Number((await client.query<{ n: string }>('select coalesce(sum(views), 0)::bigint as n from video_view_counts')).rows[0]!.n);
  type Run = { rps: number; p50: number; p99: number };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cases = [['one video', [spread[0]!]], [`${spread.length.toLocaleString('en')} videos`, spread]] as const;
  const lists: Run[] = [];
  const views = cases.map(() => ({ runs: [] as Run[], counted: 0, accepted: 0, answered: 0, maxWaiting: 0 }));

  // Rounds (listing, then each views case): this machine's throughput drifts by ±20 % from minute to
  // minute, so the figures are medians of rounds that interleave the two.
  for (let round = 0; round < rounds; round++) {
    lists.push(wrk(`${api.url}/api/v1/videos?limit=20`, duration));
    for (const [i, [, targets]] of cases.entries()) {
      const v = views[i]!;
      const before = await total();
      const acceptedBefore = await acceptedSoFar();
      const sampler = setInterval(() => {
        void client.query<{ n: string }>('select count(*)::int as n from pg_locks where not granted').then((r) => {
          v.maxWaiting = Math.max(v.maxWaiting, Number(r.rows[0]!.n));
        }, () => {});
      }, 100);
      const result = wrk(api.url, duration, viewsScript([...targets], `${round}-${i}`));
      clearInterval(sampler);
      if (result.non2xx) console.error(`${cases[i]![0]}: ${result.non2xx} non-2xx`);
      // Accepted by the server (its own counter: a request in flight when the load stopped was still served).
      const accepted = (await acceptedSoFar()) - acceptedBefore;
      // The last views are written by the next flush: wait for it (at most 3 intervals).
      const deadline = Date.now() + 3 * FLUSH_MS;
      let counted = (await total()) - before;
      while (counted < accepted && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        counted = (await total()) - before;
      }
      v.runs.push(result);
      v.counted += counted;
      v.accepted += accepted;
      v.answered += result.requests;
    }
  }
  const list = { rps: median(lists.map((r) => r.rps)), p50: median(lists.map((r) => r.p50)), p99: median(lists.map((r) => r.p99)) };
  rows.push([`GET /api/v1/videos?limit=20 — anonymous, first page (baseline; rounds: ${lists.map((r) => Math.round(r.rps)).join(', ')})`, list.rps, list.p50, list.p99, '-', '-', '1']);
  for (const [i, [label]] of cases.entries()) {
    const v = views[i]!;
    const rps = median(v.runs.map((r) => r.rps));
    const p99 = median(v.runs.map((r) => r.p99));
    rows.push([`POST /api/v1/videos/{id}/views — ${label} (rounds: ${v.runs.map((r) => Math.round(r.rps)).join(', ')})`, rps, median(v.runs.map((r) => r.p50)), p99, v.maxWaiting,
      `${v.counted} / ${v.accepted} (${v.answered} answered in time)`, ratio(rps / list.rps)]);
    summary(`register views (${label}), ${connections} conn.`, `${Math.round(rps)} req/s, p99 ${p99} ms; counted ${v.counted} of ${v.accepted}; lock waits ≤ ${v.maxWaiting}`,
      `${Math.round(list.rps)} req/s (anonymous first page of /videos)`, rps / list.rps);
  }
  await api.stop();
  console.log(table(rows, ['measure', 'req/s', 'p50 ms', 'p99 ms', 'most lock waits seen', 'views counted / accepted', 'ratio to the listing']));
} finally {
  rmSync(scripts, { recursive: true, force: true });
  await client.end().catch(() => {});
  await db.drop();
}
