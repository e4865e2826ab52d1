// `npm run bench:read` — the read path of one video: its detail and its
// player configuration, public and private, at 32 connections (p50, p99,
// req/s next to a bare Fastify route in the same run); then freshness across
// API nodes: two API processes on one PostgreSQL database, a write through
// the first (title change, access change, a new video becoming ready and
// public), and the time until the second one answers with it.
// Env: BENCH_PG_URL (admin URL), BENCH_DURATION (s), BENCH_VIDEOS (catalogue, default 100000), BENCH_ROUNDS (default 20).
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { hashPassword } from '../src/auth/passwords.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/engine.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { seed } from '../scripts/seed.ts';
import { load, ratio, benchPostgresUrl, startServer, summary, table } from './lib.ts';

const adminUrl = await benchPostgresUrl();
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const baselineScript = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));
const videos = Number(process.env.BENCH_VIDEOS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const connections = 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rows: (string | number)[][] = [];
const baseline = await startServer(baselineScript, {});
const base = await load(`${baseline.url}/`, { connections });
await baseline.stop();
rows.push(['bare Fastify, constant JSON (baseline)', base.rps, base.p50, base.p99, '1']);

const db = await createTestDatabase(adminUrl);
const sqlClient = new pg.Client({ connectionString: db.url });
try {
  const handle = await openDatabase(loadConfig({ DATABASE_URL: db.url }));
  await migrate(handle);
  await seed(handle, { videos, users: 2000, search: false });
  await handle.db.insertInto('users').values({ username: 'benchowner', is_staff: true, password_hash: await hashPassword('bench password') }).execute();
  await handle.close();
  await sqlClient.connect();

  const env = {
    DATABASE_URL: db.url, LOG_LEVEL: 'warn', NODE_ENV: 'production',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', AUTH_RATE_LIMIT_MAX: '1000000', DATABASE_POOL_MAX: '10',
  };
  const a = await startServer(main, env, '/api/v1/health');
  const b = await startServer(main, env, '/api/v1/health');
  try {
    const login = await fetch(`${a.url}/api/v1/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'benchowner', password: 'bench password' }),
    });
    const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const create = async (title: string, extra: Record<string, unknown>) => {
      const res = await fetch(`${a.url}/api/v1/videos`, { method: 'POST', headers: json, body: JSON.stringify({ title, ...extra }) });
      return ((await res.json()) as { data: { id: number; slug: string } }).data;
    };
    /** What the encoder's ready callback records (no files needed: the config only names them). */
    const markReady = (id: number) => sqlClient.query(`update videos set encoding_status = 'ready', encoding_progress = 100, ready_at = now(), encoding_updated_at = now(),
      duration = 600, thumbnail_url = $2, encoding_outputs = $3 where id = $1`, [id, `encodings/${id}/poster.jpg`, JSON.stringify({
      hls_master: `encodings/${id}/hls/master.m3u8`, dash_manifest: `encodings/${id}/manifest.mpd`, packaging: 'cmaf',
      renditions: [360, 720, 1080].map((h) => ({ playlist: `encodings/${id}/${h}p.m3u8`, width: Math.round(h * 16 / 9), height: h, bitrate: h * 3000, codecs: 'avc1.64001f,mp4a.40.2' })),
      mp4: [{ key: `encodings/${id}/720p.mp4`, height: 720 }], audio: { key: `encodings/${id}/audio.m4a`, codecs: 'mp4a.40.2' },
      thumbnails: [], poster: `encodings/${id}/poster.jpg`, duration: 600, subtitles: [],
    })]);
    const pub = await create('Amphi A — public lecture', { is_draft: false });
    const priv = await create('Amphi B — restricted lecture', { is_draft: false, is_restricted: true });
    await markReady(pub.id);
    await markReady(priv.id);

    const cases: [string, string, Record<string, string>][] = [
      ['detail, public video, anonymous', `/api/v1/videos/${pub.slug}`, {}],
      ['player config, public video, anonymous', `/api/v1/videos/${pub.slug}/config`, {}],
      ['detail, restricted video, signed-in', `/api/v1/videos/${priv.slug}`, auth],
      ['player config, restricted video, signed-in', `/api/v1/videos/${priv.slug}/config`, auth],
    ];
    for (const [label, path, headers] of cases) {
      await load(`${a.url}${path}`, { headers, connections, duration: 2 }); // warm-up: JIT, pools, cache
      const r = await load(`${a.url}${path}`, { headers, connections });
      if (r.non2xx || r.errors) console.error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      rows.push([`GET ${path.replace(/\/videos\/[^/]+/, '/videos/{ref}')} — ${label}`, r.rps, r.p50, r.p99, ratio(r.rps / base.rps)]);
      summary(`${label}, ${connections} conn.`, `p50 ${r.p50} ms, p99 ${r.p99} ms, ${Math.round(r.rps)} req/s`, `${Math.round(base.rps)} req/s (bare Fastify)`, r.rps / base.rps);
    }
    console.log(table(rows, ['measure', 'req/s', 'p50 ms', 'p99 ms', 'ratio to baseline']));

    // Freshness: write through A, poll B (whose cache holds the old answer) until it shows the write.
    const until = async (check: () => Promise<boolean>) => {
      const t0 = performance.now();
      while (!(await check())) {
        if (performance.now() - t0 > 10_000) return Infinity;
        await sleep(2);
      }
      return performance.now() - t0;
    };
    const onB = (path: string, headers: Record<string, string> = {}) => fetch(`${b.url}${path}`, { headers });
    const kinds: Record<string, number[]> = { 'title change (detail)': [], 'title change (first page)': [], 'made draft (anonymous detail → 404)': [], 'new video ready and public (first page)': [] };
    for (let i = 0; i < rounds; i++) {
      const title = `Amphi A — round ${i}`;
      await onB(`/api/v1/videos/${pub.slug}`);
      await onB('/api/v1/videos?limit=20');
      await fetch(`${a.url}/api/v1/videos/${pub.slug}`, { method: 'PATCH', headers: json, body: JSON.stringify({ title }) });
      kinds['title change (detail)']!.push(await until(async () => ((await (await onB(`/api/v1/videos/${pub.slug}`)).json()) as any).data?.title === title));
      kinds['title change (first page)']!.push(await until(async () => ((await (await onB('/api/v1/videos?limit=20')).json()) as any).data.some((v: any) => v.title === title)));

      await onB(`/api/v1/videos/${pub.slug}`);
      await fetch(`${a.url}/api/v1/videos/${pub.slug}`, { method: 'PATCH', headers: json, body: JSON.stringify({ is_draft: true }) });
      kinds['made draft (anonymous detail → 404)']!.push(await until(async () => (await onB(`/api/v1/videos/${pub.slug}`)).status === 404));
      await fetch(`${a.url}/api/v1/videos/${pub.slug}`, { method: 'PATCH', headers: json, body: JSON.stringify({ is_draft: false }) });

      const fresh = await create(`New lecture ${i}`, { is_draft: false });
      await onB('/api/v1/videos?limit=20');
      const t0 = performance.now();
      await markReady(fresh.id); // the encoder's callback, as another process would record it
      const seen = await until(async () => ((await (await onB('/api/v1/videos?limit=20')).json()) as any).data.some((v: any) => v.id === fresh.id));
      kinds['new video ready and public (first page)']!.push(seen === Infinity ? seen : performance.now() - t0);
    }
    const fresh: (string | number)[][] = [];
    for (const [kind, times] of Object.entries(kinds)) {
      const sorted = [...times].sort((x, y) => x - y);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const max = sorted.at(-1)!;
      fresh.push([kind, rounds, Number(median.toFixed(1)), Number(max.toFixed(1))]);
      summary(`freshness on a second API node: ${kind}`, `median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms`, 'goal ≤ 1000 ms', null);
    }
    console.log(`\nA write through one API process, read through another (${rounds} rounds):\n`);
    console.log(table(fresh, ['write', 'rounds', 'median ms until visible', 'max ms']));
  } finally {
    await a.stop();
    await b.stop();
  }
} finally {
  await sqlClient.end().catch(() => {});
  await db.drop();
}
