// Two API nodes on one PostgreSQL database (as behind a load balancer): the
// encoder's callback lands on node A, a viewer's live stream is held by node
// B, and B's stream still shows processing → ready. PostgreSQL pass only
// (in-memory PGlite cannot be shared by two processes' worth of apps).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { collectEvents } from '../test-support/sse.ts';
import { createTestDatabase, startTestApp, TEST_POSTGRES_URL, type TestApp } from '../test-support/test-app.ts';
import { wavBuffer } from '../test-support/media.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, login } from '../test-support/users.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('live status across API nodes', { skip: !TEST_POSTGRES_URL && 'needs PostgreSQL (the PostgreSQL pass of npm test)' }, () => {
  let a: TestApp, b: TestApp;
  let drop: () => Promise<void>;
  before(async () => {
    const db = await createTestDatabase(TEST_POSTGRES_URL!);
    drop = db.drop;
    a = await startTestApp({ env: { DATABASE_URL: db.url, ENCODER_WEBHOOK_SECRET: SECRET } });
    b = await startTestApp({ env: { DATABASE_URL: db.url, ENCODER_WEBHOOK_SECRET: SECRET } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it('a callback applied on node A reaches the SSE stream held by node B', { timeout: 30_000 }, async () => {
    const owner = await createUser(a, 'owner', { is_staff: true });
    const done = await tusUpload(a, wavBuffer(100_000), { headers: owner.auth, metadata: { filename: 'lecture.wav' } });
    assert.equal(done.status, 204, done.body);
    const id = Number(done.headers['x-video-id']);
    const { encoding_job_id: job } = await a.app.dbh.db.selectFrom('videos').select('encoding_job_id').where('id', '=', id).executeTakeFirstOrThrow();

    const onB = { auth: { authorization: `Bearer ${await login(b, 'owner')}` } };
    const stream = collectEvents(`${b.url}/api/v1/videos/${done.headers['x-video-slug']}/events`, onB.auth, (e) => e.some((x) => x.status === 'ready'));
    await new Promise((r) => setTimeout(r, 300)); // B's stream has sent the current state
    const webhook = new Webhook(SECRET);
    for (const event of [
      { type: 'encoding.processing', video_id: id, job_id: job, progress: 40 },
      { type: 'encoding.ready', video_id: id, job_id: job, outputs: {
        hls_master: `encodings/${id}/hls/master.m3u8`, renditions: [], mp4: [], audio: { key: `encodings/${id}/audio.m4a`, codecs: 'mp4a.40.2' },
        thumbnails: [], poster: null, duration: 3, subtitles: [] } },
    ]) {
      const body = JSON.stringify(event);
      const msgId = `evt_${randomUUID()}`;
      const at = new Date();
      const res = await a.request('POST', '/api/v1/internal/encoding-callback', { body, headers: {
        'content-type': 'application/json', 'webhook-id': msgId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': webhook.sign(msgId, at, body) } });
      assert.equal(res.status, 200, res.text);
      await new Promise((r) => setTimeout(r, 3500)); // one re-check period of B per event
    }
    const { events } = await stream;
    assert.deepEqual(events.map((e) => e.status), ['queued', 'processing', 'ready']);
    assert.equal(events[1].progress, 40);
  });
});
