// One schema, two engines: embedded PGlite (zero setup) when DATABASE_URL is
// unset, real PostgreSQL through `pg` when it is set. Both speak the same SQL
// and both are driven through Kysely.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Kysely, PGliteDialect, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import type { Config } from '../config.ts';
import type { Database } from './database.ts';
import { lockPgliteDir, type PgliteLock } from './pglite-lock.ts';
import { WriteSignal } from './write-signal.ts';

export type EngineKind = 'pglite' | 'postgres';

/** Runs SQL inside one transaction on one connection; `exec` accepts multi-statement scripts. */
export interface ScriptSession {
  exec(script: string): Promise<void>;
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface DatabaseHandle {
  kind: EngineKind;
  /** The embedded instance (PGlite only): other libraries (the job queue) share it. */
  pglite?: import('@electric-sql/pglite').PGlite;
  /** The connection URL (PostgreSQL only). */
  url?: string;
  /** The exclusive lock on a PGlite data directory (not for in-memory PGlite nor PostgreSQL). */
  lock?: PgliteLock;
  db: Kysely<Database>;
  /** Told after each writing statement run through `db` (read caches listen: core/change-feed.ts). */
  writes: WriteSignal;
  /** Runs `fn` in one transaction where multi-statement SQL scripts are allowed (migrations). */
  inScriptTransaction<T>(fn: (session: ScriptSession) => Promise<T>): Promise<T>;
  /**
   * Runs a compiled query as a named prepared statement (PostgreSQL: parsed and planned once per
   * connection, then reused — the hot reads' planning cost); PGlite runs it as is.
   */
  prepared<R>(query: CompiledQuery<R>): Promise<R[]>;
  /** Resolves when the database answers `select 1` within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

type DbConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATABASE_POOL_MAX' | 'DATABASE_CONNECT_TIMEOUT_MS' | 'PGLITE_DATA_DIR'
>;

export interface OpenOptions {
  /** PGlite only: start from this data directory (a `dumpDataDir()` tarball) instead of an empty one. */
  pgliteDataDir?: Blob;
  /** PGlite on disk: what this process is, for the message another process gets (`api`, `migrate`…). */
  role?: string;
}

export async function openDatabase(config: DbConfig, log: (msg: string, err?: unknown) => void = () => {}, options: OpenOptions = {}) {
  return config.DATABASE_URL ? openPostgres(config, config.DATABASE_URL, log) : openPGlite(config, options.pgliteDataDir, options.role ?? 'api');
}

async function openPostgres(config: DbConfig, url: string, log: (msg: string, err?: unknown) => void) {
  const { default: pg } = await import('pg');
  // int8 (bigint, count(*)) as JS number: our counts and sizes stay below 2^53.
  pg.types.setTypeParser(20, (v) => Number(v));
  // `date` stays 'YYYY-MM-DD' (a JS Date would shift it by the server's time zone).
  pg.types.setTypeParser(1082, (v) => v);
  const pool = new pg.Pool({
    connectionString: url,
    max: config.DATABASE_POOL_MAX,
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
  });
  // An idle client dying (DB restart) must not crash the process; the next
  // query gets a fresh connection or a 503.
  pool.on('error', (err) => log('idle PostgreSQL client error', err));
  // A checked-out client that loses its server between two queries (inside a
  // transaction) emits 'error' with no pool listener attached: that would be
  // an uncaught exception, killing the process. Its query promises reject anyway.
  pool.on('connect', (client) => client.on('error', (err) => log('PostgreSQL connection lost', err)));
  const writes = new WriteSignal();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [writes] });
  const handle: DatabaseHandle = {
    kind: 'postgres',
    url,
    db,
    writes,
    async inScriptTransaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          // No parameters → simple query protocol → multi-statement scripts allowed.
          exec: async (script) => void (await client.query(script)),
          query: async (text, params) => (await client.query(text, params as unknown[])).rows,
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async prepared<R>(query: CompiledQuery<R>) {
      const name = `pod_${createHash('sha1').update(query.sql).digest('hex').slice(0, 24)}`;
      return (await pool.query({ name, text: query.sql, values: query.parameters as unknown[] })).rows as R[];
    },
    ping: (timeoutMs = 2000) => pingWith(db, timeoutMs),
    close: () => db.destroy(),
  };
  return handle;
}

async function openPGlite(config: DbConfig, dataDir: Blob | undefined, role: string) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { unaccent } = await import('@electric-sql/pglite/contrib/unaccent');
  const dir = config.PGLITE_DATA_DIR;
  const inMemory = dir.startsWith('memory://');
  if (!inMemory) mkdirSync(path.resolve(dir), { recursive: true });
  // One process per data directory (two writers would corrupt it): refuse before opening.
  const lock = inMemory ? undefined : await lockPgliteDir(dir, role);
  const pglite = await PGlite.create(inMemory ? dir : path.resolve(dir), {
    parsers: { 20: (v: string) => Number(v), 1082: (v: string) => v },
    // Contrib extensions the migrations create (PostgreSQL ships them in postgresql-contrib).
    extensions: { unaccent },
    ...(dataDir ? { loadDataDir: dataDir } : {}),
  }).catch(async (err: unknown) => {
    await lock?.release();
    throw err;
  });
  const writes = new WriteSignal();
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }), plugins: [writes] });
  const handle: DatabaseHandle = {
    kind: 'pglite',
    pglite,
    lock,
    db,
    writes,
    inScriptTransaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          exec: async (script) => void (await tx.exec(script)),
          query: async <R>(text: string, params?: unknown[]) => (await tx.query<R>(text, params)).rows,
        }),
      ),
    prepared: async <R>(query: CompiledQuery<R>) => (await db.executeQuery(query)).rows,
    ping: (timeoutMs = 2000) => pingWith(db, timeoutMs),
    async close() {
      await db.destroy();
      // Kysely closes the instance only if it ran a query through it; an instance left open keeps
      // Postgres's idle timer (≈ 10 s) pending, which holds the process alive after a shutdown.
      if (!pglite.closed) await pglite.close();
      await lock?.release();
    },
  };
  return handle;
}

async function pingWith(db: Kysely<Database>, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('database ping timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'PGlite is closed',
  'driver has already been destroyed',
];

/**
 * True when an error means "the database cannot be reached right now" (as
 * opposed to a bad query): the API answers those with 503 service_unavailable.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (UNAVAILABLE_ERRNO.has(code)) return true;
      // SQLSTATE class 08 (connection exception), 57P01-03 (shutdown), 53300 (too many connections)
      if (/^08/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
    }
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
  }
  return false;
}
