// Shared helpers for bench/*.ts: start a server process, load it with
// autocannon, print a markdown table of figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import autocannon from 'autocannon';

export interface Started {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The Node flags of `npm start` (package.json), so benchmarks run the API as it is deployed. */
export function apiNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  // A preload path is relative to the package root (npm's working directory): made absolute here.
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'))
    .map((flag) => flag.replace(/^--import=(\.\/.*)$/, (_, file: string) => `--import=${new URL(`../${file}`, import.meta.url).href}`));
}

/** Spawns a Node script serving on PORT and waits until `readyPath` answers 200. The API (src/main.ts) gets `npm start`'s flags. */
export async function startServer(script: string, env: Record<string, string>, readyPath = '/'): Promise<Started> {
  const port = await freePort();
  const flags = script.endsWith('src/main.ts') ? apiNodeFlags() : [];
  const child = spawn(process.execPath, [...flags, script], { env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`server exited:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`server not ready within 60 s:\n${stderr}`);
    try {
      if ((await fetch(url + readyPath)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: () => new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(url: string, opts: { headers?: Record<string, string>; duration?: number; connections?: number } = {}): Promise<Load> {
  const r = await autocannon({
    url,
    headers: opts.headers,
    duration: opts.duration ?? Number(process.env.BENCH_DURATION ?? 10),
    connections: opts.connections ?? Number(process.env.BENCH_CONNECTIONS ?? 20),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

/** The PostgreSQL admin URL of the benchmarks (BENCH_PG_URL); exits with 2 when nothing answers there. */
export async function benchPostgresUrl(): Promise<string> {
  const url = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!(await reachable(new URL(url).hostname, Number(new URL(url).port || 5432)))) {
    console.error(`PostgreSQL is not reachable at ${new URL(url).host}; set BENCH_PG_URL.`);
    process.exit(2);
  }
  return url;
}

export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port, timeout: 1000 });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

/** A ratio readable at both ends of the scale: "0.0087 (1/115)" or "0.74". */
export function ratio(value: number): string {
  return value >= 0.1 ? value.toFixed(2) : `${value.toFixed(4)} (1/${Math.round(1 / value)})`;
}

export function table(rows: (string | number)[][], head: string[]): string {
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`)].join('\n');
}

/**
 * One row of the summary `npm run bench` writes to docs/benchmarks.md
 * (measure, ours, baseline, ratio), printed as a `BENCH {json}` line.
 */
export function summary(measure: string, ours: string, baseline: string, ratioValue: number | null) {
  console.log(`BENCH ${JSON.stringify({ measure, ours, baseline, ratio: ratioValue })}`);
}
