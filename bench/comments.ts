// `npm run bench:comments` — the comments of a popular lecture on
// PostgreSQL: one public video with 10,000 top-level comments (votes
// spread over them) and 2,000 replies to its first one. Read at 20
// connections: the first page anonymously and signed in (has_voted), a deep
// page through its cursor, the most-voted first, the replies; written: new
// comments from one signed-in user (the rate limit raised for the run). Each
// next to the anonymous first page of GET /videos on the same server in the
// same run (the baseline: a cached listing, the API's fastest JSON path).
// Env: BENCH_PG_URL (admin URL), BENCH_DURATION (s per run, default 10), BENCH_COMMENTS (default 10000).
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/core/db/engine.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { encodeCursor } from '../src/core/pagination.ts';
import { hashPassword } from '../src/auth/passwords.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { seed } from '../scripts/seed.ts';
import { load, ratio, benchPostgresUrl, startServer, summary, table } from './lib.ts';

const adminUrl = await benchPostgresUrl();
const size = Number(process.env.BENCH_COMMENTS ?? 10_000);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const db = await createTestDatabase(adminUrl);
const client = new pg.Client({ connectionString: db.url });
try {
  const handle = await openDatabase(loadConfig({ DATABASE_URL: db.url }));
  await migrate(handle);
  await seed(handle, { videos: 200, users: 1000, search: false });
  await handle.close();
  await client.connect();
  const video = Number((await client.query<{ id: string }>(`select id from videos where ready_at is not null and not is_draft and not is_restricted
    and not has_groups and password_hash is null and deleted_at is null order by id limit 1`)).rows[0]!.id);
  // Comments by the seeded users, a few minutes apart; replies to the first; votes: comment i gets i % 7 of them.
  await client.query(`insert into video_comments (video_id, author_id, text, created_at)
    select $1, u.id, 'Commentaire numéro ' || g || ' : une question sur le cours, avec un peu de **Markdown**.', now() - (g || ' minutes')::interval
    from generate_series(1, $2::int) g join lateral (select id from users where username like 'seed%' order by id offset (g % 1000) limit 1) u on true`, [video, size]);
  const first = Number((await client.query<{ id: string }>('select min(id) as id from video_comments where video_id = $1', [video])).rows[0]!.id);
  await client.query(`insert into video_comments (video_id, author_id, parent_id, text)
    select $1, u.id, $2, 'Réponse ' || g from generate_series(1, 2000) g
    join lateral (select id from users where username like 'seed%' order by id offset (g % 1000) limit 1) u on true`, [video, first]);
  await client.query(`insert into video_comment_votes (comment_id, user_id)
    select c.id, u.id from video_comments c join lateral (select id from users where username like 'seed%' order by id limit (c.id % 7)) u on true
    where c.video_id = $1`, [video]);
  await client.query('update video_comments c set votes = (select count(*) from video_comment_votes v where v.comment_id = c.id) where video_id = $1', [video]);
  const deep = Number((await client.query<{ id: string }>('select id from video_comments where video_id = $1 and parent_id is null order by id offset $2 limit 1', [video, Math.floor(size * 0.9)])).rows[0]!.id);
  await client.query('update users set password_hash = $1 where username = $2', [await hashPassword('bench password'), 'seed1']);
  await client.query('analyze');
  console.error(`video ${video}: ${size} comments, 2000 replies, ${(await client.query('select count(*) from video_comment_votes')).rows[0].count} votes`);

  const api = await startServer(main, {
    DATABASE_URL: db.url, LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_POOL_MAX: '10',
    SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', COMMENT_RATE_LIMIT_MAX: '100000000', AUTH_RATE_LIMIT_MAX: '1000',
  }, '/api/v1/health');
  const token = (await (await fetch(`${api.url}/api/v1/auth/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'seed1', password: 'bench password' }),
  })).json() as { data: { access_token: string } }).data.access_token;
  const bearer = { authorization: `Bearer ${token}` };
  const comments = `${api.url}/api/v1/videos/${video}/comments`;

  const baseline = await load(`${api.url}/api/v1/videos?limit=20`, { duration: 2 }).then(() => load(`${api.url}/api/v1/videos?limit=20`, { duration }));
  const cases: [string, string, Record<string, string>][] = [
    ['GET …/chapters — the same access check, an empty list (the floor of any per-video read)', `${api.url}/api/v1/videos/${video}/chapters`, {}],
    ['GET …/comments?limit=20 — anonymous, first page', `${comments}?limit=20`, {}],
    ['GET …/comments?limit=20 — signed in (has_voted)', `${comments}?limit=20`, bearer],
    [`GET …/comments?limit=20&cursor=… — the page after comment ${Math.floor(size * 0.9).toLocaleString('en')}`, `${comments}?limit=20&cursor=${encodeCursor([deep])}`, {}],
    ['GET …/comments?sort=top&limit=20 — most voted first', `${comments}?sort=top&limit=20`, {}],
    ['GET …/comments?parent=…&limit=20 — 2,000 replies, first page', `${comments}?parent=${first}&limit=20`, {}],
  ];
  const rows: (string | number)[][] = [['GET /api/v1/videos?limit=20 — anonymous, first page (baseline)', baseline.rps, baseline.p50, baseline.p99, '1']];
  for (const [label, url, headers] of cases) {
    const r = await load(url, { headers, duration });
    if (r.non2xx || r.errors) console.error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    rows.push([label, r.rps, r.p50, r.p99, ratio(r.rps / baseline.rps)]);
    summary(`comments: ${label}`, `${Math.round(r.rps)} req/s`, `${Math.round(baseline.rps)} req/s (GET /videos)`, r.rps / baseline.rps);
  }
  const before = Number((await client.query('select count(*) from video_comments')).rows[0].count);
  const posted = await autocannon({
    url: comments, method: 'POST', duration, connections: 20,
    headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Un commentaire de charge, sans HTML.' }),
  });
  // Requests still in flight when the load stopped finish first; then one snapshot reads the count and the rows.
  await new Promise((r) => setTimeout(r, 1000));
  const after = (await client.query<{ total: string; counted: number; visible: string }>(`select (select count(*) from video_comments) as total,
    (select comments from video_view_counts where video_id = $1) as counted,
    (select count(*) from video_comments where video_id = $1 and hidden_at is null) as visible`, [video])).rows[0]!;
  const stored = Number(after.total) - before;
  const count = Number(after.counted), expected = Number(after.visible);
  rows.push([`POST …/comments — one signed-in user, 20 connections (${stored} stored, ${posted.non2xx} non-2xx; comment_count ${count === expected ? 'exact' : `${count} ≠ ${expected}`})`,
    posted.requests.average, posted.latency.p50, posted.latency.p99, ratio(posted.requests.average / baseline.rps)]);
  summary('comments: POST a comment', `${Math.round(posted.requests.average)} req/s`, `${Math.round(baseline.rps)} req/s (GET /videos)`, posted.requests.average / baseline.rps);
  await api.stop();
  console.log(`\n### Comments (PostgreSQL, ${size.toLocaleString('en')} comments on one video, 20 connections, ${duration} s per run)\n`);
  console.log(table(rows, ['Request', 'req/s', 'p50 ms', 'p99 ms', '× baseline']));
} finally {
  await client.end().catch(() => {});
  await db.drop();
}
