// Statistics over HTTP: daily series across Europe/Paris day boundaries and
// the daylight-saving change, ranges, totals, CSV; who may read which
// (anonymous, other user, staff, owner, channel owner, manager); bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe('statistics', () => {
  let t: TestApp;
  let owner: TestUser, coowner: TestUser, other: TestUser, staff: TestUser, manager: TestUser, channelOwner: TestUser;
  let clock = new Date('2026-03-28T12:00:00Z');
  let video: { id: number; slug: string }, second: { id: number; slug: string };
  let viewers = 0;

  /** One view by a new viewer at `at` (UTC), written at once. */
  async function viewAt(id: number, at: string, n = 1) {
    clock = new Date(at);
    for (let i = 0; i < n; i++) {
      const res = await t.request('POST', `/api/v1/videos/${id}/views`, { headers: { 'user-agent': `${FIREFOX} v${viewers++}` } });
      assert.equal(res.status, 202, res.text);
    }
    await t.app.views.flush();
  }

  before(async () => {
    t = await startTestApp({ build: { now: () => clock }, env: { STATS_TIME_ZONE: 'Europe/Paris', VIEW_FLUSH_INTERVAL_MS: '60000' } });
    manager = await createUser(t, 'manager', { is_manager: true });
    owner = await createUser(t, 'teacher', { is_staff: true });
    coowner = await createUser(t, 'coteacher', { is_staff: true });
    other = await createUser(t, 'student');
    staff = await createUser(t, 'colleague', { is_staff: true });
    channelOwner = await createUser(t, 'dean', { is_staff: true });
    await t.request('POST', '/api/v1/channels', { headers: manager.auth, json: { title: 'Physique', owners: ['dean', 'teacher'] } });
    for (const title of ['Mécanique', '=HYPERLINK("http://evil")']) {
      const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title, is_draft: false, channels: ['physique'], additional_owners: ['coteacher'] } });
      await markEncoded(t, res.body.data.id);
      if (!video) video = res.body.data;
      else second = res.body.data;
    }
    // Paris is UTC+1 until 2026-03-29 01:00 UTC, UTC+2 after.
    await viewAt(video.id, '2026-03-28T22:59:59Z'); // 23:59:59 on the 28th in Paris
    await viewAt(video.id, '2026-03-28T23:00:01Z', 2); // 00:00:01 on the 29th
    await viewAt(video.id, '2026-03-29T21:59:00Z'); // 23:59 on the 29th (summer time)
    await viewAt(video.id, '2026-03-29T22:00:00Z', 3); // 00:00 on the 30th
    await viewAt(second.id, '2026-03-30T10:00:00Z', 4);
    clock = new Date('2026-03-30T12:00:00Z');
  });
  after(() => t.close());

  it('a video\'s daily series follows the days of Europe/Paris, across the change to summer time', async () => {
    const res = await t.request('GET', `/api/v1/videos/${video.slug}/statistics?from=2026-03-27&to=2026-03-31`, { headers: owner.auth });
    assert.equal(res.status, 200, res.text);
    const s = res.body.data;
    assert.deepEqual(s.series, [
      { date: '2026-03-27', views: 0 }, { date: '2026-03-28', views: 1 }, { date: '2026-03-29', views: 3 },
      { date: '2026-03-30', views: 3 }, { date: '2026-03-31', views: 0 },
    ]);
    assert.equal(s.views, 7);
    assert.equal(s.views_total, 7);
    assert.equal(s.time_zone, 'Europe/Paris');
    assert.deepEqual(s.peak, { date: '2026-03-29', views: 3 });
    const narrow = await t.request('GET', `/api/v1/videos/${video.slug}/statistics?from=2026-03-29&to=2026-03-29`, { headers: owner.auth });
    assert.equal(narrow.body.data.views, 3);
    const byDefault = await t.request('GET', `/api/v1/videos/${video.slug}/statistics`, { headers: owner.auth });
    assert.equal(byDefault.body.data.to, '2026-03-30', 'today, in Paris');
    assert.equal(byDefault.body.data.from, '2026-03-01');
    assert.equal(byDefault.body.data.series.length, 30);
  });

  it('the same views in another time zone fall on other days', async () => {
    const utc = await startTestApp({ build: { now: () => clock }, env: { STATS_TIME_ZONE: 'UTC', VIEW_FLUSH_INTERVAL_MS: '60000' } });
    try {
      const u = await createUser(utc, 'u', { is_staff: true });
      const res = await utc.request('POST', '/api/v1/videos', { headers: u.auth, json: { title: 'UTC', is_draft: false } });
      await markEncoded(utc, res.body.data.id);
      clock = new Date('2026-03-28T23:00:01Z');
      await utc.request('POST', `/api/v1/videos/${res.body.data.id}/views`, { headers: { 'user-agent': FIREFOX } });
      await utc.app.views.flush();
      const s = await utc.request('GET', `/api/v1/videos/${res.body.data.id}/statistics?from=2026-03-28&to=2026-03-29`, { headers: u.auth });
      assert.deepEqual(s.body.data.series, [{ date: '2026-03-28', views: 1 }, { date: '2026-03-29', views: 0 }]);
    } finally {
      clock = new Date('2026-03-30T12:00:00Z');
      await utc.close();
    }
  });

  it('CSV export: one row per day for a video, one per video for a channel (formulas neutralised)', async () => {
    const csv = await t.request('GET', `/api/v1/videos/${video.slug}/statistics?from=2026-03-28&to=2026-03-30&format=csv`, { headers: owner.auth });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    assert.match(csv.headers.get('content-disposition')!, /attachment; filename="video-\d+-2026-03-28-2026-03-30\.csv"/);
    assert.equal(csv.text, 'date,views\n2026-03-28,1\n2026-03-29,3\n2026-03-30,3\n');
    const channel = await t.request('GET', '/api/v1/channels/physique/statistics?from=2026-03-28&to=2026-03-30&format=csv', { headers: channelOwner.auth });
    const lines = channel.text.trim().split('\n');
    assert.equal(lines[0], 'video_id,slug,title,views,views_total,favorites');
    assert.equal(lines[1], `${video.id},${video.slug},Mécanique,7,7,0`);
    assert.ok(lines[2]!.includes(`"'=HYPERLINK(""http://evil"")"`), lines[2]);
  });

  it('channel, owner and platform aggregates', async () => {
    const channel = await t.request('GET', '/api/v1/channels/physique/statistics?from=2026-03-28&to=2026-03-30', { headers: channelOwner.auth });
    assert.equal(channel.status, 200, channel.text);
    assert.equal(channel.body.data.views, 11);
    assert.deepEqual(channel.body.data.series.map((d: { views: number }) => d.views), [1, 3, 7]);
    assert.deepEqual(channel.body.data.videos.map((v: { id: number; views: number }) => [v.id, v.views]), [[video.id, 7], [second.id, 4]]);
    const mine = await t.request('GET', `/api/v1/users/${owner.id}/statistics?from=2026-03-30&to=2026-03-30`, { headers: owner.auth });
    assert.equal(mine.body.data.views, 7);
    const platform = await t.request('GET', '/api/v1/statistics?from=2026-03-28&to=2026-03-30', { headers: manager.auth });
    assert.equal(platform.status, 200, platform.text);
    const p = platform.body.data;
    assert.equal(p.views, 11);
    assert.equal(p.views_total, 11);
    assert.equal(p.videos, 2);
    assert.equal(p.hours, Math.round((2 * 8) / 36) / 100);
    assert.equal(p.users, 6);
    const csv = await t.request('GET', '/api/v1/statistics?from=2026-03-29&to=2026-03-30&format=csv', { headers: manager.auth });
    assert.equal(csv.text, 'date,views\n2026-03-29,3\n2026-03-30,7\n');
  });

  it('who may read which: editors, channel owners, the owner, managers', async () => {
    const cases: [string, TestUser | null, number][] = [
      [`/api/v1/videos/${video.slug}/statistics`, null, 401],
      [`/api/v1/videos/${video.slug}/statistics`, other, 403],
      [`/api/v1/videos/${video.slug}/statistics`, staff, 403],
      [`/api/v1/videos/${video.slug}/statistics`, owner, 200],
      [`/api/v1/videos/${video.slug}/statistics`, coowner, 200],
      [`/api/v1/videos/${video.slug}/statistics`, manager, 200],
      ['/api/v1/channels/physique/statistics', null, 401],
      ['/api/v1/channels/physique/statistics', other, 403],
      ['/api/v1/channels/physique/statistics', coowner, 403],
      ['/api/v1/channels/physique/statistics', channelOwner, 200],
      ['/api/v1/channels/physique/statistics', manager, 200],
      [`/api/v1/users/${owner.id}/statistics`, null, 401],
      [`/api/v1/users/${owner.id}/statistics`, other, 403],
      [`/api/v1/users/${owner.id}/statistics`, staff, 403],
      [`/api/v1/users/${owner.id}/statistics`, owner, 200],
      [`/api/v1/users/${owner.id}/statistics`, manager, 200],
      ['/api/v1/statistics', null, 401],
      ['/api/v1/statistics', other, 403],
      ['/api/v1/statistics', staff, 403],
      ['/api/v1/statistics', owner, 403],
      ['/api/v1/statistics', manager, 200],
    ];
    for (const [url, who, status] of cases) {
      const res = await t.request('GET', url, { headers: who?.auth ?? {} });
      assert.equal(res.status, status, `${who?.username ?? 'anonymous'} ${url}: ${res.text}`);
      if (status >= 400) assert.equal(res.body.errors[0].code, status === 401 ? 'not_authenticated' : 'forbidden');
    }
  });

  it('bad input answers 4xx with a code', async () => {
    const base = `/api/v1/videos/${video.slug}/statistics`;
    const cases: [string, number, string][] = [
      [`${base}?from=2026-03-30&to=2026-03-01`, 400, 'invalid_date_range'],
      [`${base}?from=2000-01-01&to=2026-01-01`, 400, 'invalid_date_range'],
      [`${base}?from=yesterday`, 400, 'validation_error'],
      [`${base}?from=2026-02-30`, 400, 'validation_error'],
      [`${base}?format=xlsx`, 400, 'validation_error'],
      ['/api/v1/videos/999999/statistics', 404, 'not_found'],
      ['/api/v1/users/abc/statistics', 400, 'validation_error'],
      ['/api/v1/users/99999999/statistics', 404, 'not_found'],
      ['/api/v1/channels/nope/statistics', 404, 'not_found'],
    ];
    for (const [url, status, code] of cases) {
      const res = await t.request('GET', url, { headers: manager.auth });
      assert.equal(res.status, status, `${url}: ${res.text}`);
      assert.equal(res.body.errors[0].code, code, url);
    }
  });
});
