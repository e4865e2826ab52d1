// View counting over HTTP: one view per viewer per window (on this node and
// across nodes), robots ignored, the video policy on the way in, totals in
// the video JSON, sort=-views and sort=-recent_views, bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';
import { ViewRecorder } from './recorder.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const ua = (n: number | string) => ({ 'user-agent': `${FIREFOX} viewer-${n}` });

describe('views', () => {
  let t: TestApp;
  let owner: TestUser, student: TestUser;
  let clock = new Date('2026-06-01T10:00:00Z');
  const videos: Record<string, { id: number; slug: string }> = {};

  async function publish(title: string, extra: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title, is_draft: false, ...extra } });
    assert.equal(res.status, 201, res.text);
    await markEncoded(t, res.body.data.id);
    return { id: res.body.data.id as number, slug: res.body.data.slug as string };
  }
  const view = (ref: string | number, headers: Record<string, string> = {}) => t.request('POST', `/api/v1/videos/${ref}/views`, { headers: { ...ua('default'), ...headers } });
  const views = async (ref: string | number) => (await t.request('GET', `/api/v1/videos/${ref}`, { headers: owner.auth })).body.data.views as number;

  before(async () => {
    // Flushed by the tests themselves (a long interval): each count is asserted after an explicit flush.
    t = await startTestApp({ env: { VIEW_DEDUP_WINDOW_S: '1800', VIEW_FLUSH_INTERVAL_MS: '60000', VIEWS_RECENT_DAYS: '7' }, build: { now: () => clock } });
    owner = await createUser(t, 'teacher', { is_staff: true });
    student = await createUser(t, 'student');
    videos.a = await publish('Lecture A');
    videos.b = await publish('Lecture B');
    videos.draft = await publish('Draft', { is_draft: true });
    videos.restricted = await publish('Restricted', { is_restricted: true });
    videos.password = await publish('Password', { password: 'sesame' });
  });
  after(() => t.close());

  it('one view per viewer per window; viewers are users, or address + agent; robots are ignored', async () => {
    const first = await view(videos.a!.slug, ua(1));
    assert.equal(first.status, 202, first.text);
    assert.deepEqual(first.body.data, { accepted: true, reason: null });
    assert.deepEqual((await view(videos.a!.slug, ua(1))).body.data, { accepted: false, reason: 'duplicate' });
    assert.equal((await view(videos.a!.id, ua(2))).body.data.accepted, true, 'another agent on the same address is another viewer');
    assert.equal((await view(videos.a!.slug, { ...ua(1), ...student.auth })).body.data.accepted, true);
    assert.equal((await view(videos.a!.slug, { ...ua(9), ...student.auth })).body.data.reason, 'duplicate', 'a user is one viewer whatever their agent');
    for (const bot of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'curl/8.5.0', 'python-requests/2.31']) {
      assert.deepEqual((await view(videos.a!.slug, { 'user-agent': bot })).body.data, { accepted: false, reason: 'bot' }, bot);
    }
    assert.equal(await views(videos.a!.slug), 0, 'nothing is written before the flush');
    assert.equal(await t.app.views.flush(), 3);
    assert.equal(await views(videos.a!.slug), 3);

    clock = new Date(clock.getTime() + 1799_000);
    assert.equal((await view(videos.a!.slug, ua(1))).body.data.reason, 'duplicate', 'still within the window');
    clock = new Date(clock.getTime() + 1000);
    assert.equal((await view(videos.a!.slug, ua(1))).body.data.accepted, true, 'the window has passed');
    assert.equal(await t.app.views.flush(), 1);
    assert.equal(await views(videos.a!.slug), 4);
  });

  it('another API node does not count a viewer this one counted within the window', async () => {
    // A second node: its own recorder (its own memory), the same database and key.
    const other = new ViewRecorder(t.app.dbh, {
      windowS: 1800, intervalMs: 60_000, timeZone: 'Europe/Paris', recentDays: 7, key: () => t.app.keys.derive('view-dedup'),
      now: () => clock, warn: () => {},
    });
    assert.equal((await view(videos.b!.slug, ua('x'))).body.data.accepted, true);
    await t.app.views.flush();
    const anonymousKey = `a127.0.0.1\u0000${FIREFOX} viewer-x`;
    assert.equal(other.register(videos.b!.id, anonymousKey), 'accepted', 'the other node has not seen this viewer');
    assert.equal(other.register(videos.b!.id, 'a127.0.0.1\u0000someone else'), 'accepted');
    assert.equal(await other.flush(), 1, 'the database counts only the new viewer');
    assert.equal(await views(videos.b!.slug), 2);
  });

  it('only the views of a video the caller may watch: 404 hidden, 403 password', async () => {
    assert.equal((await view(videos.draft!.slug)).status, 404);
    assert.equal((await view(videos.draft!.slug, owner.auth)).status, 202, 'its owner may');
    assert.equal((await view(videos.restricted!.slug)).status, 404);
    assert.equal((await view(videos.restricted!.slug, student.auth)).status, 202);
    const locked = await view(videos.password!.slug, student.auth);
    assert.equal(locked.status, 403);
    assert.equal(locked.body.errors[0].code, 'password_required');
    const unlock = await t.request('POST', `/api/v1/videos/${videos.password!.slug}/unlock`, { json: { password: 'sesame' } });
    assert.equal((await view(videos.password!.slug, { 'x-video-token': unlock.body.data.token })).status, 202);
    assert.equal((await view(999_999)).status, 404);
  });

  it('bad input answers 4xx with a code', async () => {
    const badRef = await view('no%20such');
    assert.equal(badRef.status, 400);
    assert.equal(badRef.body.errors[0].code, 'validation_error');
    const huge = await view('x'.repeat(400));
    assert.equal(huge.status, 400);
    const text = await t.request('POST', `/api/v1/videos/${videos.a!.slug}/views`, { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
    const badJson = await t.request('POST', `/api/v1/videos/${videos.a!.slug}/views`, { headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.errors[0].code, 'invalid_json');
  });

  it('sort=-views and sort=-recent_views (the last VIEWS_RECENT_DAYS days)', async () => {
    // c: 5 views ten days ago; d: 2 views today.
    const c = await publish('Popular long ago');
    const d = await publish('Popular today');
    const today = clock;
    clock = new Date(today.getTime() - 10 * 86_400_000);
    for (let i = 0; i < 5; i++) await view(c.slug, ua(`old-${i}`));
    await t.app.views.flush();
    clock = today;
    for (let i = 0; i < 2; i++) await view(d.slug, ua(`new-${i}`));
    await t.app.views.flush();
    await t.app.views.maintain();
    const byViews = await t.request('GET', '/api/v1/videos?sort=-views&limit=2');
    assert.deepEqual(byViews.body.data.map((v: { id: number }) => v.id), [c.id, videos.a!.id]);
    const next = await t.request('GET', `/api/v1/videos?sort=-views&limit=2&cursor=${byViews.body.meta.next_cursor}`);
    assert.deepEqual(next.body.data.map((v: { views: number }) => v.views), [2, 2], 'b and d, after a (4)');
    const recent = (await t.request('GET', '/api/v1/videos?sort=-recent_views&limit=100')).body.data.map((v: { id: number }) => v.id);
    assert.ok(recent.indexOf(d.id) < recent.indexOf(c.id), 'the old views have left the window');
    assert.equal(recent[0], videos.a!.id, 'a: 4 views today');
  });
});
