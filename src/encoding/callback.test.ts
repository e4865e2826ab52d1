// Encoder callbacks (Standard Webhooks signatures) and the live status
// stream (SSE): forged, stale, replayed, duplicate and out-of-order events.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { wavBuffer } from '../test-support/media.ts';
import { tusUpload } from '../test-support/tus.ts';
import { collectEvents } from '../test-support/sse.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('encoding callbacks and live status', () => {
  let t: TestApp;
  let owner: TestUser, stranger: TestUser;
  let video: { id: number; slug: string; job: string };
  const webhook = new Webhook(SECRET);

  const post = (event: unknown, opts: { id?: string; at?: Date; secret?: Webhook; headers?: Record<string, string> } = {}) => {
    const body = JSON.stringify(event);
    const id = opts.id ?? `evt_${randomUUID()}`;
    const at = opts.at ?? new Date();
    const signature = (opts.secret ?? webhook).sign(id, at, body);
    return t.request('POST', '/api/v1/internal/encoding-callback', {
      body,
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature, ...opts.headers },
    });
  };
  const outputs = (id: number) => ({
    hls_master: `encodings/${id}/hls/master.m3u8`,
    renditions: [{ playlist: `encodings/${id}/hls/360p.m3u8`, width: 640, height: 360, bitrate: 800_000, codecs: 'avc1.64001e,mp4a.40.2' }],
    mp4: [{ key: `encodings/${id}/360p.mp4`, height: 360 }],
    audio: { key: `encodings/${id}/audio.m4a`, codecs: 'mp4a.40.2' },
    thumbnails: [`encodings/${id}/thumb-1.jpg`],
    poster: `encodings/${id}/poster.jpg`,
    duration: 12.4,
    subtitles: [{ key: `encodings/${id}/subtitles-fr.vtt`, lang: 'fr' }],
  });

  before(async () => {
    t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET } });
    owner = await createUser(t, 'owner', { is_staff: true });
    stranger = await createUser(t, 'stranger');
    const done = await tusUpload(t, wavBuffer(200_000), { headers: owner.auth, metadata: { filename: 'lecture.wav' } });
    assert.equal(done.status, 204, done.body);
    const id = Number(done.headers['x-video-id']);
    const row = await t.app.dbh.db.selectFrom('videos').select(['encoding_job_id']).where('id', '=', id).executeTakeFirstOrThrow();
    video = { id, slug: done.headers['x-video-slug']!, job: row.encoding_job_id! };
  });
  after(() => t.close());

  it('refuses forged, unsigned, wrongly keyed and stale callbacks', async () => {
    const event = { type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 99 };
    const cases: [string, Promise<{ status: number; body: any }>, string][] = [
      ['no signature', t.request('POST', '/api/v1/internal/encoding-callback', { json: event }), 'invalid_signature'],
      ['forged', post(event, { headers: { 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` } }), 'invalid_signature'],
      ['other key', post(event, { secret: new Webhook(`whsec_${randomBytes(32).toString('base64')}`) }), 'invalid_signature'],
      ['6 minutes old', post(event, { at: new Date(Date.now() - 6 * 60_000) }), 'stale_timestamp'],
      ['6 minutes ahead', post(event, { at: new Date(Date.now() + 6 * 60_000) }), 'stale_timestamp'],
      ['unsigned garbage body', t.request('POST', '/api/v1/internal/encoding-callback', { json: { nonsense: true } }), 'invalid_signature'],
    ];
    for (const [name, call, code] of cases) {
      const res = await call;
      assert.equal(res.status, 401, name);
      assert.equal(res.body.errors[0].code, code, name);
    }
    const v = await t.request('GET', `/api/v1/videos/${video.slug}`, { headers: owner.auth });
    assert.equal(v.body.data.encoding.status, 'queued', 'nothing applied');
  });

  it('streams queued → processing (progress) → ready over SSE; replays, late and foreign events change nothing', async () => {
    const url = `${t.url}/api/v1/videos/${video.slug}/events`;
    const stream = collectEvents(url, owner.auth, (events) => events.some((e) => e.status === 'ready'));
    await new Promise((r) => setTimeout(r, 200)); // let the stream subscribe
    const first = await post({ type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 10 }, { id: 'evt-p10' });
    assert.deepEqual(first.body.data, { duplicate: false, applied: true, status: 'processing' });
    await post({ type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 60 });
    const older = await post({ type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 40 });
    assert.equal(older.body.data.applied, false, 'an older progress report arriving late is ignored');
    const ready = await post({ type: 'encoding.ready', video_id: video.id, job_id: video.job, outputs: outputs(video.id) });
    assert.deepEqual(ready.body.data, { duplicate: false, applied: true, status: 'ready' });

    const { status, events, contentType } = await stream;
    assert.equal(status, 200);
    assert.match(contentType ?? '', /text\/event-stream/);
    assert.deepEqual(events.map((e) => [e.status, e.progress]), [['queued', null], ['processing', 10], ['processing', 60], ['ready', 100]]);

    const replay = await post({ type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 10 }, { id: 'evt-p10' });
    assert.deepEqual(replay.body.data, { duplicate: true, applied: false });
    const late = await post({ type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 95 });
    assert.deepEqual(late.body.data, { duplicate: false, applied: false, status: 'ready', reason: 'already_final' });
    const foreign = await post({ type: 'encoding.error', video_id: video.id, job_id: randomUUID(), error: { code: 'x', message: 'y' } });
    assert.equal(foreign.body.data.reason, 'other_job');

    const v = await t.request('GET', `/api/v1/videos/${video.slug}`, { headers: owner.auth });
    assert.deepEqual(v.body.data.encoding, { status: 'ready', progress: 100, error: null, log: null });
    assert.equal(v.body.data.duration, 12);
    assert.match(v.body.data.thumbnail, new RegExp(`/media/t/[^/]+/encodings/${video.id}/poster\\.jpg$`), 'a signed URL of the poster');
  });

  it('records failures with a machine-readable reason', async () => {
    const done = await tusUpload(t, wavBuffer(100_000), { headers: owner.auth, metadata: { filename: 'other.wav' } });
    const id = Number(done.headers['x-video-id']);
    const { encoding_job_id } = await t.app.dbh.db.selectFrom('videos').select('encoding_job_id').where('id', '=', id).executeTakeFirstOrThrow();
    const res = await post({ type: 'encoding.error', video_id: id, job_id: encoding_job_id, error: { code: 'no_video_stream', message: 'ffmpeg found nothing to encode' } });
    assert.equal(res.body.data.status, 'error');
    const v = await t.request('GET', `/api/v1/videos/${id}`, { headers: owner.auth });
    assert.deepEqual(v.body.data.encoding, { status: 'error', progress: null, error: { code: 'no_video_stream', message: 'ffmpeg found nothing to encode' }, log: null });
  });

  it('refuses outputs outside the video prefix, unknown videos and malformed events (signed but wrong)', async () => {
    const sneaky = { ...outputs(video.id), poster: 'encodings/999/poster.jpg' };
    const res = await post({ type: 'encoding.ready', video_id: video.id, job_id: video.job, outputs: sneaky });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].field, 'outputs.poster');
    // Keys that start with the prefix but leave it once normalised ('..', '.', empty segments).
    for (const key of [`encodings/${video.id}/../999/hls/master.m3u8`, `encodings/${video.id}/hls/../../../sources/x.mp4`, `encodings/${video.id}/./hls/master.m3u8`, `encodings/${video.id}/..`]) {
      const escaping = await post({ type: 'encoding.ready', video_id: video.id, job_id: video.job, outputs: { ...outputs(video.id), hls_master: key } });
      assert.equal(escaping.status, 400, key);
      assert.equal(escaping.body.errors[0].code, 'validation_error', key);
      assert.equal(escaping.body.errors[0].field, 'outputs.hls_master', key);
    }
    const stored = await t.app.dbh.db.selectFrom('videos').select('encoding_outputs').where('id', '=', video.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(stored.encoding_outputs).includes('..'), 'nothing applied');
    assert.equal((await post({ type: 'encoding.processing', video_id: 424242, job_id: randomUUID(), progress: 1 })).status, 404);
    for (const bad of [
      { type: 'encoding.finished', video_id: video.id, job_id: video.job },
      { type: 'encoding.processing', video_id: 'one', job_id: video.job },
      { type: 'encoding.processing', video_id: video.id, job_id: 'not-a-uuid' },
      { type: 'encoding.processing', video_id: video.id, job_id: video.job, progress: 101 },
      { type: 'encoding.ready', video_id: video.id, job_id: video.job },
    ]) {
      const r = await post(bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
  });

  it('the live stream follows the video policy (404 for whoever may not see it)', async () => {
    const draft = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Brouillon' } });
    for (const headers of [{}, stranger.auth]) {
      const res = await collectEvents(`${t.url}/api/v1/videos/${draft.body.data.slug}/events`, headers, () => true);
      assert.equal(res.status, 404);
    }
    const mine = await collectEvents(`${t.url}/api/v1/videos/${draft.body.data.slug}/events`, owner.auth, (e) => e.length > 0);
    assert.deepEqual(mine.events, [{ status: 'pending', progress: null, error: null }]);
  });
});
