// `npm run soak` — the whole platform under faults, bounded in time, on
// loopback: SOAK_UPLOADS (50) concurrent tus uploads of distinct real clips,
// each cut by random disconnects and resumed; the API SIGKILLed mid-way and
// restarted; two reference encoders (separate processes) encoding all along;
// readers hammering list, detail and config. Then: every stored source is
// byte-identical to its file, every video ends `ready` or `error` with a
// reason, no 5xx answer except 503 during the restart. Prints the figures;
// exits 1 on any violation. Uses PostgreSQL when reachable (SOAK_PG_URL),
// else the embedded PGlite. Needs ffmpeg.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';
import { apiNodeFlags, freePort, reachable } from '../bench/lib.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { makeClip } from '../src/test-support/media.ts';

const UPLOADS = Number(process.env.SOAK_UPLOADS ?? 50);
const DEADLINE_MS = Number(process.env.SOAK_DEADLINE_S ?? 600) * 1000;
const CHUNK = 128 * 1024;
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ENCODER = fileURLToPath(new URL('../src/encoder/main.ts', import.meta.url));
const CREATE_SUPERUSER = fileURLToPath(new URL('../src/users/create-superuser-cli.ts', import.meta.url));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

if (spawnSync('ffmpeg', ['-version']).status !== 0) {
  console.error('ffmpeg is not installed (apt-get install ffmpeg)');
  process.exit(2);
}
const dir = await mkdtemp(path.join(tmpdir(), 'pod-soak-'));
const pgUrl = process.env.SOAK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pg = (await reachable(new URL(pgUrl).hostname, Number(new URL(pgUrl).port || 5432))) ? await createTestDatabase(pgUrl) : undefined;
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const env: Record<string, string> = {
  ...(process.env as Record<string, string>), HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, LOG_LEVEL: 'warn',
  SECRET_KEY: 'soak-secret-key-0123456789-abcdefghijklmn', DATABASE_URL: pg?.url ?? '', PGLITE_DATA_DIR: path.join(dir, 'pgdata'),
  MEDIA_DIR: path.join(dir, 'media'), AUTH_RATE_LIMIT_MAX: '100000', UPLOAD_QUOTA_BYTES: '0', ENCODER_LEASE_S: '10', POD_API_URL: url,
};

// 1. Distinct clips (different tone per clip: different bytes).
console.log(`soak: ${UPLOADS} uploads, ${pg ? 'PostgreSQL' : 'PGlite'}`);
await mkdir(path.join(dir, 'clips'));
const clips: { file: string; sha: string; bytes: Buffer }[] = [];
for (let i = 0; i < UPLOADS; i++) {
  const file = path.join(dir, 'clips', `cours-${i}.mp4`);
  makeClip(file, { seconds: 3, size: '320x180', frequency: 200 + i * 7, bitrate: '3M' });
  const bytes = await readFile(file);
  clips.push({ file, sha: sha256(bytes), bytes });
}
console.log(`${elapsed()}: ${UPLOADS} clips generated (${(clips.reduce((n, c) => n + c.bytes.length, 0) / 1e6).toFixed(1)} MB)`);

// 2. The API (killable), two encoders, a superuser.
const cli = spawnSync(process.execPath, [CREATE_SUPERUSER, '--username', 'soak', '--password', 'soak password'], { env, encoding: 'utf8' });
if (cli.status !== 0) throw new Error(cli.stderr);
let api: ChildProcess;
let apiLog = '';
async function startApi() {
  api = spawn(process.execPath, [...apiNodeFlags(), MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  api.stdout!.on('data', (c: Buffer) => (apiLog += c));
  api.stderr!.on('data', (c: Buffer) => (apiLog += c));
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    if (api.exitCode !== null) throw new Error(`API exited:\n${apiLog}`);
    if (await fetch(`${url}/api/v1/ready`).then((r) => r.ok, () => false)) return;
  }
  throw new Error(`API not ready:\n${apiLog}`);
}
await startApi();
const encoders = [0, 1].map((i) => spawn(process.execPath, [ENCODER], { env: { ...env, ENCODER_NAME: `soak-${i}` }, stdio: 'ignore' }));
const login = await fetch(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'soak', password: 'soak password' }) });
const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
const auth = { authorization: `Bearer ${token}` };

