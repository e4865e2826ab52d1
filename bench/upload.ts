// `npm run bench:upload` — upload throughput of a 1 GiB file through tus
// (tus-js-client → API process → local disk) next to `cp` of the same file
// in the same run, and the API process's resident memory sampled every 50 ms
// during each upload (VmRSS), next to its idle level. PostgreSQL is used when
// reachable (PGlite's WASM heap would dominate the API's own memory).
// Two ceilings: socat (C, when installed) moving the file through a loopback
// socket with no HTTP, the most any upload can reach here; a bare Node HTTP
// server writing the body to a file, the most a plain Node server reaches.
// The bare server and the API are also given in server CPU seconds per GiB
// (user + system, /proc), steadier than MiB/s on a shared machine.
// Goal (issue D): ≥ 0.7× cp and ≤ 150 MB RSS.
// Env: BENCH_UPLOAD_BYTES.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';
import { writeWavFile } from '../src/test-support/media.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { freePort, ratio, reachable, startServer, summary, table } from './lib.ts';

const SIZE = Number(process.env.BENCH_UPLOAD_BYTES ?? 1024 ** 3);
const dir = await mkdtemp(path.join(tmpdir(), 'pod-bench-upload-'));
const file = path.join(dir, 'lecture.wav');
await writeWavFile(file, SIZE);
const pg = (await reachable('127.0.0.1', 5432)) ? await createTestDatabase(process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres') : undefined;
const env = {
  LOG_LEVEL: 'warn', PGLITE_DATA_DIR: path.join(dir, 'pgdata'), MEDIA_DIR: path.join(dir, 'media'), DATABASE_URL: pg?.url ?? '',
  SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmnop', UPLOAD_MAX_BYTES: String(SIZE * 2), UPLOAD_QUOTA_BYTES: '0',
};
const cli = spawnSync(process.execPath, [fileURLToPath(new URL('../src/users/create-superuser-cli.ts', import.meta.url)), '--username', 'bench', '--password', 'bench password'], { env: { ...process.env, ...env } });
if (cli.status !== 0) throw new Error(String(cli.stderr));

const mib = SIZE / 1024 / 1024;
const rows: (string | number)[][] = [];

/** User + system CPU seconds a process has used so far. */
const cpuSeconds = async (pid: number) => {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const perGiB = (cpu: number) => (cpu / (SIZE / 1024 ** 3)).toFixed(2);

// Every timed section starts with clean page cache writeback (`sync`), so the
// baseline and the uploads are not throttled by each other's dirty pages, and
// with the previous upload's stored file deleted: on this VM, writing into
// page cache that has never been used is 2–4× slower in the kernel (a bare Node
// server writing a new 1 GiB file per request: 573 → 234 → 225 MiB/s), so
// every measure starts from the same page-cache state as the baselines, which
// delete their copies too.
const settle = async () => {
  await rm(path.join(dir, 'media', 'sources'), { recursive: true, force: true });
  spawnSync('sync');
};

// Baseline: cp of the same file to the same filesystem, the median of three
// (one cp varies 2× from run to run here).
const cpRuns: number[] = [];
let t0 = 0;
for (let i = 0; i < 3; i++) {
  await settle();
  t0 = performance.now();
  spawnSync('cp', [file, path.join(dir, 'copy.wav')]);
  cpRuns.push((performance.now() - t0) / 1000);
  await rm(path.join(dir, 'copy.wav'));
}
const cpSeconds = cpRuns.sort((a, b) => a - b)[1]!;
rows.push([`cp ${mib} MiB (baseline, median of 3)`, mib / cpSeconds, '1', '-', '-', '-']);

// Ceiling of any upload over a local socket, HTTP or not: socat (C, 1 MiB
// buffers) from the file through a loopback TCP connection into a new file.
if (spawnSync('socat', ['-V']).status === 0) {
  const port = await freePort();
  await settle();
  const sink = spawn('socat', ['-b', '1048576', '-u', `TCP-LISTEN:${port},bind=127.0.0.1`, `OPEN:${path.join(dir, 'socat.bin')},creat,trunc`]);
  await new Promise((r) => setTimeout(r, 200)); // listening (a probe connection would be its one client)
  t0 = performance.now();
  const sent = spawnSync('socat', ['-b', '1048576', '-u', `OPEN:${file}`, `TCP:127.0.0.1:${port}`]);
  if (sent.status !== 0) throw new Error(`socat: ${sent.stderr}`);
  await new Promise((r) => sink.once('exit', r));
  const seconds = (performance.now() - t0) / 1000;
  await rm(path.join(dir, 'socat.bin'));
  rows.push([`socat file → loopback TCP → file, no HTTP (ceiling of any upload here)`, mib / seconds, ratio(cpSeconds / seconds), '-', '-', '-']);
  summary(`socat ${mib} MiB through a loopback socket, no HTTP (ceiling)`, `${(mib / seconds).toFixed(0)} MiB/s`, `${(mib / cpSeconds).toFixed(0)} MiB/s (cp)`, cpSeconds / seconds);
}

let bareCpu = NaN;
// Second baseline: a bare Node HTTP server writing the body to a file (curl sends it).
{
  const raw = await startServer(fileURLToPath(new URL('./raw-upload-server.ts', import.meta.url)), { RAW_UPLOAD_TARGET: path.join(dir, 'raw.bin') });
  await settle();
  const cpu0 = await cpuSeconds(raw.child.pid!);
  t0 = performance.now();
  await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-X', 'PATCH', '-T', file, '-H', 'expect:', `${raw.url}/`]);
  const seconds = (performance.now() - t0) / 1000;
  bareCpu = (await cpuSeconds(raw.child.pid!)) - cpu0;
  await raw.stop();
  await rm(path.join(dir, 'raw.bin'));
  rows.push([`bare Node HTTP server → file, curl (ceiling of any Node server)`, mib / seconds, ratio(cpSeconds / seconds), perGiB(bareCpu), '-', '-']);
}

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// One start and stop first, as a deployed API has started before: it fills
// Node's compile cache (npm start's preload), so the measured process loads
// no type-stripping compiler. Without it, idle and peak are ≈ 17 MiB higher.
await (await startServer(main, env, '/api/v1/health')).stop();
const api = await startServer(main, env, '/api/v1/health');
const login = await fetch(`${api.url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench password' }) });
const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
const rss = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${api.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const idle = await rss();

for (const chunkSize of [8 * 1024 * 1024, 64 * 1024 * 1024, Infinity]) {
  let peak = 0;
  await settle();
  const sampler = setInterval(() => void rss().then((v) => (peak = Math.max(peak, v))), 50);
  t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    new tus.Upload(createReadStream(file), {
      endpoint: `${api.url}/api/v1/uploads/`, uploadSize: SIZE, chunkSize, retryDelays: [],
      headers: { authorization: `Bearer ${token}` }, metadata: { filename: 'lecture.wav' },
      onSuccess: () => resolve(), onError: reject,
    }).start();
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const label = chunkSize === Infinity ? 'one request' : `${chunkSize / 1024 / 1024} MiB chunks`;
  rows.push([`tus upload ${mib} MiB, ${label} (incl. validation + move)`, mib / seconds, ratio(cpSeconds / seconds), '-', peak.toFixed(0), idle.toFixed(0)]);
  summary(`tus upload ${mib} MiB, ${label}`, `${(mib / seconds).toFixed(0)} MiB/s`, `${(mib / cpSeconds).toFixed(0)} MiB/s (cp)`, cpSeconds / seconds);
  summary(`API peak RSS during the tus upload, ${label}`, `${peak.toFixed(0)} MiB`, '150 MiB (goal)', peak / 150);
}
// The same server path driven by curl (one streamed PATCH): the server's own
// capacity, without the JS client's cost.
{
  const create = await fetch(`${api.url}/api/v1/uploads/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': String(SIZE), 'upload-metadata': `filename ${Buffer.from('lecture.wav').toString('base64')}` },
  });
  const target = new URL(create.headers.get('location')!, api.url).href;
  let peak = 0;
  await settle();
  const sampler = setInterval(() => void rss().then((v) => (peak = Math.max(peak, v))), 50);
  const cpu0 = await cpuSeconds(api.child.pid!);
  t0 = performance.now();
  // Async, so the RSS sampler keeps running while curl sends.
  const curl = await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PATCH', '-T', file, '-H', `authorization: Bearer ${token}`,
    '-H', 'tus-resumable: 1.0.0', '-H', 'upload-offset: 0', '-H', 'content-type: application/offset+octet-stream', '-H', 'expect:', target], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuSeconds(api.child.pid!)) - cpu0;
  clearInterval(sampler);
  if (curl.stdout === '204') {
    summary(`API CPU per GiB uploaded (curl PATCH)`, `${perGiB(cpu)} s`, `${perGiB(bareCpu)} s (bare Node server)`, cpu / bareCpu);
    rows.push([`curl PATCH ${mib} MiB, one request (incl. validation + move)`, mib / seconds, ratio(cpSeconds / seconds), perGiB(cpu), peak.toFixed(0), idle.toFixed(0)]);
  } else console.error(`curl upload failed: ${curl.stdout} ${curl.stderr}`);
}
await api.stop();
await pg?.drop();
await rm(dir, { recursive: true, force: true });

console.log(table(rows, ['measure', 'MiB/s', 'ratio to cp', 'server CPU s per GiB', 'API RSS during upload, MiB', 'API RSS idle, MiB']));
console.log(`\ndatabase: ${pg ? 'PostgreSQL' : 'PGlite'}`);
