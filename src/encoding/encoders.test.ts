// The pull protocol, driven as an encoder would: register, claim, download
// the source, upload outputs, heartbeat, finish with the signed callback —
// and the encoder that dies: its job is re-queued, then fails after the
// last attempt; never stuck in `processing`.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { sha256, wavBuffer } from '../test-support/media.ts';
import { tusUpload } from '../test-support/tus.ts';
import { reapExpiredLeases } from './leases.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'registration-token-0123456789-abcdef';

async function setup(env: Record<string, string> = {}) {
  const t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION, ...env } });
  const teacher = await createUser(t, 'teacher', { is_staff: true });
  const reg = await t.request('POST', '/api/v1/encoders/register', { json: { registration_token: REGISTRATION, name: 'test-encoder' } });
  assert.equal(reg.status, 201, reg.text);
  return { t, teacher, encoder: { 'x-encoder-token': reg.body.data.token as string } };
}

async function uploadLecture(t: TestApp, teacher: TestUser, bytes = wavBuffer(300_000)) {
  const done = await tusUpload(t, bytes, { headers: teacher.auth, metadata: { filename: 'lecture.wav' } });
  assert.equal(done.status, 204, done.body);
  return { id: Number(done.headers['x-video-id']), slug: done.headers['x-video-slug']!, bytes };
}

const claim = (t: TestApp, encoder: Record<string, string>, wait_s = 0) => t.request('POST', '/api/v1/encoders/jobs/claim', { headers: encoder, json: { wait_s } });
const signed = (t: TestApp, event: unknown) => {
  const body = JSON.stringify(event);
  const id = `evt_${randomUUID()}`;
  const now = new Date();
  return t.request('POST', '/api/v1/internal/encoding-callback', {
    body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, body) },
  });
};

