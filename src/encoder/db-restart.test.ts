// The database server crashes (immediate stop: connections cut, no
// checkpoint) and comes back while jobs are being dispatched and encoded:
// the API answers 503 meanwhile, never crashes, and afterwards every upload
// still ends `ready`, each job completed exactly once — nothing lost, nothing
// doubled. Runs on a PostgreSQL cluster of its own (see private-postgres.ts),
// in the PostgreSQL pass of `npm test`; needs ffmpeg.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QUEUES } from '../core/jobs.ts';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../test-support/private-postgres.ts';
import { ENGINE, startTestApp, type TestApp } from '../test-support/test-app.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { runEncoder } from './worker.ts';
import { makeClip } from '../test-support/media.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'restart-registration-token-0123456789';
const skip = ENGINE !== 'postgres' ? 'runs in the PostgreSQL pass (it crashes a PostgreSQL server of its own)'
  : !HAS_FFMPEG ? 'ffmpeg is not installed (apt-get install ffmpeg)'
  : privatePostgresUnavailable();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('database restart during dispatch', { skip }, () => {
  let pg: PrivatePostgres;
  let t: TestApp;
  let teacher: TestUser;
  let dir: string;
  const encoderStop = new AbortController();
  let encoder: Promise<void> | undefined;
  const clips: Record<string, Buffer> = {};

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-restart-'));
    for (const [name, seconds] of [['long', 40], ['short', 6]] as const) {
      // The long one must still be encoding when the database goes down (the CMAF ladder encodes 16 s in ≈ 2 s).
      const file = path.join(dir, `${name}.mp4`);
      makeClip(file, { seconds, size: '640x360' });
      clips[name] = await readFile(file);
    }
    pg = await startPrivatePostgres();
    t = await startTestApp({ env: { DATABASE_URL: pg.url, ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION, ENCODING_RETRY_DELAY_S: '0' } });
    teacher = await createUser(t, 'teacher', { is_staff: true });
  });
  after(async () => {
    encoderStop.abort();
    await encoder;
    await t?.close();
    await pg?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const upload = async (clip: Buffer, name: string) => {
    const done = await tusUpload(t, clip, { headers: teacher.auth, metadata: { filename: `${name}.mp4` }, chunkSize: 1024 * 1024 });
    assert.equal(done.status, 204, done.body);
    return done.headers['x-video-slug']!;
  };
  const encoding = async (slug: string) => {
    const res = await t.request('GET', `/api/v1/videos/${slug}`, { headers: teacher.auth });
    return res.status === 200 ? res.body.data.encoding : { status: `http_${res.status}` };
  };
  const waitFor = async (slug: string, ok: (e: any) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    let e = await encoding(slug);
    while (!ok(e) && Date.now() < deadline) {
      await sleep(100);
      e = await encoding(slug);
    }
    return e;
  };
  const settled = (e: any) => e.status === 'ready' || e.status === 'error';

  it('a crash while one job encodes and another waits: 503 meanwhile, both end ready, each job completed once', { timeout: 240_000 }, async () => {
    const first = await upload(clips.long!, 'first');
    const second = await upload(clips.short!, 'second');
    encoder = runEncoder({ apiUrl: t.url, registrationToken: REGISTRATION, webhookSecret: SECRET, name: 'steady' }, encoderStop.signal).catch(() => {});

    // Claimed and started (ffmpeg reports progress once per muxed segment: on a 40 s clip, often only at the end).
    const busy = await waitFor(first, (e) => e.status === 'processing', 60_000);
    assert.equal(busy.status, 'processing', JSON.stringify(busy));
    assert.equal((await encoding(second)).status, 'queued');

    pg.crash();
    // An uncached read (the video's detail may still come from the read cache for the few ms until
    // the node sees its LISTEN connection drop: exact, since nothing can be written meanwhile).
    const down = await t.request('GET', `/api/v1/videos/${first}/chapters`, { headers: teacher.auth });
    assert.equal(down.status, 503, down.text);
    assert.equal(down.body.errors[0].code, 'service_unavailable');
    assert.ok(down.headers.get('retry-after'));
    assert.equal((await t.request('GET', '/api/v1/ready')).status, 503);
    await sleep(4000); // heartbeats, claims, maintenance and the reaper all fail for a while
    pg.start();

    for (const slug of [first, second]) {
      const final = await waitFor(slug, settled, 120_000);
      assert.deepEqual(final, { status: 'ready', progress: 100, error: null, log: null }, slug);
    }
    assert.equal((await t.request('GET', '/api/v1/ready')).status, 200);
    await assertEachJobCompletedOnce([first, second]);
  });

  it('a crash while the encoder waits for work: the claim loop recovers and dispatches the next upload', { timeout: 120_000 }, async () => {
    await sleep(500); // the encoder is back in its long-poll
    pg.crash();
    await sleep(3000);
    pg.start();
    await sleep(500);
    const third = await upload(clips.short!, 'third');
    const final = await waitFor(third, settled, 90_000);
    assert.deepEqual(final, { status: 'ready', progress: 100, error: null, log: null });
    await assertEachJobCompletedOnce([third]);
  });

  async function assertEachJobCompletedOnce(slugs: string[]) {
    const db = t.app.dbh.db;
    for (const slug of slugs) {
      const video = await db.selectFrom('videos').select(['id', 'encoding_job_id']).where('slug', '=', slug).executeTakeFirstOrThrow();
      const job = await t.app.jobs.encodingJob(video.encoding_job_id!);
      assert.equal(job?.state, 'completed', slug);
      // One job per upload: a restart neither lost it nor enqueued it twice.
      const all = await t.app.jobs.boss.findJobs(QUEUES.videoEncode, { data: { video_id: video.id } });
      assert.equal(all.length, 1, `${slug}: ${JSON.stringify(all.map((j) => j.state))}`);
    }
  }
});