// 3. Readers at load all along: every answer's status is recorded.
const statuses = new Map<number, number>();
const fiveXX: string[] = [];
let restarting = false;
let readerErrors = 0;
let stopReaders = false;
const slugs: string[] = [];
async function reader(n: number) {
  for (let i = 0; !stopReaders; i++) {
    const slug = slugs[(n + i) % Math.max(1, slugs.length)];
    const paths = ['/api/v1/videos?limit=20', '/api/v1/videos/me?limit=50', ...(slug ? [`/api/v1/videos/${slug}`, `/api/v1/videos/${slug}/config`] : [])];
    const p = paths[i % paths.length]!;
    try {
      const res = await fetch(url + p, { headers: auth });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500 && !(res.status === 503 && restarting)) fiveXX.push(`${res.status} ${p} at ${elapsed()}`);
    } catch {
      readerErrors++; // connection refused while the API is down
      await sleep(100);
    }
  }
}
const readers = Array.from({ length: 4 }, (_, n) => reader(n));

// 4. Uploads: each cut 1–3 times at random and resumed; all retry through the restart.
let disconnects = 0;
let retries = 0;
function attempt(clip: (typeof clips)[number], uploadUrl: string | undefined, abortAt: number | null) {
  return new Promise<{ done: boolean; url?: string; slug?: string; id?: number; status?: number }>((resolve) => {
    let settled = false;
    const upload: tus.Upload = new tus.Upload(clip.bytes, {
      endpoint: `${url}/api/v1/uploads/`, uploadUrl, chunkSize: CHUNK, retryDelays: [], headers: auth,
      metadata: { filename: path.basename(clip.file), title: path.basename(clip.file, '.mp4') },
      onChunkComplete(_size, sent) {
        if (!settled && abortAt !== null && sent >= abortAt) {
          settled = true;
          disconnects++;
          void upload.abort().then(() => resolve({ done: false, url: upload.url ?? undefined }));
        }
      },
      onSuccess(payload) {
        settled = true;
        const res = payload.lastResponse;
        const id = res.getHeader('x-video-id');
        resolve({ done: true, url: upload.url!, slug: res.getHeader('x-video-slug') ?? undefined, id: id ? Number(id) : undefined });
      },
      onError(err) {
        if (settled) return;
        settled = true;
        resolve({ done: false, url: upload.url ?? uploadUrl, status: (err as tus.DetailedError).originalResponse?.getStatus() });
      },
    });
    upload.start();
  });
}
const results: { clip: number; id: number; slug: string; uploadId: string }[] = [];
const failures: string[] = [];
async function uploadOne(i: number) {
  const clip = clips[i]!;
  await sleep(Math.random() * 3000);
  const cuts = 1 + Math.floor(Math.random() * 3);
  let uploadUrl: string | undefined;
  for (let n = 0; Date.now() - started < DEADLINE_MS; n++) {
    const abortAt = n < cuts ? Math.floor(clip.bytes.length * Math.random()) : null;
    const r = await attempt(clip, uploadUrl, abortAt);
    uploadUrl = r.url ?? uploadUrl;
    if (r.done) {
      results.push({ clip: i, id: r.id!, slug: r.slug!, uploadId: r.url!.split('/').pop()! });
      if (r.slug) slugs.push(r.slug);
      return;
    }
    if (r.status && r.status >= 400 && r.status < 500 && r.status !== 409 && r.status !== 423) {
      failures.push(`upload ${i}: refused ${r.status}`);
      return;
    }
    if (abortAt === null || r.status) retries++;
    await sleep(200 + Math.random() * 300);
  }
  failures.push(`upload ${i}: not finished before the deadline`);
}
const uploading = Promise.all(clips.map((_, i) => uploadOne(i)));

// 5. One SIGKILL of the API mid-way, restarted on the same data.
await sleep(6000);
restarting = true;
const killedAt = Date.now();
api!.kill('SIGKILL');
await new Promise((r) => api.once('exit', r));
await sleep(1000);
await startApi();
const downtimeMs = Date.now() - killedAt;
setTimeout(() => (restarting = false), 2000); // requests answered while it was coming up
console.log(`${elapsed()}: API SIGKILLed and back after ${downtimeMs} ms`);

