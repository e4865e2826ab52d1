// Video CRUD, slugs, relations, search, filters and pagination, and bad
// input — through HTTP on the real engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

describe('videos', () => {
  let t: TestApp;
  let root: TestUser, owner: TestUser, coowner: TestUser, stranger: TestUser, manager: TestUser, student: TestUser;
  const markReady = (id: number) => t.app.dbh.db.updateTable('videos').set({ ready_at: new Date(), encoding_status: 'ready' }).where('id', '=', id).execute();
  const create = async (who: TestUser, json: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/videos', { headers: who.auth, json });
    assert.equal(res.status, 201, res.text);
    return res.body.data;
  };

  before(async () => {
    t = await startTestApp();
    root = await createUser(t, 'root', { is_superuser: true });
    owner = await createUser(t, 'jdupont', { is_staff: true });
    coowner = await createUser(t, 'coowner');
    stranger = await createUser(t, 'stranger');
    manager = await createUser(t, 'manager', { is_manager: true });
    student = await createUser(t, 'student', { groups: ['L1'] });
    await t.app.dbh.db.updateTable('users').set({ first_name: 'Jeanne', last_name: 'Dupont' }).where('id', '=', owner.id).execute();
    for (const [path, json] of [
      ['/api/v1/types', { title: 'Cours magistral' }],
      ['/api/v1/disciplines', { title: 'Physique' }],
      ['/api/v1/channels', { title: 'Sciences', owners: ['jdupont'] }],
      ['/api/v1/channels', { title: 'Ouverte', allow_to_groups: ['L1'] }],
      ['/api/v1/channels', { title: 'Fermée' }],
    ] as const) {
      const res = await t.request('POST', path, { headers: root.auth, json });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(() => t.close());

  it('creates a draft with a stable id-based slug and Pod field names; renaming keeps the slug', async () => {
    const v = await create(owner, {
      title: 'Introduction à la Mécanique Quantique', description: 'Premier cours', type: 'cours-magistral',
      disciplines: ['physique'], tags: ['Physique', ' quantique ', 'physique'], channels: ['sciences'],
      additional_owners: ['coowner'], date_evt: '2026-09-15', licence: 'by-nc-sa', main_lang: 'fr',
    });
    assert.match(v.slug, /^\d{4,}-introduction-a-la-mecanique-quantique$/);
    assert.equal(v.is_draft, true, 'new videos are drafts');
    assert.equal(v.owner.username, 'jdupont');
    assert.deepEqual(v.additional_owners.map((p: any) => p.username), ['coowner']);
    assert.equal(v.type.slug, 'cours-magistral');
    assert.deepEqual(v.disciplines.map((d: any) => d.slug), ['physique']);
    assert.deepEqual(v.tags, ['physique', 'quantique']);
    assert.deepEqual(v.channels.map((c: any) => c.slug), ['sciences']);
    assert.equal(v.date_evt, '2026-09-15');
    assert.deepEqual(v.encoding, { status: 'pending', progress: null, error: null, log: null });
    assert.equal(v.can_edit, true);
    assert.equal(v.can_delete, true);
    assert.equal('password' in v, false);

    const renamed = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: coowner.auth, json: { title: 'Mécanique quantique, cours 1' } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.data.slug, v.slug);
    assert.equal(renamed.body.data.can_delete, false, 'additional owners cannot delete');
    // By id, by slug, and by a V4-style slug whose words changed.
    for (const ref of [String(v.id), v.slug, `${String(v.id).padStart(4, '0')}-ancien-titre`]) {
      const got = await t.request('GET', `/api/v1/videos/${ref}`, { headers: owner.auth });
      assert.equal(got.status, 200, ref);
      assert.equal(got.body.data.title, 'Mécanique quantique, cours 1');
    }
  });

  it('edit rights: stranger sees-but-cannot-edit → 403, cannot-see → 404; additional owners cannot delete', async () => {
    const pub = await create(owner, { title: 'Public', is_draft: false });
    await markReady(pub.id);
    const draft = await create(owner, { title: 'Brouillon' });
    assert.equal((await t.request('PATCH', `/api/v1/videos/${pub.slug}`, { headers: stranger.auth, json: { title: 'x' } })).status, 403);
    const hidden = await t.request('PATCH', `/api/v1/videos/${draft.slug}`, { headers: stranger.auth, json: { title: 'x' } });
    assert.equal(hidden.status, 404);
    assert.equal((await t.request('PATCH', `/api/v1/videos/${pub.slug}`, { json: { title: 'x' } })).status, 401);
    assert.equal((await t.request('PATCH', `/api/v1/videos/${pub.slug}`, { headers: manager.auth, json: { title: 'Par le manager' } })).status, 200);

    await t.request('PATCH', `/api/v1/videos/${pub.slug}`, { headers: owner.auth, json: { additional_owners: ['coowner'] } });
    assert.equal((await t.request('DELETE', `/api/v1/videos/${pub.slug}`, { headers: coowner.auth })).status, 403);
    assert.equal((await t.request('DELETE', `/api/v1/videos/${pub.slug}`, { headers: stranger.auth })).status, 403);
    assert.equal((await t.request('DELETE', `/api/v1/videos/${draft.slug}`, { headers: stranger.auth })).status, 404);
    assert.equal((await t.request('DELETE', `/api/v1/videos/${pub.slug}`, { headers: owner.auth })).status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${pub.slug}`, { headers: owner.auth })).status, 404, 'soft-deleted: gone for everyone');
    const list = await t.request('GET', '/api/v1/videos/me?limit=100', { headers: owner.auth });
    assert.ok(!list.body.data.some((x: any) => x.id === pub.id));
  });

  it('only managers change the owner; the owner cannot be an additional owner', async () => {
    const v = await create(owner, { title: 'Transfert' });
    const denied = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { owner: 'stranger' } });
    assert.equal(denied.status, 403);
    const moved = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: manager.auth, json: { owner: 'stranger' } });
    assert.equal(moved.body.data.owner.username, 'stranger');
    const self = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: manager.auth, json: { additional_owners: ['stranger'] } });
    assert.equal(self.status, 400);
    assert.equal(self.body.errors[0].field, 'additional_owners.0');
  });

  it('additional owners: the owner and managers choose them; an additional owner edits the rest and may only leave', async () => {
    const v = await create(owner, { title: 'Co-édition', additional_owners: ['coowner'] });
    const grow = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: coowner.auth, json: { additional_owners: ['coowner', 'stranger'] } });
    assert.equal(grow.status, 403, 'a co-owner cannot bring in someone else');
    assert.equal(grow.body.errors[0].code, 'owner_only');
    assert.equal(grow.body.errors[0].field, 'additional_owners');
    const swap = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: coowner.auth, json: { additional_owners: ['stranger'] } });
    assert.equal(swap.status, 403, 'nor hand their seat to someone else');
    const same = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: coowner.auth, json: { title: 'Co-édition 2', additional_owners: ['coowner'] } });
    assert.equal(same.status, 200, 'sending the list unchanged is fine');
    // PUT replaces the fields a co-owner may edit; omitted additional owners stay as they are for them.
    const put = await t.request('PUT', `/api/v1/videos/${v.slug}`, { headers: coowner.auth, json: { title: 'Remplacé' } });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body.data.additional_owners.map((p: any) => p.username), ['coowner']);
    const leave = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: coowner.auth, json: { additional_owners: [] } });
    assert.equal(leave.status, 200, 'a co-owner may leave');
    assert.equal((await t.request('GET', `/api/v1/videos/${v.slug}`, { headers: owner.auth })).body.data.additional_owners.length, 0);
    const byManager = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: manager.auth, json: { additional_owners: ['coowner', 'student'] } });
    assert.equal(byManager.status, 200);
    const byOwner = await t.request('PUT', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { title: 'Seul' } });
    assert.deepEqual(byOwner.body.data.additional_owners, [], 'for the owner, PUT resets them like every other field');
  });

  it('channels: only where the user may publish; unmanageable channels are kept; themes must match', async () => {
    const mine = await create(student, { title: 'Exposé', channels: ['ouverte'] });
    assert.deepEqual(mine.channels.map((c: any) => c.slug), ['ouverte'], 'group member of allow_to_groups may publish');
    const refused = await t.request('POST', '/api/v1/videos', { headers: student.auth, json: { title: 'x', channels: ['fermee'] } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errors[0].field, 'channels.0');
    // A manager adds the student's video to the closed channel; the student keeps it there on edit.
    await t.request('PATCH', `/api/v1/videos/${mine.slug}`, { headers: manager.auth, json: { channels: ['ouverte', 'fermee'] } });
    const kept = await t.request('PATCH', `/api/v1/videos/${mine.slug}`, { headers: student.auth, json: { channels: [] } });
    assert.deepEqual(kept.body.data.channels.map((c: any) => c.slug), ['fermee']);

    const theme = await t.request('POST', '/api/v1/channels/sciences/themes', { headers: owner.auth, json: { title: 'Semestre 1' } });
    assert.equal(theme.status, 201, theme.text);
    const v = await create(owner, { title: 'Thématique', channels: ['sciences'], themes: [theme.body.data.id] });
    assert.deepEqual(v.themes.map((x: any) => x.slug), ['semestre-1']);
    const wrong = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'x', themes: [theme.body.data.id] } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errors[0].field, 'themes.0');
  });

  it('groups imply restricted; removing groups and the restriction in one PATCH works (V4 #1147)', async () => {
    const v = await create(owner, { title: 'Groupes', is_draft: false, restrict_access_to_groups: ['L1'] });
    assert.equal(v.is_restricted, true);
    const open = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { restrict_access_to_groups: [], is_restricted: false } });
    assert.equal(open.body.data.is_restricted, false);
    assert.deepEqual(open.body.data.restrict_access_to_groups, []);
  });

  it('password is write-only, hashed, and can be removed', async () => {
    const v = await create(owner, { title: 'Secret', password: 'sesame' });
    assert.equal(v.has_password, true);
    const row = await t.app.dbh.db.selectFrom('videos').select('password_hash').where('id', '=', v.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash!, /^\$argon2id\$/);
    const cleared = await t.request('PATCH', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { password: null } });
    assert.equal(cleared.body.data.has_password, false);
  });

  it('PUT replaces: omitted fields return to their defaults', async () => {
    const v = await create(owner, { title: 'Complet', description: 'texte', tags: ['a'], allow_downloading: true, is_draft: false });
    const put = await t.request('PUT', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { title: 'Remplacé' } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.data.description, '');
    assert.deepEqual(put.body.data.tags, []);
    assert.equal(put.body.data.allow_downloading, false);
    assert.equal(put.body.data.is_draft, true);
    const missing = await t.request('PUT', `/api/v1/videos/${v.slug}`, { headers: owner.auth, json: { description: 'no title' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errors[0].field, 'title');
  });

  it('full-text search: French and English stemming, accents folded, tags, owner names, description', async () => {
    const titles = [
      ['Les étudiants découvrent la thermodynamique', { tags: ['chaleur'] }],
      ['Students learning organic chemistry', { description: 'Covalent bonds and reactions' }],
      ['Séminaire', { description: 'Une présentation sur les réseaux neuronaux' }],
    ] as const;
    const ids: Record<string, number> = {};
    for (const [title, extra] of titles) {
      const v = await create(owner, { title, is_draft: false, ...extra });
      await markReady(v.id);
      ids[title] = v.id;
    }
    const search = async (q: string) => (await t.request('GET', `/api/v1/videos?q=${encodeURIComponent(q)}`)).body.data.map((v: any) => v.id);
    assert.ok((await search('etudiant')).includes(ids['Les étudiants découvrent la thermodynamique']), 'accent folded + stem');
    assert.ok((await search('THERMODYNAMIQUES')).includes(ids['Les étudiants découvrent la thermodynamique']), 'plural, case');
    assert.ok((await search('chaleur')).includes(ids['Les étudiants découvrent la thermodynamique']), 'tags');
    assert.ok((await search('student learn')).includes(ids['Students learning organic chemistry']), 'English stemming');
    assert.ok((await search('reaction')).includes(ids['Students learning organic chemistry']), 'description');
    assert.ok((await search('réseau neuronal')).includes(ids['Séminaire']), 'French stemming in description');
    assert.ok((await search('dupont')).includes(ids['Séminaire']), 'owner last name');
    assert.deepEqual(await search('xylophone'), []);
    // Renaming the owner refreshes the search documents of their videos.
    await t.app.dbh.db.updateTable('users').set({ last_name: 'Martin' }).where('id', '=', owner.id).execute();
    assert.ok((await search('martin')).includes(ids['Séminaire']));
  });

  it('filters, sorts and keyset pagination without gaps or duplicates', async () => {
    for (let i = 0; i < 7; i++) {
      const v = await create(coowner, { title: `Série ${String.fromCharCode(65 + i)}`, is_draft: false, tags: ['serie'], type: 'cours-magistral' });
      await markReady(v.id);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.request('GET', `/api/v1/videos?tag=serie&limit=3&sort=title${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((v: any) => v.id));
      cursor = res.body.meta.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
    const byTitle = (await t.request('GET', '/api/v1/videos?tag=serie&sort=-title&limit=100')).body.data.map((v: any) => v.title);
    assert.deepEqual(byTitle, [...byTitle].sort().reverse());
    const byOwner = await t.request('GET', '/api/v1/videos?owner=coowner&limit=100');
    assert.ok(byOwner.body.data.every((v: any) => v.owner.username === 'coowner'));
    const byType = await t.request('GET', '/api/v1/videos?type=cours-magistral&limit=100');
    assert.ok(byType.body.data.length >= 7);
    const today = new Date().toISOString().slice(0, 10);
    assert.ok((await t.request('GET', `/api/v1/videos?date_from=${today}&date_to=${today}&limit=100`)).body.data.length >= 7);
    assert.equal((await t.request('GET', '/api/v1/videos?date_to=2000-01-01')).body.data.length, 0);
    // Date pagination across many pages.
    const dates: number[] = [];
    cursor = null;
    do {
      const res: any = await t.request('GET', `/api/v1/videos?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      dates.push(...res.body.data.map((v: any) => v.id));
      cursor = res.body.meta.next_cursor;
    } while (cursor);
    assert.equal(new Set(dates).size, dates.length);
  });

  it('uploads can be restricted to staff (UPLOAD_STAFF_ONLY)', async () => {
    const strict = await startTestApp({ env: { UPLOAD_STAFF_ONLY: 'true' } });
    try {
      const s = await createUser(strict, 'etu');
      const teacher = await createUser(strict, 'prof', { is_staff: true });
      assert.equal((await strict.request('POST', '/api/v1/videos', { headers: s.auth, json: { title: 'x' } })).status, 403);
      assert.equal((await strict.request('POST', '/api/v1/videos', { headers: teacher.auth, json: { title: 'x' } })).status, 201);
    } finally {
      await strict.close();
    }
  });

  it('bad input → 4xx envelope naming the field, never 500', async () => {
    const v = await create(owner, { title: 'Cible' });
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/videos', {}, 'title'],
      ['POST', '/api/v1/videos', { title: '' }, 'title'],
      ['POST', '/api/v1/videos', { title: 'x'.repeat(251) }, 'title'],
      ['POST', '/api/v1/videos', { title: 42 }, 'title'],
      ['POST', '/api/v1/videos', { title: 'x', is_draft: 'no' }, 'is_draft'],
      ['POST', '/api/v1/videos', { title: 'x', tags: 'a,b' }, 'tags'],
      ['POST', '/api/v1/videos', { title: 'x', licence: 'gpl' }, 'licence'],
      ['POST', '/api/v1/videos', { title: 'x', date_evt: '15/09/2026' }, 'date_evt'],
      ['POST', '/api/v1/videos', { title: 'x', type: 'nope' }, 'type'],
      ['POST', '/api/v1/videos', { title: 'x', disciplines: ['nope'] }, 'disciplines.0'],
      ['POST', '/api/v1/videos', { title: 'x', channels: ['nope'] }, 'channels.0'],
      ['POST', '/api/v1/videos', { title: 'x', restrict_access_to_groups: ['NOPE'] }, 'restrict_access_to_groups.0'],
      ['POST', '/api/v1/videos', { title: 'x', additional_owners: ['nobody'] }, 'additional_owners.0'],
      ['POST', '/api/v1/videos', { title: 'x', description: 'd'.repeat(100_001) }, 'description'],
      ['POST', '/api/v1/videos', { title: 'x', themes: ['1'] }, 'themes.0'],
      ['PATCH', `/api/v1/videos/${v.slug}`, { main_lang: 'French' }, 'main_lang'],
      ['PATCH', `/api/v1/videos/${v.slug}`, { password: '' }, 'password'],
    ];
    for (const [method, path, json, field] of cases) {
      const res = await t.request(method, path, { json, headers: owner.auth });
      assert.equal(res.status, 400, `${method} ${JSON.stringify(json).slice(0, 60)}: ${res.text.slice(0, 200)}`);
      assert.ok(res.body.errors.some((e: any) => e.field === field), `${JSON.stringify(json).slice(0, 60)} names ${field}: ${res.text.slice(0, 300)}`);
    }
    for (const query of ['limit=0', 'limit=1000', 'limit=abc', 'sort=random', 'cursor=%%%', 'theme=x', 'date_from=yesterday', `q=${'q'.repeat(201)}`]) {
      const res = await t.request('GET', `/api/v1/videos?${query}`);
      assert.equal(res.status, 400, query);
    }
    assert.equal((await t.request('GET', '/api/v1/videos/no%20such')).status, 400);
    assert.equal((await t.request('GET', '/api/v1/videos/999999')).status, 404);
    assert.equal((await t.request('GET', '/api/v1/videos/99999999999999999999')).status, 404);
    const xml = await t.request('POST', '/api/v1/videos', { body: '<video/>', headers: { ...owner.auth, 'content-type': 'application/xml' } });
    assert.equal(xml.status, 415);
  });
});
