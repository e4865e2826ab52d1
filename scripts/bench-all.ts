// `npm run bench`: runs every benchmark in bench/ (each compares against a
// baseline measured in the same run) and rewrites the generated part of
// docs/benchmarks.md: one summary table (measure, ours, baseline, ratio)
// from the `BENCH {json}` lines the benchmarks print, then each benchmark's
// own table. The hand-written analyses around it are kept.
// Env: BENCH_ONLY=list,upload (a subset: the other benchmarks' rows and
// sections already in the document are kept); the benchmarks' own variables
// (BENCH_SIZES=100000 for a quicker list benchmark, BENCH_DURATION, …).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES = ['list', 'read', 'views', 'comments', 'upload', 'dispatch', 'media', 'import', 'encode'];
const only = process.env.BENCH_ONLY?.split(',');
const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const BEGIN = '<!-- npm run bench: begin (generated, do not edit) -->';
const END = '<!-- npm run bench: end -->';

interface Row { bench?: string; measure: string; ours: string; baseline: string; ratio: number | string | null }

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
  for (const line of lines) if (line.startsWith('BENCH ')) rows.push({ bench: name, ...(JSON.parse(line.slice(6)) as Row) });
  const table = lines.filter((l) => !l.startsWith('BENCH ')).join('\n').trim();
  sections.push(r.code === 0
    ? `### \`npm run bench:${name}\` (${r.seconds.toFixed(0)} s)\n\n${table}`
    : `### \`npm run bench:${name}\`: not run (exit ${r.code})\n\n${r.stderr.trim().split('\n').at(-1)}`);
}

const fmt = (x: number | string | null) => (x === null ? '-' : typeof x === 'string' ? x : x >= 0.1 ? x.toFixed(2) : `${x.toFixed(4)} (1/${Math.round(1 / x)})`);
const doc = await readFile(DOC, 'utf8');
const start = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
const previous = start >= 0 && end > start ? doc.slice(start + BEGIN.length, end) : '';

// A subset run keeps what the other benchmarks measured last time (their rows and sections).
const kept: Row[] = [];
const keptSections: string[] = [];
if (only) {
  // Rows written before the bench column existed are attributed by their wording.
  const legacy = (measure: string) => /^list videos/.test(measure) ? 'list' : /^(socat|tus upload|API peak RSS|API CPU)/.test(measure) ? 'upload'
    : /^(upload completion|signed encoder)/.test(measure) ? 'dispatch' : /^media segment/.test(measure) ? 'media' : undefined;
  const summary = previous.split('\n### ')[0] ?? '';
  const withBench = summary.includes('| bench | measure |');
  for (const line of summary.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| measure') && !l.startsWith('| bench'))) {
    const cells = line.slice(2, -2).split(' | ');
    const [bench, measure, ours, baseline, ratio] = withBench ? cells : [legacy(cells[0]!), ...cells];
    if (bench && !only.includes(bench)) kept.push({ bench, measure: measure!, ours: ours!, baseline: baseline!, ratio: ratio ?? null });
  }
  for (const section of previous.split('\n### ').slice(1)) {
    const name = /^`npm run bench:(\w+)`/.exec(section)?.[1];
    if (name && !only.includes(name)) keptSections.push(`### ${section.trim()}`);
  }
}
const order = (bench?: string) => BENCHES.indexOf(bench ?? '');
const allRows = [...kept, ...rows].sort((a, b) => order(a.bench) - order(b.bench));
const allSections = [...keptSections, ...sections].sort((a, b) => order(/bench:(\w+)/.exec(a)?.[1]) - order(/bench:(\w+)/.exec(b)?.[1]));
const generated = [
  BEGIN,
  `## Summary — \`npm run bench\``,
  '',
  `Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`
    + `${only ? ` (${only.join(', ')} measured then; the other rows kept from the previous run)` : ''}. Ratio = ours ÷ baseline (for latency and memory against a goal, lower is better).`,
  '',
  '| bench | measure | ours | baseline | ratio |',
  '|---|---|---|---|---|',
  ...allRows.map((r) => `| ${r.bench ?? '-'} | ${r.measure} | ${r.ours} | ${r.baseline} | ${fmt(r.ratio)} |`),
  '',
  ...allSections.flatMap((s) => [s, '']),
  END,
].join('\n');

const title = '# Benchmarks\n';
const next = start >= 0 && end > start
  ? doc.slice(0, start) + generated + doc.slice(end + END.length)
  : doc.replace(title, `${title}\n${generated}\n`);
await writeFile(DOC, next);
console.log(generated);
