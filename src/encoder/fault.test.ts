// An encoder process killed mid-job (SIGKILL): its lease lapses, the job goes
// back to the queue, and another encoder process finishes it — the video ends
// `ready`, never stuck in `processing`. Needs ffmpeg.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { tusUpload } from '../test-support/tus.ts';
import { makeClip } from '../test-support/media.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const ENCODER = fileURLToPath(new URL('./main.ts', import.meta.url));
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'fault-registration-token-0123456789';

describe('encoder process killed mid-job', { skip: !HAS_FFMPEG && 'ffmpeg is not installed (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let teacher: TestUser;
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-fault-'));
    t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION, ENCODER_LEASE_S: '2', ENCODING_RETRY_DELAY_S: '0' } });
    teacher = await createUser(t, 'teacher', { is_staff: true });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const startEncoder = (name: string) => {
    const child = spawn(process.execPath, [ENCODER], {
      env: { ...process.env, POD_API_URL: t.url, ENCODER_NAME: name, ENCODER_REGISTRATION_TOKEN: REGISTRATION, ENCODER_WEBHOOK_SECRET: SECRET,
        SECRET_KEY: 'fault-secret-key-0123456789-abcdefghijklmn', PGLITE_DATA_DIR: 'memory://', DATABASE_URL: '', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  };

  it('re-queues the job and another encoder finishes it', { timeout: 240_000 }, async () => {
    // 40 s of 360p: long enough to be killed in the middle of it (720p cost about 4 times the CPU for nothing more).
    const file = path.join(dir, 'long.mp4');
    makeClip(file, { seconds: 40, size: '640x360' });
    const done = await tusUpload(t, await readFile(file), { headers: teacher.auth, metadata: { filename: 'long.mp4' }, chunkSize: 4 * 1024 * 1024 });
    assert.equal(done.status, 204, done.body);
    const slug = done.headers['x-video-slug']!;
    const encoding = async () => (await t.request('GET', `/api/v1/videos/${slug}`, { headers: teacher.auth })).body.data.encoding;
    const waitFor = async (ok: (e: any) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      let e = await encoding();
      while (!ok(e) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        e = await encoding();
      }
      return e;
    };

    const first = startEncoder('doomed');
    const midway = await waitFor((e) => e.status === 'processing' && e.progress > 0, 60_000);
    assert.equal(midway.status, 'processing', JSON.stringify(midway));
    first.kill('SIGKILL');

    const requeued = await waitFor((e) => e.status === 'queued', 20_000);
    assert.deepEqual(requeued, { status: 'queued', progress: null, error: null, log: null });

    startEncoder('rescuer');
    const final = await waitFor((e) => e.status === 'ready' || e.status === 'error', 180_000);
    assert.deepEqual(final, { status: 'ready', progress: 100, error: null, log: null });
    const job = await t.app.dbh.db.selectFrom('videos').select('encoding_job_id').where('slug', '=', slug).executeTakeFirstOrThrow();
    const settled = await t.app.jobs.encodingJob(job.encoding_job_id!);
    assert.equal(settled?.state, 'completed');
    assert.equal(settled?.retryCount, 1, 'the second attempt finished it');
  });
});
