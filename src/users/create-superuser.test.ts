// The embedded database takes one process at a time, and the first superuser
// can be made while the server runs: `npm run create-superuser` asks the
// running server, which sees the new account at once. A second server (or
// `npm run migrate`) on the same data directory is refused with a message
// naming the holder. The password prompt does not echo.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from '../test-support/server-process.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

const CLI = fileURLToPath(new URL('./create-superuser-cli.ts', import.meta.url));
const MIGRATE = fileURLToPath(new URL('../core/db/migrate-cli.ts', import.meta.url));
const SECRET_KEY = 'create-superuser-test-secret-0123456789abcdef';
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

function run(file: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

const token = async (url: string, username: string, password: string) =>
  fetch(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

// Embedded PGlite data directories in both passes: run once, in the PGlite pass.
describe('one process per embedded database; create-superuser while the server runs', { skip: ENGINE_INDEPENDENT }, () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-su-'));
    env = { PGLITE_DATA_DIR: path.join(dir, 'pgdata'), SECRET_KEY, MEDIA_DIR: path.join(dir, 'media') };
    server = await startServerProcess(env);
  });
  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('a second server or `migrate` on the same directory is refused, naming the holder', async () => {
    const second = await run(fileURLToPath(new URL('../main.ts', import.meta.url)), [], { ...env, PORT: '0', HOST: '127.0.0.1' });
    assert.equal(second.code, 75, second.out);
    assert.match(second.out, new RegExp(`in use by another pod-api process \\(api, pid ${server.child.pid}, serving ${server.url.replace(/[.]/g, '\\.')}\\)`));
    const migrate = await run(MIGRATE, [], env);
    assert.equal(migrate.code, 75, migrate.out);
    assert.match(migrate.out, /in use by another pod-api process/);
    assert.equal((await fetch(`${server.url}/api/v1/ready`)).status, 200, 'the holder is unharmed');
  });

  it('create-superuser goes through the running server, which sees the account at once', async () => {
    assert.equal((await token(server.url, 'admin', 'first admin password')).status, 401);
    const made = await run(CLI, ['--username', 'admin', '--email', 'admin@univ.example', '--password', 'first admin password'], env);
    assert.equal(made.code, 0, made.out);
    assert.match(made.out, /Superuser admin \(id \d+\) is ready \(created through the server running at/);
    const login = await token(server.url, 'admin', 'first admin password');
    assert.equal(login.status, 200, 'no restart needed');
    const access = ((await login.json()) as any).data.access_token;
    const me = await fetch(`${server.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${access}` } });
    assert.equal(((await me.json()) as any).data.is_superuser, true);
    // On the audit trail, by the command.
    const trail = await fetch(`${server.url}/api/v1/audit?action=user.created`, { headers: { authorization: `Bearer ${access}` } });
    const created = ((await trail.json()) as any).data;
    assert.deepEqual(created.map((r: any) => [r.actor, r.details.username, r.details.via]), [[null, 'admin', 'create-superuser']]);
    // Another secret cannot use the server's endpoint.
    const forged = await run(CLI, ['--username', 'mallory', '--password', 'mallory password'], { ...env, SECRET_KEY: 'another-secret-key-0123456789-abcdefghij' });
    assert.equal(forged.code, 77, forged.out);
    assert.equal((await token(server.url, 'mallory', 'mallory password')).status, 401);
  });

  it('the interactive prompt does not echo the password', { skip: !HAS_SCRIPT && 'script(1) is not installed (util-linux)' }, async () => {
    // script(1) gives the command a real terminal; its transcript is what a user would see.
    const child = spawn('script', ['-qefc', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} --username prompted`, '/dev/null'], {
      env: { ...process.env, DATABASE_URL: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const prompted = new Promise<void>((resolve) => child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Password')) resolve();
    }));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await prompted;
    child.stdin.write('typed-secret-42\r');
    assert.equal(await exited, 0, out);
    assert.match(out, /Password \(not shown\):/);
    assert.ok(!out.includes('typed-secret-42'), `the password was echoed: ${JSON.stringify(out)}`);
    assert.match(out, /Superuser prompted \(id \d+\) is ready/);
    assert.equal((await token(server.url, 'prompted', 'typed-secret-42')).status, 200);
  });

  it('once the server is gone, the directory is free again (even after a crash)', async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    const direct = await run(CLI, ['--username', 'later', '--password', 'later password'], env);
    assert.equal(direct.code, 0, direct.out);
    assert.match(direct.out, /Superuser later \(id \d+\) is ready\.$/m);
    server = await startServerProcess(env);
    assert.equal((await token(server.url, 'later', 'later password')).status, 200);
  });
});

describe('POST /api/v1/internal/superusers', () => {
  it('takes only the command-line token: anonymous, user tokens (a superuser\'s too) → 401; bad input → 4xx with a code', async () => {
    const { startTestApp } = await import('../test-support/test-app.ts');
    const { createUser } = await import('../test-support/users.ts');
    const { cliSuperuserToken } = await import('./superusers.ts');
    const t = await startTestApp();
    try {
      const root = await createUser(t, 'root', { is_superuser: true, is_staff: true });
      const staff = await createUser(t, 'teacher', { is_staff: true });
      const body = { username: 'second-admin', password: 'second admin password' };
      for (const headers of [{}, root.auth, staff.auth, { authorization: 'Bearer not-a-token' }]) {
        for (const json of [body, { username: 42 }]) {
          const res = await t.request('POST', '/api/v1/internal/superusers', { headers, json });
          assert.equal(res.status, 401, JSON.stringify(headers));
          assert.equal(res.body.errors[0].code, 'invalid_token');
        }
      }
      const cli = { authorization: `Bearer ${await cliSuperuserToken(t.app.keys)}` };
      const made = await t.request('POST', '/api/v1/internal/superusers', { headers: cli, json: body });
      assert.equal(made.status, 200, made.text);
      assert.equal(made.body.data.created, true);
      const again = await t.request('POST', '/api/v1/internal/superusers', { headers: cli, json: { username: 'teacher', password: 'promoted teacher pw' } });
      assert.deepEqual([again.body.data.created, again.body.data.id], [false, staff.id], 'an existing account is promoted');
      for (const [json, field] of [
        [{ username: 'x' }, 'password'], [{ username: 'x', password: 'short' }, 'password'], [{ username: 42, password: 'long enough pw' }, 'username'],
        [{ username: 'bad name!', password: 'long enough pw' }, 'username'], [{ ...body, is_manager: true }, 'is_manager'],
      ] as const) {
        const res = await t.request('POST', '/api/v1/internal/superusers', { headers: cli, json });
        assert.equal(res.status, 400, JSON.stringify(json));
        assert.equal(res.body.errors[0].field, field);
      }
      const wrongType = await t.request('POST', '/api/v1/internal/superusers', { headers: { ...cli, 'content-type': 'text/plain' }, body: 'x' });
      assert.equal(wrongType.status, 415);
    } finally {
      await t.close();
    }
  });
});
