// One process at a time on an embedded (PGlite) data directory: PGlite is
// PostgreSQL in one process's memory, and two processes writing the same files
// corrupt them. The holder listens on a Unix socket inside the directory; a
// second process that can connect to it knows the directory is taken (and by
// whom: the socket answers the holder's pid and URL), while a socket left by a
// crashed process refuses connections and is taken over. Unlike a pid file,
// this cannot be fooled by a recycled pid (containers restart as pid 1).
import { unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';

export interface PgliteHolder {
  pid: number;
  /** Where the holder serves HTTP, once it listens (null for a command such as `npm run migrate`). */
  url: string | null;
  role: string;
}

export interface PgliteLock {
  /** Tells later callers where this process serves. */
  describe(info: Partial<PgliteHolder>): void;
  release(): Promise<void>;
}

export class PgliteInUseError extends Error {
  override name = 'PgliteInUseError';
  readonly holder: PgliteHolder;
  constructor(dir: string, holder: PgliteHolder) {
    super(`The embedded database ${dir} is in use by another pod-api process (${holder.role}, pid ${holder.pid}`
      + `${holder.url ? `, serving ${holder.url}` : ''}). PGlite allows one process at a time: stop that process first, `
      + 'or point DATABASE_URL at PostgreSQL to run several processes on one database.');
    this.holder = holder;
  }
}

/** For commands: a PgliteInUseError is told plainly (exit 75, EX_TEMPFAIL: try again once the holder is gone); anything else is thrown on. */
export function exitIfPgliteInUse(err: unknown): never {
  if (err instanceof PgliteInUseError) {
    console.error(err.message);
    process.exit(75);
  }
  throw err;
}

const socketOf = (dir: string) => path.join(path.resolve(dir), '.pod-api.lock.sock');

/** The process holding this data directory, or null when it is free (or its holder crashed). */
export function pgliteHolder(dir: string): Promise<PgliteHolder | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(socketOf(dir));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', () => resolve(null));
    socket.on('close', () => {
      try {
        resolve(text ? (JSON.parse(text) as PgliteHolder) : null);
      } catch {
        resolve(null);
      }
    });
  });
}

function listen(server: Server, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Takes the data directory for this process, or throws PgliteInUseError naming its holder. */
export async function lockPgliteDir(dir: string, role: string): Promise<PgliteLock> {
  const file = socketOf(dir);
  let info: PgliteHolder = { pid: process.pid, url: null, role };
  const server = createServer((c) => c.end(JSON.stringify(info)));
  for (let attempt = 1; ; attempt++) {
    try {
      await listen(server, file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 2) throw err;
      const holder = await pgliteHolder(dir);
      if (holder) throw new PgliteInUseError(dir, holder);
      await unlink(file).catch(() => {}); // left by a process that died: take it over
    }
  }
  server.unref(); // the lock never keeps a process alive
  // A process that exits without closing still frees the name for the next one.
  const onExit = () => {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    describe(more) {
      info = { ...info, ...more };
    },
    async release() {
      process.off('exit', onExit);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(file).catch(() => {});
    },
  };
}
