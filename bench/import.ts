// `npm run bench:import` — a Pod V4 import at university scale: a generated
// dumpdata of BENCH_IMPORT_VIDEOS videos (default 100,000; with users,
// channels and themes, tags, encodings rows, subtitle tracks and chapters)
// imported into PostgreSQL by `npm run import-v4` exactly as deployers run it
// (the npm script's Node flags), with its wall time and peak RSS (VmHWM).
// Baselines measured in the same run: the streaming parse of the same dump
// alone (stream-json, the floor of any streaming import), and the targets of
// issue K (5 minutes, 300 MiB on 2 cores). Needs PostgreSQL (BENCH_PG_URL).
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { generateV4Dump } from '../src/test-support/v4-generate.ts';
import { createTestDatabase } from '../src/test-support/test-app.ts';
import { ratio, reachable, summary, table } from './lib.ts';

const VIDEOS = Number(process.env.BENCH_IMPORT_VIDEOS ?? 100_000);
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!(await reachable(new URL(adminUrl).hostname, Number(new URL(adminUrl).port || 5432)))) {
  console.error('PostgreSQL is not reachable; set BENCH_PG_URL.');
  process.exit(2);
}
const dir = await mkdtemp(path.join(tmpdir(), 'pod-bench-import-'));
const started = performance.now();
const generated = await generateV4Dump(path.join(dir, 'v4'), { videos: VIDEOS });
console.error(`dump: ${VIDEOS} videos, ${(generated.bytes / 1024 ** 2).toFixed(0)} MiB, generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// Baseline: the streaming parse alone.
const parseStart = performance.now();
let objects = 0;
const parsed = createReadStream(generated.dump, { highWaterMark: 1 << 20 }).pipe(streamArray.withParserAsStream() as unknown as NodeJS.ReadWriteStream);
for await (const _ of parsed as unknown as AsyncIterable<unknown>) objects++;
const parseS = (performance.now() - parseStart) / 1000;

// The import, as `npm run import-v4` runs it.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
const flags = pkg.scripts['import-v4']!.split(/\s+/).filter((w) => w.startsWith('--'));
const db = await createTestDatabase(adminUrl);
const cli = fileURLToPath(new URL('../src/migration/cli.ts', import.meta.url));
const importStart = performance.now();
const child = spawn(process.execPath, [...flags, cli, '--dump', generated.dump, '--media', generated.media, '--report', path.join(dir, 'report.json')], {
  env: { ...process.env, DATABASE_URL: db.url, MEDIA_DIR: path.join(dir, 'storage'), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
});
let peakKiB = 0;
const sample = async () => {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  if (hwm > peakKiB) peakKiB = hwm;
};
const poll = setInterval(() => void sample(), 250);
let stderr = '';
child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
child.stdout.resume();
const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
clearInterval(poll);
const importS = (performance.now() - importStart) / 1000;
if (code !== 0) {
  console.error(stderr.slice(-2000));
  process.exit(1);
}
const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as { models: Record<string, { imported: number }> };
await db.drop();
await rm(dir, { recursive: true, force: true });

const peakMiB = peakKiB / 1024;
const rows = [
  ['stream-json parse of the dump alone (baseline)', parseS, '-', objects, '-'],
  [`import-v4, ${VIDEOS} videos into PostgreSQL`, importS, peakMiB, report.models['video.video']?.imported ?? 0, ratio(importS / parseS)],
];
summary(`V4 import: ${VIDEOS} videos, wall time`, `${importS.toFixed(0)} s`, '300 s (issue K target)', importS / 300);
summary(`V4 import: ${VIDEOS} videos, peak RSS`, `${peakMiB.toFixed(0)} MiB`, '300 MiB (issue K target)', peakMiB / 300);
summary(`V4 import: ${VIDEOS} videos, against the parse alone`, `${importS.toFixed(0)} s`, `${parseS.toFixed(0)} s (stream-json parse of the same ${(generated.bytes / 1024 ** 2).toFixed(0)} MiB)`, importS / parseS);
console.log(table(rows, ['run', 'seconds', 'peak RSS MiB', 'objects / videos', 'ratio to the parse']));
