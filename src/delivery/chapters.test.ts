// Chapters: a time-ordered list inside the video's duration, one per instant,
// editors only, children addressed through their own video only; the config
// lists them and points at a WebVTT chapters track that changes URL with the list.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { editorsCast } from '../test-support/cast.ts';

describe('chapters', () => {
  let t: TestApp;
  let owner: TestUser, stranger: TestUser, staff: TestUser, root: TestUser;
  let mine: { id: number; slug: string }, theirs: { id: number; slug: string }, draft: { id: number; slug: string };

  before(async () => {
    t = await startTestApp();
    ({ owner, stranger, staff, root, mine, theirs } = await editorsCast(t));
    draft = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Draft', is_draft: true } })).body.data;
    await markEncoded(t, draft.id); // duration 8 s
  });
  after(() => t.close());

  const chapters = (slug: string) => `/api/v1/videos/${slug}/chapters`;
  const config = async (slug: string, headers = {}) => (await t.request('GET', `/api/v1/videos/${slug}/config`, { headers })).body.data;

  it('adds chapters in any order, lists them in time order, and the config serves them as WebVTT', async () => {
    for (const [title, time_start] of [['Conclusion', 6.5], ['Introduction', 0], ['Méthode', 2.25]] as const) {
      const res = await t.request('POST', chapters(mine.slug), { headers: owner.auth, json: { title, time_start } });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual({ ...res.body.data, id: 0 }, { id: 0, title, time_start });
    }
    const list = await t.request('GET', chapters(mine.slug));
    assert.deepEqual(list.body.data.map((c: any) => [c.title, c.time_start]), [['Introduction', 0], ['Méthode', 2.25], ['Conclusion', 6.5]]);

    const cfg = await config(mine.slug);
    assert.deepEqual(cfg.chapters, list.body.data);
    const vtt = await fetch(cfg.chapters_vtt);
    assert.equal(vtt.status, 200);
    assert.equal(vtt.headers.get('content-type'), 'text/vtt; charset=utf-8');
    assert.equal(await vtt.text(), 'WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.250\nIntroduction\n\n2\n00:00:02.250 --> 00:00:06.500\nMéthode\n\n'
      + '3\n00:00:06.500 --> 00:00:08.000\nConclusion\n');
  });

  it('refuses a chapter after the end or at a taken time; PATCH moves one and the track changes URL', async () => {
    const late = await t.request('POST', chapters(mine.slug), { headers: owner.auth, json: { title: 'After', time_start: 8 } });
    assert.equal(late.status, 400);
    assert.deepEqual([late.body.errors[0].code, late.body.errors[0].field], ['chapter_after_end', 'time_start']);
    const taken = await t.request('POST', chapters(mine.slug), { headers: owner.auth, json: { title: 'Again', time_start: 2.25 } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.errors[0].code, 'chapter_time_taken');

    const before = await config(mine.slug);
    const methode = before.chapters.find((c: any) => c.title === 'Méthode');
    const moveOnto = await t.request('PATCH', `${chapters(mine.slug)}/${methode.id}`, { headers: owner.auth, json: { time_start: 6.5 } });
    assert.equal(moveOnto.status, 409, moveOnto.text);
    const moved = await t.request('PATCH', `${chapters(mine.slug)}/${methode.id}`, { headers: owner.auth, json: { title: 'Method', time_start: 3 } });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(moved.body.data, { id: methode.id, title: 'Method', time_start: 3 });
    const after = await config(mine.slug);
    assert.notEqual(after.chapters_vtt, before.chapters_vtt);
    assert.equal((await fetch(before.chapters_vtt)).status, 404, 'the superseded track is deleted');
    assert.match(await (await fetch(after.chapters_vtt)).text(), /00:00:03\.000 --> 00:00:06\.500\nMethod/);
  });

  it('PUT replaces the list from JSON or from a WebVTT chapters file; an empty list removes the track', async () => {
    const vtt = 'WEBVTT\n\nc1\n00:00:00.000 --> 00:00:04.000\nPartie 1\n\nc2\n00:00:04.000 --> 00:00:08.000\nPartie 2\n';
    const imported = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: { vtt } });
    assert.equal(imported.status, 200, imported.text);
    assert.deepEqual(imported.body.data.map((c: any) => [c.title, c.time_start]), [['Partie 1', 0], ['Partie 2', 4]]);
    const invalid = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: { vtt: 'WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nbackwards\n' } });
    assert.equal(invalid.status, 400);
    assert.deepEqual([invalid.body.errors[0].code, invalid.body.errors[0].field], ['invalid_chapters', 'vtt']);
    assert.match(invalid.body.errors[0].message, /^Line \d+: /);
    const dupes = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: { chapters: [{ title: 'a', time_start: 1 }, { title: 'b', time_start: 1 }] } });
    assert.equal(dupes.status, 409);
    assert.equal(dupes.body.errors[0].field, 'chapters.1.time_start');
    assert.equal((await t.request('GET', chapters(mine.slug))).body.data.length, 2, 'a refused PUT changes nothing');

    const track = (await config(mine.slug)).chapters_vtt;
    const emptied = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: { chapters: [] } });
    assert.deepEqual(emptied.body.data, []);
    const cfg = await config(mine.slug);
    assert.deepEqual([cfg.chapters, cfg.chapters_vtt], [[], null]);
    assert.equal((await fetch(track)).status, 404);
  });

  it('ACL: anonymous 401, other users 403, co-owner and superuser allowed; another video\'s chapter id is 404; reading follows visibility', async () => {
    const body = { title: 'x', time_start: 1 };
    assert.equal((await t.request('POST', chapters(mine.slug), { json: body })).status, 401);
    for (const who of [stranger, staff]) {
      const res = await t.request('POST', chapters(mine.slug), { headers: who.auth, json: body });
      assert.equal(res.status, 403);
      assert.equal(res.body.errors[0].code, 'forbidden');
    }
    const coowner = await createUser(t, 'coowner2');
    await t.request('PATCH', `/api/v1/videos/${mine.slug}`, { headers: owner.auth, json: { additional_owners: ['coowner', 'coowner2'] } });
    assert.equal((await t.request('POST', chapters(mine.slug), { headers: coowner.auth, json: body })).status, 201);
    assert.equal((await t.request('POST', chapters(mine.slug), { headers: root.auth, json: { title: 'y', time_start: 2 } })).status, 201);

    const theirsChapter = await t.request('POST', chapters(theirs.slug), { headers: staff.auth, json: { title: 'Theirs', time_start: 1 } });
    for (const [method, json] of [['PATCH', { title: 'pwned' }], ['DELETE', undefined]] as const) {
      const res = await t.request(method, `${chapters(mine.slug)}/${theirsChapter.body.data.id}`, { headers: owner.auth, json });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.errors[0].code, 'not_found');
    }
    assert.deepEqual((await t.request('GET', chapters(theirs.slug))).body.data.map((c: any) => c.title), ['Theirs']);

    // A draft's chapters: 404 to anonymous and strangers (like the draft itself), listed for its owner and staff-superuser.
    await t.request('POST', chapters(draft.slug), { headers: owner.auth, json: { title: 'Secret', time_start: 0 } });
    assert.equal((await t.request('GET', chapters(draft.slug))).status, 404);
    assert.equal((await t.request('GET', chapters(draft.slug), { headers: stranger.auth })).status, 404);
    assert.equal((await t.request('GET', chapters(draft.slug), { headers: owner.auth })).body.data[0].title, 'Secret');
    assert.equal((await t.request('GET', chapters(draft.slug), { headers: root.auth })).body.data[0].title, 'Secret');
    const del = await t.request('DELETE', `${chapters(theirs.slug)}/${theirsChapter.body.data.id}`, { headers: root.auth });
    assert.equal(del.status, 200);
  });

  it('bad input → 4xx with a code', async () => {
    const cases: [string, unknown, number, string, string?][] = [
      ['missing time', { title: 'x' }, 400, 'validation_error', 'time_start'],
      ['missing title', { time_start: 1 }, 400, 'validation_error', 'title'],
      ['negative', { title: 'x', time_start: -1 }, 400, 'validation_error', 'time_start'],
      ['string time', { title: 'x', time_start: 'one' }, 400, 'validation_error', 'time_start'],
      ['long title', { title: 'x'.repeat(101), time_start: 1 }, 400, 'validation_error', 'title'],
      ['huge time', { title: 'x', time_start: 1e12 }, 400, 'validation_error', 'time_start'],
    ];
    for (const [name, json, status, code, field] of cases) {
      const res = await t.request('POST', chapters(mine.slug), { headers: owner.auth, json: json as Record<string, unknown> });
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(res.body.errors[0].code, code, name);
      if (field) assert.equal(res.body.errors[0].field, field, name);
    }
    const both = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: { chapters: [], vtt: 'WEBVTT\n' } });
    assert.equal(both.status, 400);
    const neither = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: {} });
    assert.equal(neither.status, 400);
    const tooMany = await t.request('PUT', chapters(mine.slug), { headers: owner.auth, json: { chapters: Array.from({ length: 501 }, (_, i) => ({ title: 'c', time_start: i / 100 })) } });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.errors[0].code, 'validation_error');
    const text = await t.request('POST', chapters(mine.slug), { headers: { ...owner.auth, 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(text.status, 415);
    assert.equal(text.body.errors[0].code, 'unsupported_media_type');
    const badId = await t.request('PATCH', `${chapters(mine.slug)}/abc`, { headers: owner.auth, json: { title: 'x' } });
    assert.deepEqual([badId.status, badId.body.errors[0].code], [400, 'validation_error']);
    const emptyPatch = await t.request('PATCH', `${chapters(mine.slug)}/1`, { headers: owner.auth, json: {} });
    assert.equal(emptyPatch.status, 400);
  });
});
