// A migrated PGlite database, dumped once per test pass, from which every
// test app's in-memory database starts. Why: an empty PGlite runs initdb
// (≈ 3 s on CI's machine) and then the migrations and pg-boss's schema (≈ 1.5 s)
// for each of the suite's test apps; loading this dump takes ≈ 1 s.
// The dump is made by the real code (the app starts on an empty database,
// migrates, starts the job queue and stops), so each test app starts as an
// API node restarting on an existing database: it still runs migrate() and
// pg-boss's start, which find nothing to do. scripts/test-all.ts makes it and
// passes its path as TEST_PGLITE_TEMPLATE; without it, apps run initdb.
// Usage: node src/test-support/pglite-template.ts <file>
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../app.ts';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';

/** The config of a throw-away in-memory app; `env` adds to or overrides it. */
export function memoryAppConfig(mediaDir: string, env: Record<string, string> = {}) {
  return loadConfig({
    MEDIA_DIR: mediaDir,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    PGLITE_DATA_DIR: 'memory://',
    // Tests log in many times from one address; the rate-limit test sets its own budget.
    AUTH_RATE_LIMIT_MAX: '100000',
    // Retention sweeps run when a test calls them (app.maintenance.retentionSweep), on the test's clock.
    RETENTION_SWEEP_INTERVAL_S: '0',
    SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
    ...env,
  });
}

export async function writePgliteTemplate(file: string, mediaDir: string): Promise<void> {
  const config = memoryAppConfig(mediaDir, { DATABASE_URL: '' });
  const handle = await openDatabase(config);
  try {
    const app = await buildApp(config, { database: handle });
    await app.close();
    const dump = await handle.pglite!.dumpDataDir('none');
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
    await rename(partial, file);
  } finally {
    await handle.close();
  }
}

let loaded: Promise<Blob> | undefined;
/** The dump named by TEST_PGLITE_TEMPLATE (read once per process), or undefined. */
export function pgliteTemplate(): Promise<Blob> | undefined {
  const file = process.env.TEST_PGLITE_TEMPLATE;
  if (!file) return undefined;
  loaded ??= readFile(file).then((bytes) => new Blob([bytes]));
  return loaded;
}

if (import.meta.main) {
  const [file] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node src/test-support/pglite-template.ts <file>');
    process.exit(64);
  }
  const mediaDir = await mkdtemp(path.join(tmpdir(), 'pod-template-media-'));
  try {
    await writePgliteTemplate(file, mediaDir);
  } finally {
    await rm(mediaDir, { recursive: true, force: true });
  }
}
