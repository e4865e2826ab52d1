// Subtitle tracks: SRT and WebVTT in, normalised WebVTT out (validated by
// the W3C parser), one per kind and language, one default, editors only,
// children addressed through their own video only; served via the config.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import type { TestUser } from '../test-support/users.ts';
import { editorsCast } from '../test-support/cast.ts';

const SRT = '1\r\n00:00:01,000 --> 00:00:02,500\r\nBonjour à tous\r\n\r\n2\r\n00:00:03,000 --> 00:00:05,000\r\nCours n°1\r\n';
const VTT = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n';

describe('subtitle tracks', () => {
  let t: TestApp;
  let owner: TestUser, coowner: TestUser, stranger: TestUser, staff: TestUser, root: TestUser;
  let mine: { id: number; slug: string }, theirs: { id: number; slug: string };

  before(async () => {
    t = await startTestApp();
    ({ owner, coowner, stranger, staff, root, mine, theirs } = await editorsCast(t));
  });
  after(() => t.close());

  const tracks = (slug: string) => `/api/v1/videos/${slug}/tracks`;

  it('SRT becomes WebVTT; the config lists it and its URL serves the normalised text', async () => {
    const res = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json: { lang: 'fr', content: SRT, is_default: true } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual({ ...res.body.data, id: 0, created_at: '', updated_at: '' },
      { id: 0, kind: 'subtitles', lang: 'fr', label: 'français', is_default: true, cue_count: 2, is_auto: false, created_at: '', updated_at: '' });
    const one = await t.request('GET', `${tracks(mine.slug)}/${res.body.data.id}`, { headers: owner.auth });
    assert.match(one.body.data.content, /^WEBVTT\n/);
    assert.match(one.body.data.content, /00:01\.000 --> 00:02\.500\nBonjour à tous/);
    assert.doesNotMatch(one.body.data.content, /,\d{3}/);

    const cfg = await t.request('GET', `/api/v1/videos/${mine.slug}/config`);
    const [track] = cfg.body.data.tracks;
    assert.deepEqual({ ...track, url: '' }, { id: res.body.data.id, kind: 'subtitles', lang: 'fr', label: 'français', default: true, url: '', type: 'text/vtt' });
    const file = await fetch(track.url);
    assert.equal(file.headers.get('content-type'), 'text/vtt; charset=utf-8');
    assert.equal(await file.text(), one.body.data.content);
  });

  it('refuses invalid files naming the line, duplicates, and a second default', async () => {
    const bad = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json: { lang: 'en', content: 'WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nbackwards\n' } });
    assert.equal(bad.status, 400);
    assert.deepEqual([bad.body.errors[0].code, bad.body.errors[0].field], ['invalid_subtitles', 'content']);
    assert.match(bad.body.errors[0].message, /^Line 3: /);
    const html = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json: { lang: 'en', content: '<html><script>alert(1)</script></html>' } });
    assert.equal(html.body.errors[0].code, 'invalid_subtitles');
    const empty = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json: { lang: 'en', content: 'WEBVTT\n' } });
    assert.equal(empty.body.errors[0].code, 'invalid_subtitles');
    const dup = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json: { lang: 'fr', content: VTT } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.errors[0].code, 'track_exists');
    // Captions in the same language are another track; making it default unsets the first.
    const cc = await t.request('POST', tracks(mine.slug), { headers: coowner.auth, json: { lang: 'fr', kind: 'captions', content: VTT, is_default: true } });
    assert.equal(cc.status, 201, cc.text);
    assert.equal(cc.body.data.label, 'français (CC)');
    const list = await t.request('GET', tracks(mine.slug));
    assert.deepEqual(list.body.data.map((x: any) => [x.kind, x.is_default]), [['captions', true], ['subtitles', false]]);
  });

  it('PATCH replaces the text under a new URL; DELETE removes the file', async () => {
    const created = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json: { lang: 'de', content: VTT } });
    const before = (await t.request('GET', `/api/v1/videos/${mine.slug}/config`)).body.data.tracks.find((x: any) => x.lang === 'de').url;
    const patched = await t.request('PATCH', `${tracks(mine.slug)}/${created.body.data.id}`, { headers: owner.auth, json: { content: SRT, label: 'Deutsch' } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.data.cue_count, 2);
    const after = (await t.request('GET', `/api/v1/videos/${mine.slug}/config`)).body.data.tracks.find((x: any) => x.lang === 'de');
    assert.notEqual(after.url, before);
    assert.equal(after.label, 'Deutsch');
    assert.equal((await fetch(before)).status, 404, 'the old text is gone');
    const del = await t.request('DELETE', `${tracks(mine.slug)}/${created.body.data.id}`, { headers: owner.auth });
    assert.equal(del.status, 200);
    assert.equal((await fetch(after.url)).status, 404);
  });

  it('ACL: anonymous 401, other users 403, owner/co-owner/superuser allowed; a track id of another video is 404', async () => {
    const body = { lang: 'es', content: VTT };
    assert.equal((await t.request('POST', tracks(mine.slug), { json: body })).status, 401);
    for (const who of [stranger, staff]) {
      const res = await t.request('POST', tracks(mine.slug), { headers: who.auth, json: body });
      assert.equal(res.status, 403);
      assert.equal(res.body.errors[0].code, 'forbidden');
    }
    const byRoot = await t.request('POST', tracks(mine.slug), { headers: root.auth, json: body });
    assert.equal(byRoot.status, 201);
    const theirsTrack = await t.request('POST', tracks(theirs.slug), { headers: staff.auth, json: body });
    assert.equal(theirsTrack.status, 201);
    // The owner of `mine` names `theirs`'s track id through their own video.
    for (const [method, json] of [['GET', undefined], ['PATCH', { label: 'pwned' }], ['DELETE', undefined]] as const) {
      const res = await t.request(method, `${tracks(mine.slug)}/${theirsTrack.body.data.id}`, { headers: owner.auth, json });
      assert.equal(res.status, 404, method);
    }
    const untouched = await t.request('GET', `${tracks(theirs.slug)}/${theirsTrack.body.data.id}`, { headers: staff.auth });
    assert.equal(untouched.body.data.label, 'español');
    // Reading the text is for editors; the list follows the video's visibility.
    assert.equal((await t.request('GET', `${tracks(mine.slug)}/${byRoot.body.data.id}`, { headers: stranger.auth })).status, 403);
    assert.equal((await t.request('GET', tracks(mine.slug))).status, 200);
  });

  it('bad input → 4xx with a code', async () => {
    const cases: [string, Record<string, unknown> | string, number, string, string?][] = [
      ['missing content', { lang: 'it' }, 400, 'validation_error', 'content'],
      ['bad lang', { lang: 'French', content: VTT }, 400, 'validation_error', 'lang'],
      ['wrong type', { lang: 'it', content: 42 }, 400, 'validation_error', 'content'],
      ['unknown kind', { lang: 'it', content: VTT, kind: 'chapters' }, 400, 'validation_error', 'kind'],
      ['huge', { lang: 'it', content: `WEBVTT\n\n${'00:00:01.000 --> 00:00:02.000\nx\n\n'.repeat(300_000)}` }, 413, 'payload_too_large'],
    ];
    for (const [name, json, status, code, field] of cases) {
      const res = await t.request('POST', tracks(mine.slug), { headers: owner.auth, json });
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(res.body.errors[0].code, code, name);
      if (field) assert.equal(res.body.errors[0].field, field, name);
    }
    const text = await t.request('POST', tracks(mine.slug), { headers: { ...owner.auth, 'content-type': 'text/vtt' }, body: VTT });
    assert.equal(text.status, 415);
    assert.equal((await t.request('PATCH', `${tracks(mine.slug)}/abc`, { headers: owner.auth, json: { label: 'x' } })).status, 400);
  });
});
