// Starts the real application on a loopback port with its own fresh
// database, so tests exercise HTTP → Fastify → Kysely → SQL end to end.
// Engine: in-memory PGlite by default; a brand-new PostgreSQL database (made
// and dropped here) when TEST_POSTGRES_URL points at a server.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../app.ts';
import { loadConfig, type Config } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { memoryAppConfig, pgliteTemplate } from './pglite-template.ts';
import { freePort } from '../../bench/lib.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: FastifyInstance;
  url: string;
  config: Config;
  request<T = any>(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL;
export const ENGINE = TEST_POSTGRES_URL ? 'postgres' : 'pglite';

/** Creates an empty PostgreSQL database for one test app; returns its URL and a dropper. */
export async function createTestDatabase(adminUrl: string) {
  const { default: pg } = await import('pg');
  const name = `pod_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function startTestApp(
  opts: { env?: Record<string, string>; build?: BuildOptions; port?: number } = {},
): Promise<TestApp> {
  const testDb = TEST_POSTGRES_URL && !opts.env?.DATABASE_URL ? await createTestDatabase(TEST_POSTGRES_URL) : undefined;
  const mediaDir = await mkdtemp(path.join(tmpdir(), 'pod-media-'));
  // The app builds absolute URLs (media, oEmbed) from PUBLIC_URL only, never from the Host header:
  // its test address is chosen first so that those URLs point at it.
  let port = opts.port ?? (opts.env?.PUBLIC_URL ? 0 : await freePort());
  const addressed = (p: number): Record<string, string> => (opts.env?.PUBLIC_URL || !p ? {} : { PUBLIC_URL: `http://127.0.0.1:${p}` });
  let config = memoryAppConfig(mediaDir, { ...(testDb ? { DATABASE_URL: testDb.url } : {}), ...addressed(port), ...opts.env });
  // On PGlite, the database starts from the pass's migrated template when there is one (see pglite-template.ts).
  const template = !config.DATABASE_URL && config.PGLITE_DATA_DIR === 'memory://' && !opts.build?.database ? pgliteTemplate() : undefined;
  // The app closes only a database it opened itself: this one is closed here, after it.
  const ownDatabase = template ? await openDatabase(config, undefined, { pgliteDataDir: await template }) : undefined;
  let app: FastifyInstance;
  // Every answer is held to its operation's documented statuses and error codes (core/api-contract.ts):
  // a breach fails the test file when its app closes. CONTRACT_LOG=<file> collects them instead.
  const violations = new Set<string>();
  const contractCheck = (v: string) => {
    if (process.env.CONTRACT_LOG) appendFileSync(process.env.CONTRACT_LOG, `${v}\n`);
    else violations.add(v);
  };
  // OPENAPI_EXAMPLES_DIR=<dir>: every JSON exchange is kept there (scripts/openapi-examples.ts picks the examples).
  const examplesDir = process.env.OPENAPI_EXAMPLES_DIR;
  const recordExchange = examplesDir
    ? (sample: object) => appendFileSync(path.join(examplesDir, `${process.pid}.jsonl`), `${JSON.stringify(sample)}\n`)
    : undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      app = await buildApp(config, { contractCheck, recordExchange, ...opts.build, database: ownDatabase ?? opts.build?.database });
    } catch (err) {
      await ownDatabase?.close();
      await testDb?.drop();
      await rm(mediaDir, { recursive: true, force: true });
      throw err;
    }
    try {
      await app.listen({ host: config.HOST, port });
      break;
    } catch (err) {
      // The free port was taken by another process in between: another one, another app.
      await app.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.port || attempt === 5) throw err;
      port = await freePort();
      config = memoryAppConfig(mediaDir, { ...(testDb ? { DATABASE_URL: testDb.url } : {}), ...addressed(port), ...opts.env });
    }
  }
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    config,
    async request(method, path, ropts = {}) {
      const headers: Record<string, string> = { ...ropts.headers };
      let body: string | Uint8Array | undefined = ropts.body;
      if (ropts.json !== undefined) {
        body = JSON.stringify(ropts.json);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed as any, text };
    },
    async close() {
      // A socket that a client opened and then abandoned before sending a
      // request (an aborted fetch) is neither idle nor busy to Node: it would
      // hold close() until headersTimeout (~60 s). Tests do not need that grace.
      const force = setTimeout(() => app.server.closeAllConnections(), 1000);
      await app.close();
      clearTimeout(force);
      await ownDatabase?.close();
      await testDb?.drop();
      await rm(mediaDir, { recursive: true, force: true });
      if (violations.size) throw new Error(`Answers outside the API contract (document them in the route's schema):\n${[...violations].join('\n')}`);
    },
  };
}

/** A fresh database handle on the test engine, without the HTTP app. */
export async function openTestDatabase() {
  const testDb = TEST_POSTGRES_URL ? await createTestDatabase(TEST_POSTGRES_URL) : undefined;
  const handle = await openDatabase(
    loadConfig({ PGLITE_DATA_DIR: 'memory://', ...(testDb ? { DATABASE_URL: testDb.url } : {}) }),
  );
  return {
    handle,
    async close() {
      await handle.close();
      await testDb?.drop();
    },
  };
}
