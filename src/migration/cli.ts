// `npm run import-v4 -- --dump <dumpdata.json> --media <V4 MEDIA_ROOT> [--dry-run] [--resume] [--only people,taxonomy,videos,playlists]
//   [--old-secret-key <V4 SECRET_KEY>] [--report <file.json>] [--work-dir <dir>]`
// Imports a Pod V4 instance (docs/migrating-from-v4.md). Safe to run again:
// what was imported is skipped; an interrupted run continues with --resume.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { migrate } from '../core/db/migrate.ts';
import { exitIfPgliteInUse } from '../core/db/pglite-lock.ts';
import { createStorage } from '../core/storage/index.ts';
import { DumpError } from './dump.ts';
import { runImport, UnknownVersionError } from './importer.ts';

const { values } = parseArgs({
  options: {
    dump: { type: 'string' }, media: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, resume: { type: 'boolean', default: false },
    only: { type: 'string' }, 'old-secret-key': { type: 'string' }, report: { type: 'string' }, 'work-dir': { type: 'string' },
  },
});
if (!values.dump || !values.media) {
  console.error('usage: npm run import-v4 -- --dump <dumpdata.json> --media <V4 MEDIA_ROOT> [--dry-run] [--resume] [--only people,taxonomy,videos,playlists] [--old-secret-key KEY] [--report FILE]');
  process.exit(64);
}
const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) as ('people' | 'taxonomy' | 'videos' | 'playlists')[] | undefined;
if (only?.some((p) => !['people', 'taxonomy', 'videos', 'playlists'].includes(p))) {
  console.error('--only takes people, taxonomy, videos and/or playlists');
  process.exit(64);
}
const config = loadConfig();
const handle = await openDatabase(config, undefined, { role: 'import-v4' }).catch(exitIfPgliteInUse);
const storage = await createStorage(config);
const spoolDir = values['work-dir'] ?? `${path.resolve(values.dump)}.spool`;
const reportFile = values.report ?? `${path.resolve(values.dump)}.report${values['dry-run'] ? '.dry-run' : ''}.json`;

// A progress bar on a terminal; a line every 10 % elsewhere (logs of a batch job).
const bar = process.stderr.isTTY ? new SingleBar({ format: '{phase} [{bar}] {percentage}% {value}/{total}', hideCursor: true }) : null;
const started = performance.now();
let phase = '';
let lastTenth = -1;
const progress = (name: string, done: number, total: number) => {
  if (name !== phase) {
    bar?.stop();
    phase = name;
    lastTenth = -1;
    bar?.start(total, 0, { phase: name });
  }
  if (bar) bar.update(done, { phase: name });
  else if (total && Math.floor((done * 10) / total) !== lastTenth) {
    lastTenth = Math.floor((done * 10) / total);
    console.error(`${name}: ${done}/${total} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
};

let code = 0;
try {
  if (!values['dry-run']) await migrate(handle);
  const report = await runImport(handle.db, storage, config, {
    dump: values.dump, mediaRoot: path.resolve(values.media), spoolDir, dryRun: values['dry-run'], resume: values.resume,
    only, oldSecretKey: values['old-secret-key'], progress,
  });
  bar?.stop();
  await writeFile(reportFile, JSON.stringify(report, null, 2));
  console.log(report.summary());
  console.log(`\nReport: ${reportFile}`);
} catch (err) {
  bar?.stop();
  if (err instanceof DumpError || err instanceof UnknownVersionError || (err as Error).message?.startsWith('The media folder')) {
    console.error(`import-v4: ${(err as Error).message}`);
    code = 65; // EX_DATAERR
  } else {
    console.error(err);
    code = 70;
  }
} finally {
  await handle.close();
}
process.exit(code);
