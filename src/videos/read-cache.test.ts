// The read cache (listings, detail, player config, session principals) is
// exact: every kind of write that changes what an answer shows is followed by
// a read that shows it — on both engines, and (PostgreSQL) on another API node
// within the freshness goal. One viewer's cached answer is never another's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { createTestDatabase, startTestApp, TEST_POSTGRES_URL, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

const VTT = 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nBonjour\n';

describe('read cache: every write shows at once', () => {
  let t: TestApp;
  let owner: TestUser;
  let member: TestUser;
  let root: TestUser;
  let slug: string;
  let id: number;
  const get = (path: string, user?: TestUser) => t.request('GET', path, user ? { headers: user.auth } : {});
  const detail = (user?: TestUser) => get(`/api/v1/videos/${slug}`, user);
  const config = (user?: TestUser) => get(`/api/v1/videos/${slug}/config`, user);
  const firstPage = async (user?: TestUser) => (await get('/api/v1/videos?limit=50', user)).body.data as any[];
  /** Reads that fill the cache, before each write (what is checked after must have been cached). */
  const prime = async () => {
    for (const u of [undefined, owner, member]) {
      await detail(u);
      await config(u);
      await firstPage(u);
    }
  };
  const write = (method: string, path: string, json: unknown, user = owner) => t.request(method, path, { headers: user.auth, json });

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t, 'owner', { is_staff: true });
    member = await createUser(t, 'member');
    root = await createUser(t, 'root', { is_superuser: true });
    await write('POST', '/api/v1/groups', { code_name: 'L3', display_name: 'L3' }, root);
    await write('POST', '/api/v1/channels', { title: 'Sciences', owners: ['owner'] }, root);
    const made = await write('POST', '/api/v1/videos', { title: 'Cours 1', is_draft: false, channels: ['sciences'] });
    ({ slug, id } = made.body.data);
    await markEncoded(t, id);
  });
  after(() => t.close());

  it('answers repeated reads from the cache (so the checks below test invalidation)', async () => {
    // On PostgreSQL the set-up's last notifications arrive asynchronously: one landing during a
    // prime empties the cache again (6 hits instead of 9 once, in a loaded CI run). A prime that no
    // late notification disturbs must answer all 9 reads from the cache.
    let hits = 0;
    for (let attempt = 0; attempt < 5 && hits < 9; attempt++) {
      await prime();
      const before = t.app.readCache.stats.hits;
      await prime();
      hits = t.app.readCache.stats.hits - before;
    }
    assert.ok(hits >= 9, `${hits} hits`);
  });

  it('a title change: detail, listing and player config', async () => {
    await prime();
    assert.equal((await write('PATCH', `/api/v1/videos/${slug}`, { title: 'Cours 1 (revu)' })).status, 200);
    assert.equal((await detail()).body.data.title, 'Cours 1 (revu)');
    assert.equal((await config(member)).body.data.video.title, 'Cours 1 (revu)');
    assert.ok((await firstPage()).some((v) => v.title === 'Cours 1 (revu)'));
  });

  it('access changes: draft, restricted, group-restricted; and a group joined', async () => {
    await prime();
    await write('PATCH', `/api/v1/videos/${slug}`, { is_draft: true });
    assert.equal((await detail()).status, 404);
    assert.equal((await config(member)).status, 404);
    assert.ok(!(await firstPage()).some((v) => v.id === id));
    assert.equal((await detail(owner)).status, 200, 'the owner still sees the draft');

    await write('PATCH', `/api/v1/videos/${slug}`, { is_draft: false, is_restricted: true, restrict_access_to_groups: ['L3'] });
    assert.equal((await detail()).status, 404);
    assert.equal((await detail(member)).status, 404, 'not in L3 yet');
    await prime();
    assert.equal((await write('PUT', '/api/v1/groups/L3/members', { usernames: ['member'] }, root)).status, 200);
    assert.equal((await detail(member)).status, 200, 'a member of L3 now');
    assert.ok((await firstPage(member)).some((v) => v.id === id));

    await write('PATCH', `/api/v1/videos/${slug}`, { is_restricted: false, restrict_access_to_groups: [] });
    assert.equal((await detail()).status, 200);
  });

  it('a password: the detail says locked, the config asks for it', async () => {
    await prime();
    await write('PATCH', `/api/v1/videos/${slug}`, { password: 'secret-42' });
    assert.equal((await detail(member)).body.data.is_locked, true);
    assert.equal((await config(member)).body.errors[0].code, 'password_required');
    await write('PATCH', `/api/v1/videos/${slug}`, { password: null });
    assert.equal((await config(member)).status, 200);
  });

  it('related rows: channel and owner names, tracks, chapters, encoding state', async () => {
    await prime();
    await write('PATCH', '/api/v1/channels/sciences', { title: 'Sciences exactes' }, root);
    assert.equal((await detail()).body.data.channels[0].title, 'Sciences exactes');
    await write('PATCH', '/api/v1/users/me', { first_name: 'Jeanne' });
    assert.equal((await detail()).body.data.owner.first_name, 'Jeanne');
    assert.equal((await firstPage()).find((v) => v.id === id).owner.first_name, 'Jeanne');

    await prime();
    assert.equal((await write('POST', `/api/v1/videos/${slug}/tracks`, { lang: 'fr', content: VTT })).status, 201);
    assert.equal((await config()).body.data.tracks.length, 1);
    assert.equal((await write('POST', `/api/v1/videos/${slug}/chapters`, { title: 'Intro', time_start: 1 })).status, 201);
    assert.deepEqual((await config()).body.data.chapters.map((c: any) => c.title), ['Intro']);

    // A write that is not an HTTP request of this app (the encoder's callback, a worker): straight to the database.
    await prime();
    await t.app.dbh.db.updateTable('videos').set({ encoding_status: 'processing', encoding_progress: 42 }).where('id', '=', id).execute();
    assert.deepEqual((await detail()).body.data.encoding, { status: 'processing', progress: 42, error: null });
    await t.app.dbh.db.updateTable('videos').set({ encoding_status: 'ready', encoding_progress: 100 }).where('id', '=', id).execute();
  });

  it('sessions: a signed-out token, a disabled account are refused at once', async () => {
    const session = await createUser(t, 'leaving');
    assert.equal((await get('/api/v1/users/me', session)).status, 200);
    assert.equal((await get('/api/v1/users/me', session)).status, 200); // cached principal
    assert.equal((await t.request('POST', '/api/v1/auth/logout', { headers: session.auth })).status, 200);
    assert.equal((await get('/api/v1/users/me', session)).status, 401);

    const disabled = await createUser(t, 'disabled');
    assert.equal((await get('/api/v1/users/me', disabled)).status, 200);
    assert.equal((await write('PATCH', `/api/v1/users/${disabled.id}`, { is_active: false }, root)).status, 200);
    assert.equal((await get('/api/v1/users/me', disabled)).status, 401);
  });

  it('one viewer\'s cached answer is never another\'s', async () => {
    await prime();
    assert.equal((await detail(owner)).body.data.can_edit, true);
    assert.equal((await detail(member)).body.data.can_edit, false);
    assert.equal((await detail()).body.data.can_edit, false);
    assert.equal((await detail(owner)).body.data.encoding.log, null, 'editors see the log field');
    assert.equal('log' in (await detail()).body.data.encoding, false);
  });

  it('a deleted video is gone from every answer', async () => {
    await prime();
    assert.equal((await t.request('DELETE', `/api/v1/videos/${slug}`, { headers: owner.auth })).status, 200);
    assert.equal((await detail(owner)).status, 404);
    assert.equal((await config()).status, 404);
    assert.ok(!(await firstPage(owner)).some((v) => v.id === id));
  });
});

