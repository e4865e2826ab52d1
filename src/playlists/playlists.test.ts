// Playlists and favorites over HTTP: create, edit, delete by role; items
// added, removed, moved (and moved concurrently: the order stays a
// permutation); public listing with search and cursor pagination; a video's
// playlists; favorites with is_favorite; bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';

describe('playlists and favorites', () => {
  let t: TestApp;
  let owner: TestUser, editor: TestUser, other: TestUser, staff: TestUser, manager: TestUser;
  const vids: { id: number; slug: string }[] = [];

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t, 'owner');
    editor = await createUser(t, 'editor');
    other = await createUser(t, 'other');
    staff = await createUser(t, 'teacher', { is_staff: true });
    manager = await createUser(t, 'manager', { is_manager: true });
    for (let i = 0; i < 8; i++) {
      const res = await t.request('POST', '/api/v1/videos', { headers: staff.auth, json: { title: `Cours ${i}`, is_draft: false } });
      await markEncoded(t, res.body.data.id);
      vids.push({ id: res.body.data.id, slug: res.body.data.slug });
    }
  });
  after(() => t.close());

  const create = (who: TestUser, json: Record<string, unknown>) => t.request('POST', '/api/v1/playlists', { headers: who.auth, json });
  const order = async (slug: string, who: TestUser) => (await t.request('GET', `/api/v1/playlists/${slug}/videos?limit=100`, { headers: who.auth })).body.data.map((i: { video: { id: number } }) => i.video.id);

  it('create, read, edit and delete, each by whom the policy allows', async () => {
    const anon = await t.request('POST', '/api/v1/playlists', { json: { title: 'x' } });
    assert.equal(anon.status, 401);
    const res = await create(owner, { title: 'Révisions de physique', description: 'Semestre 1', visibility: 'public', editors: ['editor'] });
    assert.equal(res.status, 201, res.text);
    const p = res.body.data;
    assert.match(p.slug, /^\d{4}-revisions-de-physique$/);
    assert.equal(res.headers.get('location'), `/api/v1/playlists/${p.slug}`);
    assert.deepEqual(p.editors.map((e: { username: string }) => e.username), ['editor']);
    assert.equal(p.promoted, false);
    assert.equal(p.can_edit, true);

    // An editor edits fields but not the editors list; a stranger, staff or anonymous edits nothing.
    assert.equal((await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { headers: editor.auth, json: { title: 'Révisions' } })).status, 200);
    const editorEditors = await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { headers: editor.auth, json: { editors: [] } });
    assert.equal(editorEditors.status, 403);
    assert.equal(editorEditors.body.errors[0].code, 'owner_only');
    for (const who of [other, staff]) {
      const r = await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { headers: who.auth, json: { title: 'Mine' } });
      assert.equal(r.status, 403, who.username);
    }
    assert.equal((await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { json: { title: 'Mine' } })).status, 401);

    // promoted: managers only, public playlists only.
    const selfPromote = await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { headers: owner.auth, json: { promoted: true } });
    assert.equal(selfPromote.status, 403);
    const promoted = await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { headers: manager.auth, json: { promoted: true } });
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal(promoted.body.data.promoted, true);
    const home = await t.request('GET', '/api/v1/playlists?promoted=true');
    assert.deepEqual(home.body.data.map((x: { id: number }) => x.id), [p.id]);
    const privatePromoted = await create(manager, { title: 'Hidden', visibility: 'private', promoted: true });
    assert.equal(privatePromoted.status, 400);
    assert.equal(privatePromoted.body.errors[0].field, 'promoted');
    // Becoming private un-promotes.
    const priv = await t.request('PATCH', `/api/v1/playlists/${p.slug}`, { headers: owner.auth, json: { visibility: 'private' } });
    assert.equal(priv.body.data.promoted, false);
    assert.equal((await t.request('GET', `/api/v1/playlists/${p.slug}`, { headers: other.auth })).status, 404, 'private: not revealed');
    assert.equal((await t.request('GET', `/api/v1/playlists/${p.slug}`, { headers: editor.auth })).status, 200);

    // Delete: not the editor, the owner (or a manager).
    assert.equal((await t.request('DELETE', `/api/v1/playlists/${p.slug}`, { headers: editor.auth })).status, 403);
    assert.equal((await t.request('DELETE', `/api/v1/playlists/${p.slug}`, { headers: owner.auth })).status, 200);
    assert.equal((await t.request('GET', `/api/v1/playlists/${p.slug}`, { headers: owner.auth })).status, 404);
    const byManager = await create(other, { title: 'Spam', visibility: 'public' });
    assert.equal((await t.request('DELETE', `/api/v1/playlists/${byManager.body.data.id}`, { headers: manager.auth })).status, 200);
  });

  it('items: add (at a position), remove, move; the order stays dense', async () => {
    const p = (await create(owner, { title: 'Order', visibility: 'public', editors: ['editor'] })).body.data;
    for (const v of vids.slice(0, 4)) {
      const r = await t.request('POST', `/api/v1/playlists/${p.slug}/videos`, { headers: editor.auth, json: { video: v.slug } });
      assert.equal(r.status, 201, r.text);
    }
    assert.deepEqual(await order(p.slug, owner), vids.slice(0, 4).map((v) => v.id));
    const dup = await t.request('POST', `/api/v1/playlists/${p.slug}/videos`, { headers: owner.auth, json: { video: String(vids[0]!.id) } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.errors[0].code, 'already_in_playlist');
    const first = await t.request('POST', `/api/v1/playlists/${p.slug}/videos`, { headers: owner.auth, json: { video: vids[4]!.slug, position: 0 } });
    assert.deepEqual(first.body.data, { video_id: vids[4]!.id, position: 0 });
    const moved = await t.request('PUT', `/api/v1/playlists/${p.slug}/videos/${vids[4]!.slug}/position`, { headers: owner.auth, json: { position: 99 } });
    assert.deepEqual(moved.body.data, { video_id: vids[4]!.id, position: 4 }, 'past the end: last');
    await t.request('PUT', `/api/v1/playlists/${p.slug}/videos/${vids[3]!.id}/position`, { headers: owner.auth, json: { position: 1 } });
    assert.deepEqual(await order(p.slug, owner), [0, 3, 1, 2, 4].map((i) => vids[i]!.id));
    assert.equal((await t.request('DELETE', `/api/v1/playlists/${p.slug}/videos/${vids[3]!.slug}`, { headers: owner.auth })).status, 200);
    const items = (await t.request('GET', `/api/v1/playlists/${p.slug}/videos`, { headers: owner.auth })).body;
    assert.deepEqual(items.data.map((i: { position: number }) => i.position), [0, 1, 2, 3]);
    assert.equal(items.meta.total, 4);
    assert.equal((await t.request('DELETE', `/api/v1/playlists/${p.slug}/videos/${vids[3]!.slug}`, { headers: owner.auth })).status, 404);
    // Who may change items: owner, editors, managers; nobody else.
    for (const [who, status] of [[other, 403], [staff, 403], [manager, 201]] as const) {
      const r = await t.request('POST', `/api/v1/playlists/${p.slug}/videos`, { headers: who.auth, json: { video: vids[5]!.slug } });
      assert.equal(r.status, status, who.username);
    }
    // A page at a time: cursor pagination.
    const page1 = await t.request('GET', `/api/v1/playlists/${p.slug}/videos?limit=2`);
    const page2 = await t.request('GET', `/api/v1/playlists/${p.slug}/videos?limit=2&cursor=${page1.body.meta.next_cursor}`);
    const page3 = await t.request('GET', `/api/v1/playlists/${p.slug}/videos?limit=2&cursor=${page2.body.meta.next_cursor}`);
    assert.deepEqual([...page1.body.data, ...page2.body.data, ...page3.body.data].map((i: { position: number }) => i.position), [0, 1, 2, 3, 4]);
    assert.equal(page3.body.meta.next_cursor, null);
  });

  it('concurrent moves and additions keep the order a permutation', async () => {
    const p = (await create(owner, { title: 'Concurrent', visibility: 'private', editors: ['editor'] })).body.data;
    for (const v of vids.slice(0, 6)) await t.request('POST', `/api/v1/playlists/${p.slug}/videos`, { headers: owner.auth, json: { video: v.slug } });
    const moves = Array.from({ length: 40 }, (_, i) => t.request('PUT', `/api/v1/playlists/${p.slug}/videos/${vids[i % 6]!.slug}/position`, {
      headers: (i % 2 ? owner : editor).auth, json: { position: (i * 7) % 6 },
    }));
    const adds = vids.slice(6).map((v) => t.request('POST', `/api/v1/playlists/${p.slug}/videos`, { headers: editor.auth, json: { video: v.slug, position: 2 } }));
    const answers = await Promise.all([...moves, ...adds]);
    assert.deepEqual(answers.map((a) => a.status).filter((s) => s >= 300), []);
    const items = (await t.request('GET', `/api/v1/playlists/${p.slug}/videos?limit=100`, { headers: owner.auth })).body.data;
    assert.deepEqual(items.map((i: { position: number }) => i.position), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(items.map((i: { video: { id: number } }) => i.video.id).sort((a: number, b: number) => a - b), vids.map((v) => v.id).sort((a, b) => a - b));
  });

  it('public listing: search, owner filter, cursor pagination; mine; a video\'s playlists', async () => {
    const made = [];
    for (const title of ['Algèbre linéaire', 'Analyse réelle', 'Chimie organique']) made.push((await create(staff, { title, visibility: 'public' })).body.data);
    const secret = (await create(staff, { title: 'Analyse privée', visibility: 'private' })).body.data;
    const locked = (await create(staff, { title: 'Analyse protégée', visibility: 'password', password: 'sesame' })).body.data;
    const search = await t.request('GET', '/api/v1/playlists?q=analyse');
    assert.deepEqual(search.body.data.map((p: { id: number }) => p.id).sort(), [made[1].id, locked.id].sort(), 'accents and case folded; private ones never listed');
    const byOwner = await t.request('GET', '/api/v1/playlists?owner=teacher&sort=title&limit=2');
    const next = await t.request('GET', `/api/v1/playlists?owner=teacher&sort=title&limit=2&cursor=${byOwner.body.meta.next_cursor}`);
    assert.deepEqual([...byOwner.body.data, ...next.body.data].map((p: { title: string }) => p.title), ['Algèbre linéaire', 'Analyse protégée', 'Analyse réelle', 'Chimie organique']);
    const mine = await t.request('GET', '/api/v1/playlists/me?limit=100', { headers: staff.auth });
    assert.ok(mine.body.data.some((p: { id: number }) => p.id === secret.id));
    assert.equal((await t.request('GET', '/api/v1/playlists/me')).status, 401);

    await t.request('POST', `/api/v1/playlists/${made[0].slug}/videos`, { headers: staff.auth, json: { video: vids[7]!.slug } });
    await t.request('POST', `/api/v1/playlists/${secret.slug}/videos`, { headers: staff.auth, json: { video: vids[7]!.slug } });
    const ofVideo = await t.request('GET', `/api/v1/videos/${vids[7]!.slug}/playlists`);
    assert.deepEqual(ofVideo.body.data.map((p: { id: number }) => p.id), [made[0].id], 'the private one is not revealed');
    const ofVideoStaff = await t.request('GET', `/api/v1/videos/${vids[7]!.slug}/playlists`, { headers: staff.auth });
    assert.equal(ofVideoStaff.body.data.length, 2);
  });

  it('favorites: my own ordered list, is_favorite in the video JSON', async () => {
    assert.deepEqual((await t.request('GET', '/api/v1/favorites', { headers: other.auth })).body.data, []);
    for (const v of vids.slice(0, 3)) assert.equal((await t.request('POST', '/api/v1/favorites', { headers: other.auth, json: { video: v.slug } })).status, 201);
    const again = await t.request('POST', '/api/v1/favorites', { headers: other.auth, json: { video: vids[0]!.slug } });
    assert.equal(again.body.errors[0].code, 'already_in_playlist');
    await t.request('PUT', `/api/v1/favorites/${vids[2]!.slug}/position`, { headers: other.auth, json: { position: 0 } });
    const list = await t.request('GET', '/api/v1/favorites', { headers: other.auth });
    assert.deepEqual(list.body.data.map((i: { video: { id: number } }) => i.video.id), [vids[2]!.id, vids[0]!.id, vids[1]!.id]);
    assert.equal((await t.request('GET', `/api/v1/videos/${vids[0]!.slug}`, { headers: other.auth })).body.data.is_favorite, true);
    assert.equal((await t.request('GET', `/api/v1/videos/${vids[0]!.slug}`, { headers: owner.auth })).body.data.is_favorite, false, 'another user\'s favorites are theirs');
    assert.equal('is_favorite' in (await t.request('GET', `/api/v1/videos/${vids[0]!.slug}`)).body.data, false, 'anonymous: no such field');
    const listed = await t.request('GET', '/api/v1/videos?limit=100', { headers: other.auth });
    assert.equal(listed.body.data.filter((v: { is_favorite: boolean }) => v.is_favorite).length, 3);
    assert.equal((await t.request('DELETE', `/api/v1/favorites/${vids[0]!.slug}`, { headers: other.auth })).status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${vids[0]!.slug}`, { headers: other.auth })).body.data.is_favorite, false, 'cached answers follow');
    assert.equal((await t.request('GET', '/api/v1/favorites')).status, 401);
    // Favorites are no playlist of the catalogue, and nobody else's to see.
    const all = await t.request('GET', '/api/v1/playlists?limit=100', { headers: manager.auth });
    assert.ok(all.body.data.every((p: { title: string }) => p.title !== 'Favorites'));
    const stats = await t.request('GET', `/api/v1/videos/${vids[1]!.slug}/statistics`, { headers: staff.auth });
    assert.equal(stats.body.data.favorites, 1, 'its editors see how many keep it');
  });

  it('bad input answers 4xx with a code', async () => {
    const p = (await create(owner, { title: 'Inputs', visibility: 'public' })).body.data;
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/v1/playlists', {}, 400, 'validation_error'],
      ['POST', '/api/v1/playlists', { title: 42 }, 400, 'validation_error'],
      ['POST', '/api/v1/playlists', { title: 'x'.repeat(251) }, 400, 'validation_error'],
      ['POST', '/api/v1/playlists', { title: 'x', visibility: 'secret' }, 400, 'validation_error'],
      ['POST', '/api/v1/playlists', { title: 'x', visibility: 'password' }, 400, 'validation_error'],
      ['POST', '/api/v1/playlists', { title: 'x', editors: ['nobody-here'] }, 400, 'validation_error'],
      ['POST', '/api/v1/playlists', { title: 'x', unknown: 1 }, 400, 'validation_error'],
      ['POST', `/api/v1/playlists/${p.slug}/videos`, { video: 'no such video!' }, 400, 'validation_error'],
      ['POST', `/api/v1/playlists/${p.slug}/videos`, { video: '999999' }, 404, 'not_found'],
      ['POST', `/api/v1/playlists/${p.slug}/videos`, { video: vids[0]!.slug, position: -1 }, 400, 'validation_error'],
      ['PUT', `/api/v1/playlists/${p.slug}/videos/${vids[0]!.slug}/position`, { position: 'first' }, 400, 'validation_error'],
      ['PUT', `/api/v1/playlists/${p.slug}/videos/${vids[0]!.slug}/position`, { position: 1 }, 404, 'not_found'],
      ['GET', '/api/v1/playlists?cursor=nonsense', undefined, 400, 'invalid_cursor'],
      ['GET', '/api/v1/playlists?limit=1000', undefined, 400, 'validation_error'],
      ['GET', '/api/v1/playlists/9999999', undefined, 404, 'not_found'],
      ['POST', `/api/v1/playlists/${p.slug}/unlock`, { password: 'x' }, 400, 'no_password'],
    ];
    for (const [method, url, json, status, code] of cases) {
      const r = await t.request(method, url, { headers: owner.auth, ...(json === undefined ? {} : { json }) });
      assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(json)}: ${r.text}`);
      assert.equal(r.body.errors[0].code, code, `${method} ${url}`);
    }
    const text = await t.request('POST', '/api/v1/playlists', { headers: { ...owner.auth, 'content-type': 'text/plain' }, body: 'title' });
    assert.equal(text.status, 415);
  });
});
