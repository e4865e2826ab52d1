// Resume positions over HTTP: kept per user and video, cleared near the end,
// "continue watching" latest first and filtered by the video policy; roles;
// bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';

describe('resume positions', () => {
  let t: TestApp;
  let owner: TestUser, student: TestUser, other: TestUser;
  const vids: { id: number; slug: string }[] = [];

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t, 'teacher', { is_staff: true });
    student = await createUser(t, 'student');
    other = await createUser(t, 'other');
    for (let i = 0; i < 3; i++) {
      const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: `Cours ${i}`, is_draft: false } });
      await markEncoded(t, res.body.data.id);
      // 10 minutes long: "finished" starts at 570 s (the last 5 %).
      await t.app.dbh.db.updateTable('videos').set({ duration: 600 }).where('id', '=', res.body.data.id).execute();
      vids.push(res.body.data);
    }
  });
  after(() => t.close());

  const put = (who: TestUser, ref: string | number, position: unknown) => t.request('PUT', `/api/v1/videos/${ref}/position`, { headers: who.auth, json: { position } });

  it('kept per user and video; cleared at the end; listed latest first', async () => {
    assert.deepEqual((await t.request('GET', `/api/v1/videos/${vids[0]!.slug}/position`, { headers: student.auth })).body.data, { position: 0, updated_at: null });
    assert.equal((await put(student, vids[0]!.slug, 125.5)).body.data.position, 125.5);
    await put(student, vids[1]!.id, 30);
    await put(student, vids[2]!.slug, 300);
    await put(student, vids[0]!.slug, 130);
    const got = await t.request('GET', `/api/v1/videos/${vids[0]!.slug}/position`, { headers: student.auth });
    assert.equal(got.body.data.position, 130);
    assert.deepEqual((await t.request('GET', `/api/v1/videos/${vids[0]!.slug}/position`, { headers: other.auth })).body.data.position, 0, 'each user their own');

    const list = await t.request('GET', '/api/v1/users/me/continue-watching?limit=2', { headers: student.auth });
    assert.deepEqual(list.body.data.map((i: { video: { id: number }; position: number }) => [i.video.id, i.position]), [[vids[0]!.id, 130], [vids[2]!.id, 300]]);
    const rest = await t.request('GET', `/api/v1/users/me/continue-watching?limit=2&cursor=${list.body.meta.next_cursor}`, { headers: student.auth });
    assert.deepEqual(rest.body.data.map((i: { video: { id: number } }) => i.video.id), [vids[1]!.id]);

    const finished = await put(student, vids[2]!.slug, 575);
    assert.deepEqual(finished.body.data, { position: 0, updated_at: null }, 'the last 5 %: finished');
    assert.equal((await t.request('DELETE', `/api/v1/videos/${vids[1]!.slug}/position`, { headers: student.auth })).status, 200);
    const left = await t.request('GET', '/api/v1/users/me/continue-watching', { headers: student.auth });
    assert.deepEqual(left.body.data.map((i: { video: { id: number } }) => i.video.id), [vids[0]!.id]);
  });

  it('a video that becomes hidden leaves the list; anonymous callers have no position', async () => {
    await put(other, vids[1]!.slug, 42);
    await t.request('PATCH', `/api/v1/videos/${vids[1]!.slug}`, { headers: owner.auth, json: { is_draft: true } });
    assert.deepEqual((await t.request('GET', '/api/v1/users/me/continue-watching', { headers: other.auth })).body.data, []);
    assert.equal((await t.request('GET', `/api/v1/videos/${vids[1]!.slug}/position`, { headers: other.auth })).status, 404);
    assert.equal((await put(other, vids[1]!.slug, 50)).status, 404);
    assert.equal((await put(owner, vids[1]!.slug, 50)).status, 200, 'its owner still may');
    assert.equal((await t.request('GET', `/api/v1/videos/${vids[0]!.slug}/position`)).status, 401);
    assert.equal((await t.request('PUT', `/api/v1/videos/${vids[0]!.slug}/position`, { json: { position: 1 } })).status, 401);
    assert.equal((await t.request('GET', '/api/v1/users/me/continue-watching')).status, 401);
  });

  it('bad input answers 4xx with a code', async () => {
    for (const [body, field] of [[{ position: -1 }, 'position'], [{ position: 'ten' }, 'position'], [{ position: 1e9 }, 'position'], [{}, 'position'], [{ position: 1, extra: true }, 'extra']] as const) {
      const res = await t.request('PUT', `/api/v1/videos/${vids[0]!.slug}/position`, { headers: student.auth, json: body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.errors[0].code, 'validation_error');
      assert.ok(String(res.body.errors[0].field).includes(field), `${JSON.stringify(body)} → ${res.body.errors[0].field}`);
    }
    const text = await t.request('PUT', `/api/v1/videos/${vids[0]!.slug}/position`, { headers: { ...student.auth, 'content-type': 'text/plain' }, body: '12' });
    assert.equal(text.status, 415);
    assert.equal((await put(student, 999_999, 3)).status, 404);
    assert.equal((await t.request('GET', '/api/v1/users/me/continue-watching?cursor=xyz', { headers: student.auth })).body.errors[0].code, 'invalid_cursor');
  });
});
