// Crafted cursors on every paginated route: whatever a client puts in
// ?cursor= (wrong types, 1e300, fractions, nulls, negative or unsafe
// integers, impossible dates, wrong lengths, not JSON at all) answers 400
// invalid_cursor — never a 500 from the database. Real cursors keep working.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('pagination cursors', () => {
  let t: TestApp;
  let admin: TestUser;
  before(async () => {
    t = await startTestApp();
    admin = await createUser(t, 'admin', { is_superuser: true, is_staff: true });
    await t.request('POST', '/api/v1/channels', { headers: admin.auth, json: { title: 'Maths' } });
    for (let i = 0; i < 3; i++) {
      await t.request('POST', '/api/v1/videos', { headers: admin.auth, json: { title: `Video ${i}`, channels: ['maths'] } });
      await createUser(t, `user${i}`);
    }
  });
  after(() => t.close());

  const routes = [
    '/api/v1/videos?sort=-date_added', '/api/v1/videos?sort=title', '/api/v1/videos?sort=duration', '/api/v1/videos?q=video',
    '/api/v1/videos/me?sort=date_added', '/api/v1/channels/maths/videos?sort=-title', '/api/v1/users?', '/api/v1/encoding/jobs?',
  ];
  // Wrong for every route's key.
  const crafted = [
    b64(['x']), b64([1e300]), b64([1.5]), b64(['2024-01-01T00:00:00.000Z', 1.5]), b64([null, 1]), b64([null]), b64([-1]), b64([0]),
    b64([9007199254740993]), b64([0, 1e300]), b64([1, 2, 3]), b64([]), b64({ id: 1 }), b64('1'), b64([true, 1]), b64([[1], 1]),
    b64(['a\u0000b', 1]), b64([{}, 1]), '%%%', 'bm90IGpzb24', 'W10',
  ];
  // Wrong for one sort's key only (a title can be any text; a rank any finite number).
  const craftedFor: Record<string, string[]> = {
    date_added: [b64(['2024-13-45T99:00:00Z', 1]), b64(['2024-02-30T00:00:00.000Z', 1]), b64(['not a date', 1]), b64(['+275760-09-13T00:00:00.000Z', 1]), b64([1e300, 1])],
    duration: [b64([2 ** 31, 1]), b64([-(2 ** 31) - 1, 1]), b64([1.5, 1]), b64([1e300, 1]), b64(['5', 1])],
    title: [b64([1, 1])],
    q: [b64(['Infinity', 1]), b64(['1', 1])],
  };
  const cursorsOf = (route: string) => [...crafted, ...Object.entries(craftedFor).filter(([k]) => route.includes(k === 'q' ? '?q=' : k)).flatMap(([, v]) => v)];

  it('every paginated route answers 400 invalid_cursor to every crafted cursor', async () => {
    for (const route of routes) {
      for (const cursor of cursorsOf(route)) {
        const res = await t.request('GET', `${route}&limit=1&cursor=${encodeURIComponent(cursor)}`, { headers: admin.auth });
        assert.equal(res.status, 400, `${route} cursor=${Buffer.from(cursor, 'base64url').toString()} → ${res.status} ${res.text}`);
        assert.equal(res.body.errors[0].code, 'invalid_cursor', `${route} ${cursor}`);
        assert.equal(res.body.errors[0].field, 'query.cursor');
      }
    }
  });

  it('the cursors a route hands out walk every page', async () => {
    for (const route of routes) {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res: { status: number; text: string; body: any } = await t.request('GET', `${route}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: admin.auth });
        assert.equal(res.status, 200, `${route}: ${res.text}`);
        seen.push(...res.body.data.map((x: { id: unknown; job_id?: unknown }) => x.job_id ?? x.id));
        cursor = res.body.meta.next_cursor;
        if (!cursor) break;
      }
      assert.equal(new Set(seen).size, seen.length, `${route}: no item twice`);
      if (!route.includes('jobs')) assert.ok(seen.length >= 3, `${route}: ${seen.length} items`);
    }
  });
});
