// Live event streams keep checking who listens: a viewer who loses access
// (video made draft or deleted, private link revoked, signed out) is told
// (`event: closed`) and cut off; one client holds a bounded number of streams;
// all streams of a video are fed by one source (one refresh per interval for
// all of them, not one per stream).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { markEncoded } from '../test-support/encoded.ts';
import { openEventStream } from '../test-support/sse.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, login, type TestUser } from '../test-support/users.ts';
import { REFRESH_MS } from './event-hub.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('live event streams re-check access', () => {
  let t: TestApp;
  let owner: TestUser, student: TestUser;
  before(async () => {
    t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET, EVENT_STREAMS_PER_CLIENT: '3' } });
    owner = await createUser(t, 'owner', { is_staff: true });
    student = await createUser(t, 'student');
  });
  after(() => t.close());

  async function video(settings: Record<string, unknown>) {
    const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Live', ...settings } });
    assert.equal(res.status, 201, res.text);
    await markEncoded(t, res.body.data.id);
    return res.body.data as { id: number; slug: string };
  }
  const events = (v: { slug: string }, headers: Record<string, string> = {}, query = '') => openEventStream(`${t.url}/api/v1/videos/${v.slug}/events${query}`, headers);

  it('a video made draft: its viewers get `closed` (access_lost) and the stream ends; its owner stays', async () => {
    const v = await video({ is_draft: false, is_restricted: true });
    const viewer = await events(v, student.auth);
    const mine = await events(v, owner.auth);
    assert.equal(viewer.status, 200);
    await viewer.waitFor((e) => e.event === 'encoding' && e.data.status === 'ready');
    assert.equal((await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { is_draft: true } })).status, 200);
    await viewer.ended();
    assert.deepEqual(viewer.events.at(-1), { event: 'closed', data: { reason: 'access_lost' } });
    assert.equal(mine.events.some((e) => e.event === 'closed'), false, 'the owner still sees a draft');
    await mine.close();
  });

  it('a deleted video, and a revoked private link, end their streams', async () => {
    const deleted = await video({ is_draft: false });
    const anon = await events(deleted);
    await anon.waitFor((e) => e.event === 'encoding');
    assert.equal((await t.request('DELETE', `/api/v1/videos/${deleted.slug}`, { headers: owner.auth })).status, 200);
    await anon.ended();
    assert.deepEqual(anon.events.at(-1)?.data, { reason: 'access_lost' });

    const draft = await video({ is_draft: true });
    const link = (await t.request('POST', `/api/v1/videos/${draft.slug}/access-tokens`, { headers: owner.auth, json: {} })).body.data;
    const holder = await events(draft, {}, `?token=${link.token}`);
    assert.equal(holder.status, 200);
    await holder.waitFor((e) => e.event === 'encoding');
    assert.equal((await t.request('DELETE', `/api/v1/videos/${draft.slug}/access-tokens/${link.id}`, { headers: owner.auth })).status, 200);
    await holder.ended();
    assert.deepEqual(holder.events.at(-1)?.data, { reason: 'access_lost' });
  });

  it('signing out ends the streams of that session (session_ended), within a refresh interval', async () => {
    const v = await video({ is_draft: false, is_restricted: true });
    const token = await login(t, 'student');
    const stream = await events(v, { authorization: `Bearer ${token}` });
    await stream.waitFor((e) => e.event === 'encoding');
    const started = Date.now();
    assert.equal((await t.request('POST', '/api/v1/auth/logout', { headers: { authorization: `Bearer ${token}` } })).status, 200);
    await stream.ended(REFRESH_MS * 3);
    assert.deepEqual(stream.events.at(-1)?.data, { reason: 'session_ended' });
    assert.ok(Date.now() - started <= REFRESH_MS * 2 + 1000, 'within one refresh interval or so');
  });

  it('one client holds at most EVENT_STREAMS_PER_CLIENT streams (users by account, anonymous viewers by IP)', async () => {
    const v = await video({ is_draft: false });
    const held = [await events(v, student.auth), await events(v, student.auth), await events(v, student.auth)];
    assert.deepEqual(held.map((s) => s.status), [200, 200, 200]);
    const refused = await events(v, student.auth);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.errors[0].code, 'too_many_streams');
    const other = await events(v, owner.auth);
    assert.equal(other.status, 200, 'another user has a budget of their own');
    await held[0]!.close();
    // The server sees the disconnect a moment later: the slot comes back.
    let again = await events(v, student.auth);
    for (let i = 0; again.status === 429 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await events(v, student.auth);
    }
    assert.equal(again.status, 200);
    const anon = [await events(v), await events(v), await events(v)];
    assert.equal((await events(v)).status, 429, 'anonymous streams from one address are capped too');
    for (const s of [...held, again, other, ...anon]) await s.close();
  });
});

describe('one source for every stream of a video', () => {
  it('30 streams of one video: one refresh query per interval for all, one push reaches all', async () => {
    const t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET, EVENT_STREAMS_PER_CLIENT: '100' } });
    try {
      const owner = await createUser(t, 'owner', { is_staff: true });
      const v = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Busy', is_draft: false } })).body.data;
      await markEncoded(t, v.id);
      const job = randomUUID();
      await t.app.dbh.db.updateTable('videos').set({ encoding_status: 'processing', encoding_progress: 10, encoding_job_id: job }).where('id', '=', v.id).execute();
      const streams = await Promise.all(Array.from({ length: 30 }, () => openEventStream(`${t.url}/api/v1/videos/${v.slug}/events`)));
      assert.ok(streams.every((s) => s.status === 200));
      await Promise.all(streams.map((s) => s.waitFor((e) => e.data.status === 'processing')));

      const before = t.app.eventHub.refreshQueries;
      const started = Date.now();
      await new Promise((r) => setTimeout(r, REFRESH_MS * 3 + 500));
      const intervals = (Date.now() - started) / REFRESH_MS;
      const made = t.app.eventHub.refreshQueries - before;
      assert.ok(made <= Math.ceil(intervals) + 1, `${made} refreshes in ${intervals.toFixed(1)} intervals for 30 streams`);

      const body = JSON.stringify({ type: 'encoding.processing', video_id: v.id, job_id: job, progress: 70 });
      const id = `evt_${randomUUID()}`;
      const now = new Date();
      const res = await t.request('POST', '/api/v1/internal/encoding-callback', {
        body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, body) },
      });
      assert.equal(res.body.data.applied, true);
      await Promise.all(streams.map((s) => s.waitFor((e) => e.data.progress === 70, 2000)));
      for (const s of streams) await s.close();
    } finally {
      await t.close();
    }
  });
});