await uploading;
// A resumed upload that the server had already completed ends on a HEAD, without the video headers:
// find those videos by their (unique) titles.
if (results.some((r) => !r.slug)) {
  const mine = new Map<string, { id: number; slug: string }>();
  let cursor: string | null = null;
  do {
    const res = await fetch(`${url}/api/v1/videos/me?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: auth });
    const page = (await res.json()) as { data: { id: number; slug: string; title: string }[]; meta?: { next_cursor?: string | null } };
    for (const v of page.data) mine.set(v.title, v);
    cursor = page.meta?.next_cursor ?? null;
  } while (cursor);
  for (const r of results) {
    if (r.slug) continue;
    const v = mine.get(`cours-${r.clip}`);
    if (v) Object.assign(r, { id: v.id, slug: v.slug });
  }
}
console.log(`${elapsed()}: ${results.length}/${UPLOADS} uploads complete (${disconnects} disconnects, ${retries} retries after errors)`);

// 6. Every video must settle: ready, or error with a reason.
const outcomes = new Map<string, number>();
const unsettled: string[] = [];
for (const r of results) {
  if (!r.slug) {
    unsettled.push(`clip ${r.clip}: no video found for the completed upload`);
    continue;
  }
  let state: { status: string; error: { code: string } | null } | undefined;
  while (Date.now() - started < DEADLINE_MS) {
    const res = await fetch(`${url}/api/v1/videos/${r.slug}`, { headers: auth });
    if (res.ok) state = ((await res.json()) as { data: { encoding: typeof state } }).data.encoding;
    if (state && (state.status === 'ready' || state.status === 'error')) break;
    await sleep(500);
  }
  const key = state?.status === 'error' ? `error:${state.error?.code ?? 'NO REASON'}` : state?.status ?? 'unknown';
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  if (!state || !['ready', 'error'].includes(state.status) || (state.status === 'error' && !state.error?.code)) unsettled.push(`${r.slug}: ${JSON.stringify(state)}`);
}
stopReaders = true;
await Promise.all(readers);
console.log(`${elapsed()}: encodings settled: ${JSON.stringify(Object.fromEntries(outcomes))}`);

// 7. Byte-identical sources.
const mismatched: string[] = [];
const sources = await readdir(path.join(dir, 'media', 'sources'));
for (const r of results) {
  const name = sources.find((s) => s.startsWith(`${r.uploadId}.`)); // stored under the upload's id
  if (!name) mismatched.push(`video ${r.id}: no stored source`);
  else if (sha256(await readFile(path.join(dir, 'media', 'sources', name))) !== clips[r.clip]!.sha) mismatched.push(`video ${r.id}: bytes differ from clip ${r.clip}`);
}

for (const e of encoders) e.kill('SIGTERM');
api!.kill('SIGTERM');
await new Promise((r) => api.once('exit', r));
await pg?.drop();
await rm(dir, { recursive: true, force: true });

const reads = [...statuses.values()].reduce((a, b) => a + b, 0);
console.log(`\n| measure | value |\n|---|---|`);
console.log(`| uploads (distinct clips) | ${UPLOADS} |`);
console.log(`| completed, byte-identical | ${results.length - mismatched.length} |`);
console.log(`| client disconnects · retries after errors | ${disconnects} · ${retries} |`);
console.log(`| API SIGKILL → ready again | ${downtimeMs} ms |`);
console.log(`| encodings | ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')} |`);
console.log(`| API reads during the soak | ${reads} (${[...statuses].map(([k, v]) => `${k}: ${v}`).join(', ')}; ${readerErrors} refused connections while down) |`);
console.log(`| 5xx other than 503 during the restart | ${fiveXX.length} |`);
console.log(`| duration | ${elapsed()} |`);

const problems = [...failures, ...mismatched, ...unsettled, ...fiveXX];
if (results.length !== UPLOADS) problems.push(`${UPLOADS - results.length} uploads did not complete`);
if (problems.length) {
  console.error(`\nSOAK FAILED:\n${problems.slice(0, 30).join('\n')}`);
  process.exit(1);
}
console.log('\nsoak passed');
