// `npm run bench`: runs every benchmark in bench/ (each compares against a
// baseline measured in the same run) and rewrites the generated part of
// docs/benchmarks.md: one summary table (measure, ours, baseline, ratio)
// from the `BENCH {json}` lines the benchmarks print, then each benchmark's
// own table. The hand-written analyses around it are kept.
// Env: BENCH_ONLY=list,upload (a subset); the benchmarks' own variables
// (BENCH_SIZES=100000 for a quicker list benchmark, BENCH_DURATION, …).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES = ['list', 'upload', 'dispatch', 'media', 'import', 'encode'];
const only = process.env.BENCH_ONLY?.split(',');
const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const BEGIN = '<!-- npm run bench: begin (generated, do not edit) -->';
const END = '<!-- npm run bench: end -->';

interface Row { measure: string; ours: string; baseline: string; ratio: number | null }

function run(name: string): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(`../bench/${name}.ts`, import.meta.url))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; process.stderr.write(`[${name}] ${c}`); });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

const rows: Row[] = [];
const sections: string[] = [];
for (const name of BENCHES.filter((b) => !only || only.includes(b))) {
  console.error(`== bench/${name}.ts`);
  const r = await run(name);
  const lines = r.stdout.split('\n');
  for (const line of lines) if (line.startsWith('BENCH ')) rows.push(JSON.parse(line.slice(6)) as Row);
  const table = lines.filter((l) => !l.startsWith('BENCH ')).join('\n').trim();
  sections.push(r.code === 0
    ? `### \`npm run bench:${name}\` (${r.seconds.toFixed(0)} s)\n\n${table}`
    : `### \`npm run bench:${name}\`: not run (exit ${r.code})\n\n${r.stderr.trim().split('\n').at(-1)}`);
}

const fmt = (x: number | null) => (x === null ? '-' : x >= 0.1 ? x.toFixed(2) : `${x.toFixed(4)} (1/${Math.round(1 / x)})`);
const generated = [
  BEGIN,
  `## Summary — \`npm run bench\``,
  '',
  `Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}. Ratio = ours ÷ baseline (for latency and memory against a goal, lower is better).`,
  '',
  '| measure | ours | baseline | ratio |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.measure} | ${r.ours} | ${r.baseline} | ${fmt(r.ratio)} |`),
  '',
  ...sections.flatMap((s) => [s, '']),
  END,
].join('\n');

const doc = await readFile(DOC, 'utf8');
const start = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
const title = '# Benchmarks\n';
const next = start >= 0 && end > start
  ? doc.slice(0, start) + generated + doc.slice(end + END.length)
  : doc.replace(title, `${title}\n${generated}\n`);
await writeFile(DOC, next);
console.log(generated);
