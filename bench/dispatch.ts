// `npm run bench:dispatch` — (1) latency from upload completion to the job
// being accepted by an idle, long-polling encoder (database clock: uploads.
// completed_at → encoding_leases.created_at), p50/p99 over N uploads; goal
// (issue E) p99 ≤ 100 ms; (2) signed encoder callbacks handled per second.
// Needs PostgreSQL (BENCH_PG_URL, default 127.0.0.1:5432). Env: BENCH_UPLOADS.
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { wavBuffer } from '../src/test-support/media.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { reachable, startServer, summary, table } from './lib.ts';

const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!(await reachable(new URL(adminUrl).hostname, Number(new URL(adminUrl).port || 5432)))) {
  console.error('PostgreSQL is not reachable; set BENCH_PG_URL.');
  process.exit(2);
}
const N = Number(process.env.BENCH_UPLOADS ?? 100);
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'bench-registration-token-0123456789';
const dir = await mkdtemp(path.join(tmpdir(), 'pod-bench-dispatch-'));
const db = await createTestDatabase(adminUrl);
const env = {
  DATABASE_URL: db.url, LOG_LEVEL: 'warn', MEDIA_DIR: path.join(dir, 'media'), UPLOAD_QUOTA_BYTES: '0', AUTH_RATE_LIMIT_MAX: '100000',
  SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION,
};
const cli = spawnSync(process.execPath, [fileURLToPath(new URL('../src/users/create-superuser-cli.ts', import.meta.url)), '--username', 'bench', '--password', 'bench password'], { env: { ...process.env, ...env } });
if (cli.status !== 0) throw new Error(String(cli.stderr));
const api = await startServer(fileURLToPath(new URL('../src/main.ts', import.meta.url)), env, '/api/v1/health');
const post = async (p: string, body: unknown, headers: Record<string, string> = {}) =>
  (await fetch(`${api.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).json() as Promise<any>;
const token = (await post('/api/v1/auth/token', { username: 'bench', password: 'bench password' })).data.access_token;
const encoder = { 'x-encoder-token': (await post('/api/v1/encoders/register', { registration_token: REGISTRATION, name: 'bench' })).data.token };

// (1) An idle encoder is long-polling when each upload completes.
const wav = wavBuffer(64 * 1024);
const jobs: { video_id: number; job_id: string }[] = [];
for (let i = 0; i < N; i++) {
  const claim = post('/api/v1/encoders/jobs/claim', { wait_s: 10 }, encoder);
  await new Promise((r) => setTimeout(r, 20)); // the claim is waiting
  const res = await fetch(`${api.url}/api/v1/uploads/`, {
    method: 'POST', body: wav,
    headers: {
      authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': String(wav.length),
      'upload-metadata': `filename ${Buffer.from(`b${i}.wav`).toString('base64')}`, 'content-type': 'application/offset+octet-stream',
    },
  });
  if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
  const job = (await claim).data;
  if (!job) throw new Error(`claim ${i} got no job`);
  jobs.push({ video_id: job.video_id, job_id: job.job_id });
}
const client = new pg.Client({ connectionString: db.url });
await client.connect();
const { rows } = await client.query<{ ms: number }>(`
  select extract(epoch from (l.created_at - u.completed_at)) * 1000 as ms
    from uploads u join encoding_leases l on l.video_id = u.result_video_id order by 1`);
await client.end();
const ms = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
const pct = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)]!;

// (2) Signed callbacks, 20 in flight, 5 s: progress events on the claimed jobs.
const webhook = new Webhook(SECRET);
let handled = 0;
let failed = 0;
const until = Date.now() + 5000;
const started = Date.now();
await Promise.all(Array.from({ length: 20 }, async (_, w) => {
  for (let n = 0; Date.now() < until; n++) {
    const job = jobs[(w + n * 20) % jobs.length]!;
    const body = JSON.stringify({ type: 'encoding.processing', video_id: job.video_id, job_id: job.job_id, progress: Math.min(99, n % 100) });
    const id = `evt_${randomUUID()}`;
    const now = new Date();
    const res = await fetch(`${api.url}/api/v1/internal/encoding-callback`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': webhook.sign(id, now, body) },
    });
    await res.arrayBuffer();
    if (res.status === 200) handled++;
    else failed++;
  }
}));
const perSecond = handled / ((Date.now() - started) / 1000);
await api.stop();
await db.drop();
await rm(dir, { recursive: true, force: true });

console.log(table([
  [`upload completion → job accepted by an idle encoder (${N} uploads)`, pct(50).toFixed(1), pct(99).toFixed(1), ms.at(-1)!.toFixed(1), '≤ 100 ms p99'],
], ['measure', 'p50 ms', 'p99 ms', 'max ms', 'goal']));
console.log();
console.log(table([[`signed encoder callbacks (20 in flight, 5 s)`, perSecond.toFixed(0), String(failed)]], ['measure', 'per second', 'non-200']));
summary(`upload completion → job accepted by an idle encoder, p99 (${N} uploads)`, `${pct(99).toFixed(1)} ms`, '100 ms (goal)', pct(99) / 100);
summary('signed encoder callbacks handled (20 in flight)', `${perSecond.toFixed(0)} /s`, '-', null);
