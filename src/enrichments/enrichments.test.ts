// Contributors, overlays and timed links: editors write them, whoever may
// watch reads them (lists and the player configuration), children are
// addressed through their own video, bad input answers 4xx with a code, and a
// video's purge deletes them with its comments, notes and documents.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import type { TestUser } from '../test-support/users.ts';
import { editorsCast } from '../test-support/cast.ts';
import { purgeVideo } from '../videos/purge.ts';
import { dangers, XSS_CORPUS } from '../test-support/xss.ts';

describe('contributors, overlays, timed links', () => {
  let t: TestApp;
  let owner: TestUser, coowner: TestUser, stranger: TestUser, staff: TestUser, manager: TestUser;
  let mine: { id: number; slug: string }, other: { id: number; slug: string };

  before(async () => {
    t = await startTestApp();
    ({ owner, coowner, stranger, staff, manager, mine, theirs: other } = await editorsCast(t));
  });
  after(() => t.close());

  const url = (v: { slug: string }, what: string, id?: number) => `/api/v1/videos/${v.slug}/${what}${id ? `/${id}` : ''}`;

  it('contributors: Pod\'s roles, the e-mail for editors only, one (name, role) per video', async () => {
    const add = await t.request('POST', url(mine, 'contributors'), { headers: owner.auth, json: { name: 'Ada Lovelace', role: 'author', email_address: 'ada@univ.example', weblink: 'https://univ.example/~ada' } });
    assert.equal(add.status, 201, add.text);
    assert.deepEqual({ ...add.body.data, id: 0 }, { id: 0, name: 'Ada Lovelace', role: 'author', email_address: 'ada@univ.example', weblink: 'https://univ.example/~ada' });
    const dup = await t.request('POST', url(mine, 'contributors'), { headers: coowner.auth, json: { name: 'Ada Lovelace', role: 'author' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.errors[0].code, 'contributor_exists');
    assert.equal((await t.request('POST', url(mine, 'contributors'), { headers: coowner.auth, json: { name: 'Ada Lovelace', role: 'speaker' } })).status, 201);
    for (const viewer of [{}, stranger.auth]) {
      const list = await t.request('GET', url(mine, 'contributors'), { headers: viewer });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data.map((c: any) => [c.name, c.role, 'email_address' in c]), [['Ada Lovelace', 'author', false], ['Ada Lovelace', 'speaker', false]]);
    }
    const asEditor = await t.request('GET', url(mine, 'contributors'), { headers: manager.auth });
    assert.equal(asEditor.body.data[0].email_address, 'ada@univ.example');
    const config = await t.request('GET', `/api/v1/videos/${mine.slug}/config`);
    assert.equal(config.body.data.contributors.length, 2);
    assert.ok(!JSON.stringify(config.body.data).includes('ada@univ.example'), 'the e-mail is never in the player configuration');
    const patch = await t.request('PATCH', url(mine, 'contributors', add.body.data.id), { headers: owner.auth, json: { role: 'director', weblink: null } });
    assert.equal(patch.status, 200, patch.text);
    assert.deepEqual([patch.body.data.role, patch.body.data.weblink, patch.body.data.email_address], ['director', null, 'ada@univ.example']);
    const dupByPatch = await t.request('PATCH', url(mine, 'contributors', add.body.data.id), { headers: owner.auth, json: { role: 'speaker' } });
    assert.equal(dupByPatch.body.errors[0].code, 'contributor_exists');
  });

  it('overlays: a time range inside the video, Pod\'s positions, sanitised HTML; the config lists them in time order', async () => {
    const o1 = await t.request('POST', url(mine, 'overlays'), { headers: owner.auth, json: { title: 'Fin', time_start: 6, time_end: 8, content: '<b>Merci</b><script>x()</script>', position: 'top-left', background: false } });
    assert.equal(o1.status, 201, o1.text);
    assert.deepEqual({ ...o1.body.data, id: 0 }, { id: 0, title: 'Fin', time_start: 6, time_end: 8, content: '<b>Merci</b>', position: 'top-left', background: false });
    const o2 = await t.request('POST', url(mine, 'overlays'), { headers: coowner.auth, json: { title: 'Début', time_start: 0.5, time_end: 2.25, content: 'Bonjour' } });
    assert.deepEqual([o2.body.data.position, o2.body.data.background], ['bottom-right', true]);
    const bad: [Record<string, unknown>, number, string][] = [
      [{ title: 'x', time_start: 3, time_end: 3, content: 'a' }, 400, 'invalid_time_range'],
      [{ title: 'x', time_start: 4, time_end: 2, content: 'a' }, 400, 'invalid_time_range'],
      [{ title: 'x', time_start: 4, time_end: 9, content: 'a' }, 400, 'time_beyond_duration'],
      [{ title: 'x', time_start: 0, time_end: 1, content: '<script>alert(1)</script>' }, 400, 'empty_content'],
      [{ title: 'x', time_start: 0, time_end: 1, content: 'a', position: 'middle' }, 400, 'validation_error'],
      [{ title: 'x', time_start: -1, time_end: 1, content: 'a' }, 400, 'validation_error'],
      [{ title: 'x', time_start: '0', time_end: 1, content: 'a' }, 400, 'validation_error'],
      [{ title: 'x'.repeat(101), time_start: 0, time_end: 1, content: 'a' }, 400, 'validation_error'],
      [{ title: 'x', time_start: 0, time_end: 1, content: 'a'.repeat(20_001) }, 400, 'validation_error'],
      [{ title: 'x', time_start: 0, time_end: 1 }, 400, 'validation_error'],
    ];
    for (const [json, status, code] of bad) {
      const res = await t.request('POST', url(mine, 'overlays'), { headers: owner.auth, json });
      assert.deepEqual([res.status, res.body.errors?.[0].code], [status, code], JSON.stringify(json));
    }
    // A change is checked with the rest of the overlay: a new end before its start is refused.
    const move = await t.request('PATCH', url(mine, 'overlays', o1.body.data.id), { headers: owner.auth, json: { time_end: 5 } });
    assert.equal(move.body.errors[0].code, 'invalid_time_range');
    const config = await t.request('GET', `/api/v1/videos/${mine.slug}/config`, { headers: stranger.auth });
    assert.deepEqual(config.body.data.overlays.map((o: any) => o.title), ['Début', 'Fin']);
  });

  it('timed links: http(s) only, inside the video', async () => {
    const ok = await t.request('POST', url(mine, 'links'), { headers: owner.auth, json: { url: 'https://univ.example/tp?x=1', label: 'Le TP', time_start: 3 } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual({ ...ok.body.data, id: 0 }, { id: 0, url: 'https://univ.example/tp?x=1', label: 'Le TP', time_start: 3 });
    for (const [bad, code] of [['javascript:alert(1)', 'validation_error'], ['data:text/html,x', 'validation_error'], ['ftp://univ.example/f', 'validation_error'],
      ['/relative/path', 'validation_error'], ['http://', 'validation_error'], ['https://user:pw@univ.example/', 'invalid_url'], ['https://exa mple.org/', 'invalid_url']] as const) {
      const res = await t.request('POST', url(mine, 'links'), { headers: owner.auth, json: { url: bad, label: 'x', time_start: 1 } });
      assert.deepEqual([res.status, res.body.errors[0].code], [400, code], bad);
    }
    const late = await t.request('POST', url(mine, 'links'), { headers: owner.auth, json: { url: 'https://univ.example/', label: 'x', time_start: 60 } });
    assert.equal(late.body.errors[0].code, 'time_beyond_duration');
    const config = await t.request('GET', `/api/v1/videos/${mine.slug}/config`);
    assert.deepEqual(config.body.data.links.map((l: any) => l.label), ['Le TP']);
  });

  it('ACL: anonymous 401, other users 403, co-owner and manager allowed; another video\'s child is 404; reading follows the video', async () => {
    const body = { title: 'x', time_start: 0, time_end: 1, content: 'a' };
    assert.equal((await t.request('POST', url(mine, 'overlays'), { json: body })).status, 401);
    for (const who of [stranger, staff]) {
      const res = await t.request('POST', url(mine, 'overlays'), { headers: who.auth, json: body });
      assert.deepEqual([res.status, res.body.errors[0].code], [403, 'forbidden']);
    }
    const byManager = await t.request('POST', url(mine, 'overlays'), { headers: manager.auth, json: body });
    assert.equal(byManager.status, 201);
    const id = byManager.body.data.id;
    // Through the other video, the id does not exist, even for its owner.
    assert.equal((await t.request('PATCH', url(other, 'overlays', id), { headers: staff.auth, json: { title: 'y' } })).status, 404);
    assert.equal((await t.request('DELETE', url(other, 'overlays', id), { headers: staff.auth })).status, 404);
    assert.equal((await t.request('DELETE', url(mine, 'overlays', id), { headers: stranger.auth })).status, 403);
    assert.equal((await t.request('DELETE', url(mine, 'overlays', id), { headers: coowner.auth })).status, 200);
    assert.equal((await t.request('DELETE', url(mine, 'overlays', id), { headers: coowner.auth })).status, 404);
    // A draft's enrichments are as hidden as the draft.
    await t.request('PATCH', `/api/v1/videos/${mine.slug}`, { headers: owner.auth, json: { is_draft: true } });
    for (const what of ['contributors', 'overlays', 'links']) {
      assert.equal((await t.request('GET', url(mine, what))).status, 404);
      assert.equal((await t.request('GET', url(mine, what), { headers: stranger.auth })).status, 404);
      assert.equal((await t.request('GET', url(mine, what), { headers: coowner.auth })).status, 200);
    }
    await t.request('PATCH', `/api/v1/videos/${mine.slug}`, { headers: owner.auth, json: { is_draft: false } });
  });

  it('bad input: wrong types, unknown fields, empty patches, huge ids, wrong content type', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', url(mine, 'contributors'), { name: 'A', role: 'author' }],
      ['POST', url(mine, 'contributors'), { name: 'Bob', role: 'boss' }],
      ['POST', url(mine, 'contributors'), { name: 'Bob', role: 'author', email_address: 'not-an-email' }],
      ['POST', url(mine, 'contributors'), { name: 'Bob', role: 'author', extra: 1 }],
      ['PATCH', url(mine, 'contributors', 1), {}],
      ['PATCH', url(mine, 'links', 1), { time_start: 'soon' }],
      ['POST', url(mine, 'links'), { url: 'https://univ.example/', label: 'x'.repeat(201), time_start: 0 }],
    ];
    for (const [method, path, json] of cases) {
      const res = await t.request(method, path, { headers: owner.auth, json });
      assert.deepEqual([res.status, res.body.errors[0].code], [400, 'validation_error'], `${method} ${path} ${JSON.stringify(json)}`);
    }
    assert.equal((await t.request('PATCH', `${url(mine, 'links')}/99999999999999999999`, { headers: owner.auth, json: { label: 'x' } })).status, 400);
    const text = await t.request('POST', url(mine, 'links'), { headers: { ...owner.auth, 'content-type': 'text/plain' }, body: 'url=x' });
    assert.deepEqual([text.status, text.body.errors[0].code], [415, 'unsupported_media_type']);
  });

  it('overlay HTML: every payload of the XSS corpus is stored and served sanitised; one with nothing safe left is refused', async () => {
    const v = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Overlays', is_draft: false } })).body.data;
    await markEncoded(t, v.id);
    let refused = 0;
    for (const [i, payload] of XSS_CORPUS.entries()) {
      const res = await t.request('POST', url(v, 'overlays'), { headers: owner.auth, json: { title: `o${i}`, time_start: 0, time_end: 1, content: payload } });
      if (res.status === 400) {
        assert.equal(res.body.errors[0].code, 'empty_content', payload);
        refused++;
        continue;
      }
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(dangers(res.body.data.content), [], payload);
    }
    const config = await t.request('GET', `/api/v1/videos/${v.slug}/config`);
    assert.equal(config.body.data.overlays.length, XSS_CORPUS.length - refused);
    for (const o of config.body.data.overlays) assert.deepEqual(dangers(o.content), [], o.content);
    assert.ok(refused > 10 && refused < XSS_CORPUS.length, `${refused} refused`);
  });

  it('a video\'s purge deletes its enrichments (documents\' files included); until then a deleted video\'s are 404', async () => {
    const v = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Doomed', is_draft: false } })).body.data;
    await markEncoded(t, v.id);
    const h = owner.auth;
    assert.equal((await t.request('POST', url(v, 'contributors'), { headers: h, json: { name: 'Ada', role: 'author' } })).status, 201);
    assert.equal((await t.request('POST', url(v, 'overlays'), { headers: h, json: { title: 'o', time_start: 0, time_end: 1, content: 'x' } })).status, 201);
    assert.equal((await t.request('POST', url(v, 'links'), { headers: h, json: { url: 'https://univ.example/', label: 'l', time_start: 0 } })).status, 201);
    assert.equal((await t.request('POST', url(v, 'comments'), { headers: stranger.auth, json: { content: 'Bien' } })).status, 201);
    assert.equal((await t.request('POST', url(v, 'notes'), { headers: stranger.auth, json: { note: 'À revoir', time_start: 2 } })).status, 201);
    const doc = await t.request('POST', `${url(v, 'documents')}?filename=notes.txt`, { headers: { ...h, 'content-type': 'text/plain' }, body: 'Notes du cours' });
    assert.equal(doc.status, 201, doc.text);
    const { storage_key: docKey } = await t.app.dbh.db.selectFrom('video_documents').select('storage_key').where('video_id', '=', v.id).executeTakeFirstOrThrow();
    assert.ok(await t.app.storage.stat(docKey));

    assert.equal((await t.request('DELETE', `/api/v1/videos/${v.slug}`, { headers: h })).status, 200);
    for (const what of ['contributors', 'overlays', 'links', 'comments', 'notes', 'documents']) {
      assert.equal((await t.request('GET', url(v, what), { headers: h })).status, 404, what);
    }
    assert.equal((await fetch(doc.body.data.url)).status, 404, 'the download URL dies with the video');
    await purgeVideo(t.app, v.id);
    const db = t.app.dbh.db;
    for (const table of ['video_comments', 'video_notes', 'video_documents', 'video_contributors', 'video_overlays', 'video_links'] as const) {
      const { n } = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('video_id', '=', v.id).executeTakeFirstOrThrow();
      assert.equal(Number(n), 0, table);
    }
    assert.equal(await t.app.storage.stat(docKey), null);
    // Another video's enrichments stay.
    assert.ok((await t.request('GET', url(mine, 'contributors'))).body.data.length > 0);
  });
});
