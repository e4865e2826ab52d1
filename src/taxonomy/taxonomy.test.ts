// Channels, themes, types, disciplines and tags: Pod's rights (managers
// administer taxonomy; channel owners manage their channel and its themes),
// hidden channels, child ids scoped to their channel, bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

describe('channels, themes and taxonomy', () => {
  let t: TestApp;
  let root: TestUser, manager: TestUser, chanOwner: TestUser, staff: TestUser, other: TestUser;
  before(async () => {
    t = await startTestApp();
    root = await createUser(t, 'root', { is_superuser: true });
    manager = await createUser(t, 'manager', { is_manager: true });
    chanOwner = await createUser(t, 'chanowner');
    staff = await createUser(t, 'teacher', { is_staff: true });
    other = await createUser(t, 'other');
  });
  after(() => t.close());

  it('types and disciplines: everyone reads; managers and superusers write; others 401/403', async () => {
    for (const base of ['/api/v1/types', '/api/v1/disciplines']) {
      const calls: [string, string, unknown?][] = [
        ['POST', base, { title: 'Conférence' }],
        ['PATCH', `${base}/conference`, { description: 'Talks' }],
        ['DELETE', `${base}/conference`],
      ];
      for (const [i, [method, path, json]] of calls.entries()) {
        assert.equal((await t.request(method, path, { json })).status, 401, `anon ${method} ${path}`);
        for (const u of [other, staff, chanOwner]) {
          assert.equal((await t.request(method, path, { json, headers: u.auth })).status, 403, `${u.username} ${method} ${path}`);
        }
        const who = i === 0 ? manager : root;
        const res = await t.request(method, path, { json, headers: who.auth });
        assert.ok([200, 201].includes(res.status), `${who.username} ${method} ${path}: ${res.text}`);
        if (i === 0) {
          assert.equal(res.body.data.slug, 'conference', 'slug from the title, accents folded');
          const list = await t.request('GET', base);
          assert.deepEqual(list.body.data.map((x: any) => x.slug), ['conference']);
          assert.equal((await t.request('GET', `${base}/conference`)).status, 200);
          const dup = await t.request('POST', base, { json: { title: 'Conférence' }, headers: manager.auth });
          assert.equal(dup.status, 409);
        }
      }
      assert.equal((await t.request('GET', `${base}/conference`)).status, 404);
    }
  });

  it('channels: managers create and set owners; owners edit presentation and themes but not membership', async () => {
    const make = await t.request('POST', '/api/v1/channels', { headers: other.auth, json: { title: 'Nope' } });
    assert.equal(make.status, 403);
    const ch = await t.request('POST', '/api/v1/channels', { headers: manager.auth, json: { title: 'Médecine', owners: ['chanowner'], description: 'UFR' } });
    assert.equal(ch.status, 201, ch.text);
    assert.equal(ch.body.data.slug, 'medecine');
    assert.deepEqual(ch.body.data.owners.map((o: any) => o.username), ['chanowner']);

    const edit = await t.request('PATCH', '/api/v1/channels/medecine', { headers: chanOwner.auth, json: { description: 'UFR de médecine', color: '#aa0000' } });
    assert.equal(edit.status, 200);
    assert.equal(edit.body.data.can_edit, true);
    const escalate = await t.request('PATCH', '/api/v1/channels/medecine', { headers: chanOwner.auth, json: { owners: ['chanowner', 'other'] } });
    assert.equal(escalate.status, 403);
    assert.equal((await t.request('PATCH', '/api/v1/channels/medecine', { headers: other.auth, json: { description: 'x' } })).status, 403);
    assert.equal((await t.request('PATCH', '/api/v1/channels/medecine', { json: { description: 'x' } })).status, 401);
    assert.equal((await t.request('DELETE', '/api/v1/channels/medecine', { headers: chanOwner.auth })).status, 403);
  });

  it('hidden channels exist only for their owners and managers', async () => {
    await t.request('POST', '/api/v1/channels', { headers: manager.auth, json: { title: 'Coulisses', visible: false, owners: ['chanowner'] } });
    for (const [who, status] of [[undefined, 404], [other, 404], [staff, 404], [chanOwner, 200], [manager, 200], [root, 200]] as const) {
      const res = await t.request('GET', '/api/v1/channels/coulisses', { headers: who?.auth ?? {} });
      assert.equal(res.status, status, who?.username ?? 'anonymous');
      const list = await t.request('GET', '/api/v1/channels', { headers: who?.auth ?? {} });
      assert.equal(list.body.data.some((c: any) => c.slug === 'coulisses'), status === 200, `list for ${who?.username ?? 'anonymous'}`);
    }
    assert.equal((await t.request('GET', '/api/v1/channels/coulisses/videos', { headers: other.auth })).status, 404);
  });

  it('themes: a tree inside one channel; ids of another channel are not found; no cycles', async () => {
    await t.request('POST', '/api/v1/channels', { headers: manager.auth, json: { title: 'Droit', owners: ['other'] } });
    const s1 = await t.request('POST', '/api/v1/channels/medecine/themes', { headers: chanOwner.auth, json: { title: 'Année 1' } });
    assert.equal(s1.status, 201, s1.text);
    const sub = await t.request('POST', '/api/v1/channels/medecine/themes', { headers: chanOwner.auth, json: { title: 'Anatomie', parent_id: s1.body.data.id } });
    assert.equal(sub.body.data.parent_id, s1.body.data.id);
    assert.equal((await t.request('POST', '/api/v1/channels/medecine/themes', { headers: other.auth, json: { title: 'x' } })).status, 403);
    // `other` owns "droit": a theme id of "medecine" is not addressable through it.
    const cross = await t.request('PATCH', `/api/v1/channels/droit/themes/${s1.body.data.id}`, { headers: other.auth, json: { title: 'pwned' } });
    assert.equal(cross.status, 404);
    assert.equal((await t.request('DELETE', `/api/v1/channels/droit/themes/${s1.body.data.id}`, { headers: other.auth })).status, 404);
    const foreignParent = await t.request('POST', '/api/v1/channels/droit/themes', { headers: other.auth, json: { title: 'x', parent_id: s1.body.data.id } });
    assert.equal(foreignParent.status, 400);
    assert.equal(foreignParent.body.errors[0].field, 'parent_id');
    const cycle = await t.request('PATCH', `/api/v1/channels/medecine/themes/${s1.body.data.id}`, { headers: chanOwner.auth, json: { parent_id: sub.body.data.id } });
    assert.equal(cycle.status, 400);
    const list = await t.request('GET', '/api/v1/channels/medecine/themes');
    assert.deepEqual(list.body.data.map((x: any) => x.slug).sort(), ['anatomie', 'annee-1']);
    assert.equal((await t.request('DELETE', `/api/v1/channels/medecine/themes/${s1.body.data.id}`, { headers: chanOwner.auth })).status, 200);
    assert.deepEqual((await t.request('GET', '/api/v1/channels/medecine/themes')).body.data, [], 'sub-themes go with their parent');
  });

  it('tags: counted over visible videos only; managers rename (merging) and delete', async () => {
    const mk = async (title: string, tags: string[], draft: boolean) => {
      const v = await t.request('POST', '/api/v1/videos', { headers: staff.auth, json: { title, tags, is_draft: draft } });
      await t.app.dbh.db.updateTable('videos').set({ ready_at: new Date() }).where('id', '=', v.body.data.id).execute();
      return v.body.data;
    };
    await mk('A', ['python', 'algo'], false);
    await mk('B', ['Python'], false);
    await mk('C', ['secret-tag', 'python'], true);
    const anon = await t.request('GET', '/api/v1/tags');
    assert.deepEqual(anon.body.data, [{ name: 'python', video_count: 2 }, { name: 'algo', video_count: 1 }]);
    const mine = await t.request('GET', '/api/v1/tags?search=se', { headers: staff.auth });
    assert.deepEqual(mine.body.data, [{ name: 'secret-tag', video_count: 1 }]);
    assert.equal((await t.request('PATCH', '/api/v1/tags/algo', { headers: other.auth, json: { name: 'x' } })).status, 403);
    const merged = await t.request('PATCH', '/api/v1/tags/algo', { headers: manager.auth, json: { name: 'Python' } });
    assert.equal(merged.status, 200);
    assert.deepEqual((await t.request('GET', '/api/v1/tags')).body.data, [{ name: 'python', video_count: 2 }]);
    assert.equal((await t.request('DELETE', '/api/v1/tags/python', { headers: manager.auth })).status, 200);
    assert.deepEqual((await t.request('GET', '/api/v1/tags', { headers: staff.auth })).body.data, [{ name: 'secret-tag', video_count: 1 }]);
    assert.equal((await t.request('GET', '/api/v1/videos?q=python', { headers: staff.auth })).body.data.length, 0, 'search documents refreshed');
  });

  it('bad input → 400 naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/channels', {}, 'title'],
      ['POST', '/api/v1/channels', { title: 'x', visible: 'yes' }, 'visible'],
      ['POST', '/api/v1/channels', { title: 'x', owners: ['nobody'] }, 'owners.0'],
      ['POST', '/api/v1/channels', { title: 'x', slug: 'Bad Slug' }, 'slug'],
      ['POST', '/api/v1/channels', { title: '!!!' }, 'slug'],
      ['POST', '/api/v1/types', { title: 'x'.repeat(101) }, 'title'],
      ['POST', '/api/v1/channels/medecine/themes', { title: 'x', parent_id: 'one' }, 'parent_id'],
      ['PATCH', '/api/v1/tags/whatever', { name: 'a,b' }, 'name'],
    ];
    for (const [method, path, json, field] of cases) {
      const res = await t.request(method, path, { json, headers: root.auth });
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(json)}: ${res.text.slice(0, 200)}`);
      assert.ok(res.body.errors.some((e: any) => e.field === field), `${JSON.stringify(json)} names ${field}: ${res.text.slice(0, 200)}`);
    }
    assert.equal((await t.request('GET', '/api/v1/channels/medecine/themes/abc')).status, 405);
    assert.equal((await t.request('PATCH', '/api/v1/channels/medecine/themes/abc', { headers: root.auth, json: {} })).status, 400);
  });
});
