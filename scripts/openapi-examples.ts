// Examples for the API document, taken from real answers: runs test files
// (all by default) with OPENAPI_EXAMPLES_DIR set, so every JSON exchange of a
// documented operation is kept, then picks per operation a request body, one
// answer per success status and one message per error code, and writes
// docs/openapi-examples.json (read by core/openapi.ts). Then regenerate the
// committed document: npm run openapi:write.
//   node scripts/openapi-examples.ts [test files…]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExchangeSample } from '../src/core/api-contract.ts';
import type { Examples } from '../src/core/openapi-document.ts';

const files = process.argv.slice(2);
const dir = mkdtempSync(path.join(tmpdir(), 'pod-examples-'));
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=dot', ...(files.length ? files : ['src/**/*.test.ts'])], {
  stdio: 'inherit', env: { ...process.env, OPENAPI_EXAMPLES_DIR: dir, TEST_POSTGRES_URL: '' },
});
if (run.status !== 0) console.warn('Some tests failed: examples are taken from the answers that were given.');

const samples: ExchangeSample[] = readdirSync(dir).flatMap((f) =>
  readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExchangeSample));
rmSync(dir, { recursive: true, force: true });

/** The test server's address and its tokens, as a reader should see them. */
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;
const LOOPBACK = /http:\/\/(127\.0\.0\.1|localhost):\d+/g;
const neutral = (text: string) => text.replace(LOOPBACK, 'https://pod.univ.fr').replace(JWT, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.example-signature');

/** Short enough to read: two items per list, long strings cut. */
function trim(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice(0, 2).map(trim);
  if (typeof value === 'string') return neutral(value.length > 400 ? `${value.slice(0, 400)}…` : value);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trim(v)]));
  return value;
}
/** A fuller answer makes a better example (a list with items rather than an empty one), within reason. */
const richness = (value: unknown) => JSON.stringify(value).length;
const MAX_EXAMPLE = 6000;
/** Not examples: the document itself. */
const SKIPPED = new Set(['getOpenApiDocument']);

const examples: Examples = {};
for (const s of samples) {
  if (SKIPPED.has(s.operationId)) continue;
  const e = (examples[s.operationId] ??= {});
  if (s.status < 400) {
    const key = String(s.status);
    const answer = trim(s.response);
    e.responses ??= {};
    if (richness(answer) <= MAX_EXAMPLE && (e.responses[key] === undefined || richness(answer) > richness(e.responses[key]))) e.responses[key] = answer;
    if (s.request && typeof s.request === 'object' && Object.keys(s.request).length) {
      const body = trim(s.request);
      if (richness(body) <= MAX_EXAMPLE && (e.request === undefined || richness(body) > richness(e.request))) e.request = body;
    }
  } else {
    for (const item of (s.response as { errors?: { code: string; message: string; field?: string }[] }).errors ?? []) {
      e.errors ??= {};
      e.errors[`${s.status} ${item.code}`] ??= { message: neutral(item.message), ...(item.field ? { field: item.field } : {}) };
    }
  }
}
const sorted = Object.fromEntries(Object.entries(examples).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(new URL('../docs/openapi-examples.json', import.meta.url), `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`docs/openapi-examples.json: ${Object.keys(sorted).length} operations, from ${samples.length} exchanges`);
