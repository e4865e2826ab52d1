// `npm run retention -- [--dry-run] [--date YYYY-MM-DD]`
// Runs one retention sweep now and prints its report (JSON): which videos
// were warned about, archived or deleted, and how many e-mails were queued.
// --dry-run does all of it inside a transaction that is rolled back, so the
// report is exactly what a real sweep would do; --date (dry runs only) shows
// what a sweep on that day would do. On an embedded database held by a
// running server, ask the server instead: GET /api/v1/retention/preview.
import { parseArgs } from 'node:util';
import { buildApp } from '../app.ts';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { exitIfPgliteInUse } from '../core/db/pglite-lock.ts';

const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, date: { type: 'string' } } });
const day = values.date;
if (day !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day)) || !values['dry-run'])) {
  console.error('usage: npm run retention -- [--dry-run] [--date YYYY-MM-DD (with --dry-run)]');
  process.exit(64);
}
const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env, RETENTION_SWEEP_INTERVAL_S: '0' });
const database = await openDatabase(config, undefined, { role: 'retention' }).catch(exitIfPgliteInUse);
const app = await buildApp(config, { database, ...(day ? { now: () => new Date(`${day}T12:00:00Z`) } : {}) });
try {
  const report = await app.maintenance.retentionSweep({ dryRun: values['dry-run'] });
  console.log(JSON.stringify(report, null, 2));
} finally {
  await app.close();
  await database.close();
}