describe('encoder pull protocol', () => {
  let t: TestApp, teacher: TestUser, encoder: Record<string, string>;
  before(async () => ({ t, teacher, encoder } = await setup()));
  after(() => t.close());

  it('registration needs the registration token; job routes need an encoder token', async () => {
    const bad = await t.request('POST', '/api/v1/encoders/register', { json: { registration_token: 'guess', name: 'x' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.errors[0].code, 'invalid_registration_token');
    assert.equal((await claim(t, {})).body.errors[0].code, 'encoder_token_required');
    assert.equal((await claim(t, { 'x-encoder-token': 'nope' })).body.errors[0].code, 'invalid_encoder_token');
    assert.equal((await t.request('POST', '/api/v1/encoders/jobs/claim', { headers: { ...encoder, 'content-type': 'text/plain' }, body: 'x' })).status, 415);
  });

  it('an idle long-poll answers null after its wait', async () => {
    const started = Date.now();
    const res = await claim(t, encoder, 1);
    assert.equal(res.status, 200);
    assert.equal(res.body.data, null);
    assert.ok(Date.now() - started >= 900);
  });

  it('claim → source download (with ranges) → outputs upload → heartbeats → signed ready: job settled, video ready', async () => {
    const video = await uploadLecture(t, teacher);
    const job = (await claim(t, encoder, 5)).body.data;
    assert.equal(job.video_id, video.id);
    assert.equal(job.attempt, 1);
    assert.equal(job.outputs.prefix, `encodings/${video.id}/`);

    const src = await fetch(job.source.url);
    assert.equal(src.status, 200);
    assert.equal(sha256(Buffer.from(await src.arrayBuffer())), sha256(video.bytes), 'the source as uploaded');
    const part = await fetch(job.source.url, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    assert.equal(part.headers.get('content-range'), `bytes 0-99/${video.bytes.length}`);

    const put = await fetch(`${job.outputs.upload_url}/hls/master.m3u8`, { method: 'PUT', body: '#EXTM3U\n', headers: { 'content-type': 'application/vnd.apple.mpegurl' } });
    assert.equal(put.status, 200);
    assert.equal(((await put.json()) as any).data.key, `encodings/${video.id}/hls/master.m3u8`);
    assert.equal((await t.app.storage.stat(`encodings/${video.id}/hls/master.m3u8`))?.size, 8);
    // Encoded slashes survive URL normalisation and decode to x/../../sources/evil.wav on the server.
    const traversal = await fetch(`${job.outputs.upload_url}/x%2F..%2F..%2Fsources%2Fevil.wav`, { method: "PUT", body: "x" });
    assert.equal(traversal.status, 400);
    assert.equal((await fetch(`${job.outputs.upload_url.replace('/files/', '/files/x')}/a.txt`, { method: 'PUT', body: 'x' })).status, 403, 'tampered token');
    const outputsTokenAsSource = job.outputs.upload_url;
    assert.equal((await fetch(outputsTokenAsSource)).status, 403, 'an outputs URL does not read the source');

    const hb = await t.request('POST', `/api/v1/encoders/jobs/${job.job_id}/heartbeat`, { headers: encoder, json: { progress: 30 } });
    assert.equal(hb.status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${video.slug}`, { headers: teacher.auth })).body.data.encoding.progress, 30);

    const ready = await signed(t, {
      type: 'encoding.ready', video_id: video.id, job_id: job.job_id,
      outputs: { hls_master: `encodings/${video.id}/hls/master.m3u8`, renditions: [], mp4: [], audio: null, thumbnails: [], poster: null, duration: 1.5, subtitles: [] },
    });
    assert.equal(ready.body.data.status, 'ready');
    assert.equal((await t.app.jobs.encodingJob(job.job_id))?.state, 'completed');
    const lost = await t.request('POST', `/api/v1/encoders/jobs/${job.job_id}/heartbeat`, { headers: encoder, json: {} });
    assert.equal(lost.status, 409, 'the lease is released');
    // The job is settled: its file URLs die with it (no overwriting a published playlist, no source download).
    const late = await fetch(`${job.outputs.upload_url}/hls/master.m3u8`, { method: 'PUT', body: '#EXTM3U\n#EVIL\n' });
    assert.equal(late.status, 403);
    assert.equal(((await late.json()) as any).errors[0].code, 'file_url_revoked');
    assert.equal((await t.app.storage.stat(`encodings/${video.id}/hls/master.m3u8`))?.size, 8, 'the published file is untouched');
    const lateSource = await fetch(job.source.url);
    assert.equal(lateSource.status, 403);
    assert.equal(((await lateSource.json()) as any).errors[0].code, 'file_url_revoked');
    assert.equal((await claim(t, encoder, 0)).body.data, null, 'nothing left to do');
  });

  it('the file URLs of a job die when a newer source supersedes it', async () => {
    const video = await uploadLecture(t, teacher);
    const job = (await claim(t, encoder, 5)).body.data;
    assert.equal(job.video_id, video.id);
    assert.equal((await fetch(job.source.url, { headers: { range: 'bytes=0-9' } })).status, 206);
    const again = await tusUpload(t, wavBuffer(120_000), { headers: teacher.auth, metadata: { filename: 'v2.wav', video: video.slug } });
    assert.equal(again.status, 204);
    const source = await fetch(job.source.url);
    assert.equal(source.status, 403, 'the old job may not read the new source');
    const put = await fetch(`${job.outputs.upload_url}/hls/master.m3u8`, { method: 'PUT', body: '#EXTM3U\n' });
    assert.equal(put.status, 403, 'nor write over the outputs of the new job');
    assert.equal(await t.app.storage.stat(`encodings/${video.id}/hls/master.m3u8`), null);
    const current = (await claim(t, encoder, 5)).body.data;
    assert.notEqual(current.job_id, job.job_id);
    assert.equal((await fetch(current.source.url, { headers: { range: 'bytes=0-9' } })).status, 206, "the new job's URLs work");
    await signed(t, { type: 'encoding.error', video_id: video.id, job_id: current.job_id, error: { code: 'test', message: 'settle it' } });
    assert.equal((await fetch(current.source.url)).status, 403, 'a failure settles the attempt too');
  });

  it('a job superseded by a newer source is retired, not handed out', async () => {
    const first = await uploadLecture(t, teacher);
    const again = await tusUpload(t, wavBuffer(120_000), { headers: teacher.auth, metadata: { filename: 'v2.wav', video: first.slug } });
    assert.equal(again.status, 204);
    const job = (await claim(t, encoder, 2)).body.data;
    const { encoding_job_id } = await t.app.dbh.db.selectFrom('videos').select('encoding_job_id').where('id', '=', first.id).executeTakeFirstOrThrow();
    assert.equal(job.job_id, encoding_job_id, 'only the current job is handed out');
    assert.equal((await claim(t, encoder, 0)).body.data, null);
  });
});

describe('an encoder that dies', () => {
  let t: TestApp, teacher: TestUser, encoder: Record<string, string>;
  before(async () => ({ t, teacher, encoder } = await setup({ ENCODER_LEASE_S: '2', ENCODING_MAX_ATTEMPTS: '2', ENCODING_RETRY_DELAY_S: '0' })));
  after(() => t.close());

  it('loses its job when its lease expires: re-queued, then error (encoder_lost) after the last attempt', async () => {
    const video = await uploadLecture(t, teacher);
    const status = async () => (await t.request('GET', `/api/v1/videos/${video.slug}`, { headers: teacher.auth })).body.data.encoding;

    const first = (await claim(t, encoder, 5)).body.data;
    assert.equal(first.attempt, 1);
    await t.request('POST', `/api/v1/encoders/jobs/${first.job_id}/heartbeat`, { headers: encoder, json: { progress: 20 } });
    assert.equal((await status()).status, 'processing');
    // The encoder "dies": no more heartbeats. The lease reaper (every 0.5 s here) re-queues the job.
    const waitFor = async (want: string) => {
      for (let i = 0; i < 60 && (await status()).status !== want; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await reapExpiredLeases(t.app);
      }
      return status();
    };
    assert.deepEqual(await waitFor('queued'), { status: 'queued', progress: null, error: null, log: null });
    const zombie = await t.request('POST', `/api/v1/encoders/jobs/${first.job_id}/heartbeat`, { headers: encoder, json: { progress: 50 } });
    assert.equal(zombie.status, 409);
    assert.equal(zombie.body.errors[0].code, 'lease_lost');

    const gone = await fetch(first.source.url);
    assert.equal(gone.status, 403, 'the lost lease took its file URLs with it');
    assert.equal((await fetch(`${first.outputs.upload_url}/hls/master.m3u8`, { method: 'PUT', body: 'x' })).status, 403);

    const second = (await claim(t, encoder, 5)).body.data;
    assert.equal(second.job_id, first.job_id);
    assert.equal(second.attempt, 2);
    assert.equal((await fetch(first.source.url)).status, 403, 'the first attempt stays dead under the same job id');
    assert.equal((await fetch(second.source.url, { headers: { range: 'bytes=0-9' } })).status, 206, 'the new attempt reads');
    const final = await waitFor('error');
    assert.equal(final.status, 'error');
    assert.equal(final.error.code, 'encoder_lost');
    assert.equal((await claim(t, encoder, 0)).body.data, null, 'not handed out again');
  });
});
