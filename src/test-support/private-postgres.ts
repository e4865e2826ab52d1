// A throw-away PostgreSQL cluster of the test's own (initdb under a temp
// folder, its own port), so a fault test can crash and restart the database
// server without touching the machine's shared one. Needs the server
// binaries (Debian's postgresql package) and, as root, the `postgres` system
// user to own the data folder (PostgreSQL refuses to run as root).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../bench/lib.ts';

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function postgresUid(): { uid: number; gid: number } | undefined {
  const res = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return res.status === 0 && gid.status === 0 ? { uid: Number(res.stdout), gid: Number(gid.stdout) } : undefined;
}

/** Why a private cluster cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!binDir()) return 'PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)';
  if (process.getuid?.() === 0 && !postgresUid()) return 'running as root without a postgres system user';
  return undefined;
}


export interface PrivatePostgres {
  url: string;
  /** Crash-stop (`-m immediate`: no checkpoint, connections cut, like a killed server). */
  crash(): void;
  start(): void;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()!;
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-pg-'));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUid()! : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const run = (cmd: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const pgCtl = (args: string[]) => run('pg_ctl', ['-D', data, ...args]);
  const start = () => pgCtl(['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dir, 'log'), '-w', 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: () => pgCtl(['-m', 'immediate', '-w', 'stop']),
    start,
    async destroy() {
      try {
        pgCtl(['-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
