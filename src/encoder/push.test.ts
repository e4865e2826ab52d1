// Push dispatch: the API POSTs each job, signed, to ENCODER_PUSH_URL. A push
// encoder built from the reference worker verifies the signature, refuses the
// first delivery (the job is retried), accepts the second, and finishes the
// job through the same heartbeats and signed callbacks as pull mode.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../bench/lib.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { tusUpload } from '../test-support/tus.ts';
import { jobProcessor, type Job } from './worker.ts';
import { makeClip } from '../test-support/media.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('push dispatch', { skip: !HAS_FFMPEG && 'ffmpeg is not installed (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let teacher: TestUser;
  let encoder: Server;
  let dir: string;
  const deliveries: { status: number; verified: boolean; attempt?: number }[] = [];
  const stop = new AbortController();

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-push-'));
    const process_ = jobProcessor({ webhookSecret: SECRET }, stop.signal);
    const verifier = new Webhook(SECRET);
    encoder = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        let job: Job;
        try {
          job = verifier.verify(body, req.headers as Record<string, string>) as Job;
        } catch {
          deliveries.push({ status: 401, verified: false });
          res.writeHead(401).end();
          return;
        }
        // The first delivery is refused: the API must retry it.
        const status = deliveries.length === 0 ? 503 : 202;
        deliveries.push({ status, verified: true, attempt: job.attempt });
        res.writeHead(status).end();
        if (status === 202) void process_(job);
      });
    });
    const encoderPort = await freePort();
    await new Promise<void>((r) => encoder.listen(encoderPort, '127.0.0.1', r));
    const apiPort = await freePort();
    t = await startTestApp({
      port: apiPort,
      env: { PUBLIC_URL: `http://127.0.0.1:${apiPort}`, ENCODER_PUSH_URL: `http://127.0.0.1:${encoderPort}/jobs`, ENCODER_WEBHOOK_SECRET: SECRET, ENCODING_RETRY_DELAY_S: '0' },
    });
    teacher = await createUser(t, 'teacher', { is_staff: true });
  });
  after(async () => {
    stop.abort();
    await t?.close();
    await new Promise((r) => encoder.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers signed jobs, retries a refused delivery, and the video ends ready', { timeout: 120_000 }, async () => {
    const file = path.join(dir, 'clip.mp4');
    makeClip(file, { seconds: 5, size: '640x360', audio: false });
    const done = await tusUpload(t, await readFile(file), { headers: teacher.auth, metadata: { filename: 'clip.mp4' } });
    assert.equal(done.status, 204, done.body);
    const slug = done.headers['x-video-slug']!;
    let encoding;
    for (let i = 0; i < 600; i++) {
      encoding = (await t.request('GET', `/api/v1/videos/${slug}`, { headers: teacher.auth })).body.data.encoding;
      if (encoding.status === 'ready' || encoding.status === 'error') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(encoding, { status: 'ready', progress: 100, error: null, log: null });
    assert.deepEqual(deliveries.map((d) => [d.status, d.verified, d.attempt]), [[503, true, 1], [202, true, 2]]);
  });
});
