// The API document as a default-configured server serves it, its `servers`
// (each deployment's PUBLIC_URL) made a variable: what docs/openapi.json holds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApp } from './test-app.ts';

/** A deployment's address: a served document says its own PUBLIC_URL instead. */
const SERVER = { url: '{public_url}', description: 'PUBLIC_URL of the deployment', variables: { public_url: { default: 'https://pod.univ.fr', description: 'PUBLIC_URL' } } };

export async function servedDocument(): Promise<Record<string, unknown>> {
  const t = await startTestApp();
  try {
    const res = await t.request('GET', '/api/v1/openapi.json');
    if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
    return { ...(res.body as Record<string, unknown>), servers: [SERVER] };
  } finally {
    await t.close();
  }
}

export interface LintResult {
  errors: number;
  warnings: number;
  problems: { ruleId: string; severity: string; message: string; location?: unknown }[];
}

/** `redocly lint` (recommended ruleset, redocly.yaml) on a document. */
export function redoclyLint(doc: unknown): LintResult {
  const dir = mkdtempSync(path.join(tmpdir(), 'pod-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const root = path.resolve(import.meta.dirname, '../..');
    const cli = path.join(root, 'node_modules/@redocly/cli/bin/cli.js');
    const run = spawnSync(process.execPath, [cli, 'lint', file, '--format=json', `--config=${path.join(root, 'redocly.yaml')}`, '--max-problems=1000'], { encoding: 'utf8' });
    const start = run.stdout.indexOf('{');
    if (start < 0) throw new Error(`redocly lint printed no report: ${run.stderr}`);
    const report = JSON.parse(run.stdout.slice(start)) as { totals: { errors: number; warnings: number }; problems: LintResult['problems'] };
    return { errors: report.totals.errors, warnings: report.totals.warnings, problems: report.problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