describe('read cache bounds', () => {
  it('keeps at most READ_CACHE_ENTRIES answers, the least recently used going first, and counts their bytes', async () => {
    const t = await startTestApp({ env: { READ_CACHE_ENTRIES: '3' } });
    try {
      for (let limit = 1; limit <= 10; limit++) assert.equal((await t.request('GET', `/api/v1/videos?limit=${limit}`)).status, 200);
      assert.equal(t.app.readCache.stats.entries, 3);
      const bytes = t.app.readCache.stats.bytes;
      assert.ok(bytes > 3 * 200 && bytes < 3 * 4096, `${bytes} bytes for 3 small answers`);
      const hits = t.app.readCache.stats.hits;
      await t.request('GET', '/api/v1/videos?limit=10'); // still held
      await t.request('GET', '/api/v1/videos?limit=1'); // evicted long ago
      assert.equal(t.app.readCache.stats.hits, hits + 1);
    } finally {
      await t.close();
    }
  });
});

describe('read cache across API nodes (PostgreSQL)', { skip: !TEST_POSTGRES_URL && 'needs PostgreSQL (NOTIFY between processes)' }, () => {
  let a: TestApp;
  let b: TestApp;
  let drop: () => Promise<void>;
  before(async () => {
    const db = await createTestDatabase(TEST_POSTGRES_URL!);
    drop = db.drop;
    a = await startTestApp({ env: { DATABASE_URL: db.url } });
    b = await startTestApp({ env: { DATABASE_URL: db.url } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it('a write through one node shows on the other within a second', async () => {
    const owner = await createUser(a, 'owner', { is_staff: true });
    const made = await a.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Avant', is_draft: false } });
    await markEncoded(a, made.body.data.id); // anonymous viewers see ready videos only
    const path = `/api/v1/videos/${made.body.data.slug}`;
    assert.equal((await b.request('GET', path)).body.data.title, 'Avant');
    assert.equal((await b.request('GET', path)).body.data.title, 'Avant'); // now cached on b
    await a.request('PATCH', path, { headers: owner.auth, json: { title: 'Après' } });
    const t0 = Date.now();
    let title = '';
    while (Date.now() - t0 < 1000 && title !== 'Après') title = (await b.request('GET', path)).body.data.title;
    assert.equal(title, 'Après', 'not visible on the other node within 1 s');
    await a.request('PATCH', path, { headers: owner.auth, json: { is_draft: true } });
    const t1 = Date.now();
    let status = 200;
    while (Date.now() - t1 < 1000 && status !== 404) status = (await b.request('GET', path)).status;
    assert.equal(status, 404);
  });
});
