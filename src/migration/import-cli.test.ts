// `npm run import-v4` as a university runs it: killed in the middle of the
// videos it resumes where it stopped (nothing twice), a third run changes
// nothing; a dry run writes only its report; a broken dump is refused with
// its line and column, a dump of another Pod version and a missing media
// folder with a clear message (exit 65).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { migrate } from '../core/db/migrate.ts';
import { generateV4Dump } from '../test-support/v4-generate.ts';
import { createTestDatabase, TEST_POSTGRES_URL } from '../test-support/test-app.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const VIDEOS = 1000;

describe('npm run import-v4', () => {
  let dir: string;
  let dump: { dump: string; media: string };
  let env: Record<string, string>;
  let dropDb: (() => Promise<void>) | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-import-cli-'));
    dump = await generateV4Dump(path.join(dir, 'v4'), { videos: VIDEOS });
    const db = TEST_POSTGRES_URL ? await createTestDatabase(TEST_POSTGRES_URL) : undefined;
    dropDb = db?.drop;
    env = { DATABASE_URL: db?.url ?? '', PGLITE_DATA_DIR: path.join(dir, 'pgdata'), MEDIA_DIR: path.join(dir, 'storage'), LOG_LEVEL: 'warn', SECRET_KEY: 'import-cli-secret-key-0123456789abcdef' };
  });
  after(async () => {
    await dropDb?.();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the command; `killWhen` kills it (SIGKILL) at the first stderr line it matches. */
  function run(args: string[], killWhen?: RegExp) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--max-old-space-size=160', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => {
        err += c;
        if (killWhen?.test(err)) child.kill('SIGKILL');
      });
      child.once('exit', (code, signal) => resolve({ code, signal, out, err }));
    });
  }
  async function counts() {
    const handle = await openDatabase(loadConfig({ ...env, DATABASE_URL: env.DATABASE_URL || undefined } as Record<string, string>));
    try {
      await migrate(handle); // a dry run leaves the database as it found it: maybe empty
      const n = async (table: 'videos' | 'video_chapters' | 'video_tracks' | 'users') => Number((await handle.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      return { videos: await n('videos'), chapters: await n('video_chapters'), tracks: await n('video_tracks'), users: await n('users') };
    } finally {
      await handle.close();
    }
  }
  const args = ['--dump', '', '--media', ''];
  const withDump = (...extra: string[]) => { args[1] = dump.dump; args[3] = dump.media; return [...args, ...extra]; };

  it('a dry run writes its report and nothing else', async () => {
    const res = await run(withDump('--dry-run', '--report', path.join(dir, 'dry.json')));
    assert.equal(res.code, 0, res.err);
    assert.match(res.out, /dry run: nothing was written/);
    const report = JSON.parse(await readFile(path.join(dir, 'dry.json'), 'utf8'));
    assert.equal(report.models['video.video'].imported, VIDEOS);
    assert.deepEqual(await counts(), { videos: 0, chapters: 0, tracks: 0, users: 0 });
  });

  it('killed in the middle of the videos, it resumes where it stopped; a third run changes nothing', async () => {
    const killed = await run(withDump(), /videos: [1-9]\d{2,}\/1000/);
    assert.equal(killed.signal, 'SIGKILL', `the import finished before it could be killed:\n${killed.err}`);
    const midway = await counts();
    assert.ok(midway.videos > 0 && midway.videos < VIDEOS, `killed with ${midway.videos} videos imported`);
    const resumed = await run(withDump('--resume'));
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, new RegExp(`video\\.video\\s+${VIDEOS}\\s+${VIDEOS - midway.videos}\\s+${midway.videos}`), resumed.out);
    assert.deepEqual(await counts(), { videos: VIDEOS, chapters: (VIDEOS / 10) * 2, tracks: VIDEOS / 10, users: VIDEOS / 20 });
    const again = await run(withDump('--resume', '--report', path.join(dir, 'again.json')));
    assert.equal(again.code, 0, again.err);
    const report = JSON.parse(await readFile(path.join(dir, 'again.json'), 'utf8'));
    for (const [model, c] of Object.entries<any>(report.models)) assert.equal(c.imported, 0, `${model} imported again`);
    assert.deepEqual(await counts(), { videos: VIDEOS, chapters: (VIDEOS / 10) * 2, tracks: VIDEOS / 10, users: VIDEOS / 20 });
  });

  it('refuses a broken dump (line and column), another Pod version, a missing media folder: exit 65', async () => {
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '[\n  {"model": "auth.user", "pk": 1, "fields": {"username": "a"}},\n  {"model": "video.video", "pk": 2, "fields": {"title": "x",}}\n]\n');
    const bad = await run(['--dump', broken, '--media', dump.media]);
    assert.equal(bad.code, 65);
    assert.match(bad.err, /not valid JSON at line 3, column \d+/);
    const old = path.join(dir, 'v3.json');
    await writeFile(old, JSON.stringify([{ model: 'auth.user', pk: 1, fields: { username: 'a', is_superuser: false, is_staff: false, is_active: true } },
      { model: 'video.video', pk: 1, fields: { title: 'x', slug: '0001-x', owner: 1, date_added: '2015-01-01T00:00:00Z' } }]));
    const v3 = await run(['--dump', old, '--media', dump.media]);
    assert.equal(v3.code, 65);
    assert.match(v3.err, /video\.video records lack is_draft.*a Pod version this importer does not know/);
    const noMedia = await run(['--dump', dump.dump, '--media', path.join(dir, 'nowhere')]);
    assert.equal(noMedia.code, 65);
    assert.match(noMedia.err, /media folder .* does not exist/);
    const usage = await run([]);
    assert.equal(usage.code, 64);
  });
});
