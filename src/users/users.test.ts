// Users and access groups: who may do what (anonymous, another user, the
// user themself, staff, superuser), and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, login, type TestUser } from '../test-support/users.ts';

describe('users and groups', () => {
  let t: TestApp;
  let root: TestUser, staff: TestUser, alice: TestUser, bob: TestUser;
  const anon = {};
  before(async () => {
    t = await startTestApp();
    root = await createUser(t, 'root', { is_superuser: true, is_staff: true });
    staff = await createUser(t, 'teacher', { is_staff: true, affiliation: 'faculty' });
    alice = await createUser(t, 'alice', { groups: ['L1-INFO'] });
    bob = await createUser(t, 'bob');
  });
  after(() => t.close());

  const as = (u: TestUser | object) => ('auth' in u ? u.auth : {}) as Record<string, string>;

  it('ACL: admin endpoints → anonymous 401, other users and staff 403, superuser 2xx', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { username: 'newbie' }],
      ['GET', `/api/v1/users/${bob.id}`],
      ['PATCH', `/api/v1/users/${bob.id}`, { first_name: 'Robert' }],
      ['POST', '/api/v1/groups', { code_name: 'M2-BIO' }],
      ['PATCH', '/api/v1/groups/L1-INFO', { display_name: 'Licence 1' }],
      ['GET', '/api/v1/groups/L1-INFO/members'],
      ['PUT', '/api/v1/groups/L1-INFO/members', { usernames: ['alice', 'bob'] }],
      ['POST', '/api/v1/groups/L1-INFO/members', { usernames: ['teacher'] }],
      ['DELETE', '/api/v1/groups/L1-INFO/members/teacher'],
    ];
    for (const [method, path, json] of calls) {
      const a = await t.request(method, path, { json, headers: as(anon) });
      assert.equal(a.status, 401, `anonymous ${method} ${path}`);
      assert.equal(a.body.errors[0].code, 'not_authenticated');
      for (const u of [alice, staff]) {
        const r = await t.request(method, path, { json, headers: as(u) });
        assert.equal(r.status, 403, `${u.username} ${method} ${path}`);
        assert.equal(r.body.errors[0].code, 'forbidden');
      }
      const s = await t.request(method, path, { json, headers: as(root) });
      assert.ok(s.status === 200 || s.status === 201, `root ${method} ${path}: ${s.status} ${s.text}`);
    }
    const del = await t.request('DELETE', '/api/v1/groups/M2-BIO', { headers: as(bob) });
    assert.equal(del.status, 403);
    assert.equal((await t.request('DELETE', '/api/v1/groups/M2-BIO', { headers: as(root) })).status, 200);
  });

  it('a user reads their own record by id but not someone else’s', async () => {
    assert.equal((await t.request('GET', `/api/v1/users/${alice.id}`, { headers: as(alice) })).status, 200);
    assert.equal((await t.request('GET', `/api/v1/users/${bob.id}`, { headers: as(alice) })).status, 403);
  });

  it('/users/me edits only profile fields: a privilege field is refused (400 naming it), nothing applied', async () => {
    const refused = await t.request('PATCH', '/api/v1/users/me', {
      headers: as(alice),
      json: { first_name: 'Mallory', accepts_notifications: true, is_superuser: true, is_staff: true, username: 'root2' },
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errors.map((e: any) => [e.code, e.field]).sort(), [['validation_error', 'is_staff'], ['validation_error', 'is_superuser'], ['validation_error', 'username']]);
    assert.equal((await t.request('GET', '/api/v1/users/me', { headers: as(alice) })).body.data.first_name, 'alice', 'nothing applied');
    const res = await t.request('PATCH', '/api/v1/users/me', { headers: as(alice), json: { first_name: 'Alice', accepts_notifications: true } });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.first_name, 'Alice');
    assert.equal(res.body.data.accepts_notifications, true);
    assert.equal(res.body.data.is_superuser, false);
    assert.equal(res.body.data.is_staff, false);
    assert.equal(res.body.data.username, 'alice');
    assert.deepEqual(res.body.data.groups, ['L1-INFO']);
  });

  it('superuser creates a user with a password and groups; the user can log in', async () => {
    const res = await t.request('POST', '/api/v1/users', {
      headers: as(root),
      json: { username: 'carol', password: 'a long password', email: 'carol@univ.example', affiliation: 'student', groups: ['L1-INFO'] },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/api/v1/users/${res.body.data.id}`);
    assert.deepEqual(res.body.data.groups, ['L1-INFO']);
    assert.equal(res.body.data.auth_type, 'local');
    assert.ok(await login(t, 'carol', 'a long password'));
    const dup = await t.request('POST', '/api/v1/users', { headers: as(root), json: { username: 'CAROL' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.errors[0].code, 'username_taken');
    assert.equal(dup.body.errors[0].field, 'username');
  });

  it('list users with filters and cursor pagination', async () => {
    const first = await t.request('GET', '/api/v1/users?limit=2', { headers: as(root) });
    assert.equal(first.status, 200);
    assert.equal(first.body.data.length, 2);
    assert.equal(typeof first.body.meta.next_cursor, 'string');
    const second = await t.request('GET', `/api/v1/users?limit=2&cursor=${first.body.meta.next_cursor}`, { headers: as(root) });
    const ids = [...first.body.data, ...second.body.data].map((u: any) => u.id);
    assert.equal(new Set(ids).size, ids.length, 'pages do not overlap');
    const staffOnly = await t.request('GET', '/api/v1/users?is_staff=true', { headers: as(root) });
    assert.deepEqual(staffOnly.body.data.map((u: any) => u.username).sort(), ['root', 'teacher']);
    const search = await t.request('GET', '/api/v1/users?search=TEACH', { headers: as(root) });
    assert.deepEqual(search.body.data.map((u: any) => u.username), ['teacher']);
    const inGroup = await t.request('GET', '/api/v1/users?group=L1-INFO', { headers: as(root) });
    assert.ok(inGroup.body.data.every((u: any) => u.groups.includes('L1-INFO')));
    const bad = await t.request('GET', '/api/v1/users?cursor=garbage', { headers: as(root) });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].code, 'invalid_cursor');
  });

  it('superuser deactivation ends the user’s sessions; self-demotion is refused', async () => {
    const victim = await createUser(t, 'dave');
    assert.equal((await t.request('PATCH', `/api/v1/users/${victim.id}`, { headers: as(root), json: { is_active: false } })).status, 200);
    assert.equal((await t.request('GET', '/api/v1/users/me', { headers: as(victim) })).status, 401);
    const self = await t.request('PATCH', `/api/v1/users/${root.id}`, { headers: as(root), json: { is_superuser: false } });
    assert.equal(self.status, 400);
    assert.equal(self.body.errors[0].field, 'is_superuser');
    assert.equal((await t.request('DELETE', `/api/v1/users/${root.id}`, { headers: as(root) })).status, 400);
  });

  it('deleting a user who owns videos: 409 user_owns_videos, or ?transfer_to=<username> hands them over first', async () => {
    const leaving = await createUser(t, 'leaving', { is_staff: true });
    const heir = await createUser(t, 'heir', { is_staff: true });
    const live = (await t.request('POST', '/api/v1/videos', { headers: as(leaving), json: { title: 'Kept', additional_owners: ['heir'] } })).body.data;
    const gone = (await t.request('POST', '/api/v1/videos', { headers: as(leaving), json: { title: 'Deleted' } })).body.data;
    assert.equal((await t.request('DELETE', `/api/v1/videos/${gone.slug}`, { headers: as(leaving) })).status, 200);
    const playlist = (await t.request('POST', '/api/v1/playlists', { headers: as(leaving), json: { title: 'Handed over', visibility: 'private', editors: ['heir'] } })).body.data;

    const refused = await t.request('DELETE', `/api/v1/users/${leaving.id}`, { headers: as(root) });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.errors[0].code, 'user_owns_videos');
    assert.equal((await t.request('GET', `/api/v1/users/${leaving.id}`, { headers: as(root) })).status, 200, 'nothing deleted');
    for (const [query, field] of [['transfer_to=nobody', 'query.transfer_to'], ['transfer_to=leaving', 'query.transfer_to']]) {
      const bad = await t.request('DELETE', `/api/v1/users/${leaving.id}?${query}`, { headers: as(root) });
      assert.equal(bad.status, 400, query);
      assert.equal(bad.body.errors[0].field, field);
    }

    const done = await t.request('DELETE', `/api/v1/users/${leaving.id}?transfer_to=heir`, { headers: as(root) });
    assert.equal(done.status, 200, done.text);
    assert.equal((await t.request('GET', `/api/v1/users/${leaving.id}`, { headers: as(root) })).status, 404);
    const video = (await t.request('GET', `/api/v1/videos/${live.slug}`, { headers: as(heir) })).body.data;
    assert.equal(video.owner.username, 'heir');
    assert.deepEqual(video.additional_owners, [], 'the new owner is no longer also an additional owner');
    const deletedRow = await t.app.dbh.db.selectFrom('videos').select('owner_id').where('id', '=', gone.id).executeTakeFirstOrThrow();
    assert.equal(deletedRow.owner_id, heir.id, 'deleted videos awaiting their purge move too');
    const kept = (await t.request('GET', `/api/v1/playlists/${playlist.slug}`, { headers: as(heir) })).body.data;
    assert.deepEqual([kept.owner.username, kept.editors], ['heir', []], 'their playlists move too');
  });

  it('password change needs the current password and signs out other sessions', async () => {
    const erin = await createUser(t, 'erin');
    const other = await login(t, 'erin');
    const wrong = await t.request('POST', '/api/v1/users/me/password', { headers: as(erin), json: { current_password: 'nope', new_password: 'brand new secret' } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errors[0].field, 'current_password');
    const ok = await t.request('POST', '/api/v1/users/me/password', { headers: as(erin), json: { current_password: erin.password, new_password: 'brand new secret' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.sessions_revoked, 1);
    assert.equal((await t.request('GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${other}` } })).status, 401);
    assert.equal((await t.request('GET', '/api/v1/users/me', { headers: as(erin) })).status, 200, 'the current session stays');
    assert.ok(await login(t, 'erin', 'brand new secret'));
  });

  it('groups: any signed-in user lists them; members are managed by name', async () => {
    assert.equal((await t.request('GET', '/api/v1/groups')).status, 401);
    const list = await t.request('GET', '/api/v1/groups', { headers: as(bob) });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.some((g: any) => g.code_name === 'L1-INFO'));
    const put = await t.request('PUT', '/api/v1/groups/L1-INFO/members', { headers: as(root), json: { usernames: ['alice', 'BOB'] } });
    assert.deepEqual(put.body.data.map((m: any) => m.username), ['alice', 'bob']);
    const unknown = await t.request('POST', '/api/v1/groups/L1-INFO/members', { headers: as(root), json: { usernames: ['alice', 'nobody'] } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.errors[0].field, 'usernames.1');
    assert.equal((await t.request('GET', '/api/v1/groups/NOPE', { headers: as(bob) })).status, 404);
    const dup = await t.request('POST', '/api/v1/groups', { headers: as(root), json: { code_name: 'L1-INFO' } });
    assert.equal(dup.status, 409);
  });

  it('bad input → 400 with the field named (wrong types, missing fields, huge values, bad ids)', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/users', {}, 'username'],
      ['POST', '/api/v1/users', { username: 'has space' }, 'username'],
      ['POST', '/api/v1/users', { username: 'x'.repeat(151) }, 'username'],
      ['POST', '/api/v1/users', { username: 'ok', is_staff: 'yes' }, 'is_staff'],
      ['POST', '/api/v1/users', { username: 'ok', email: 'not-an-email' }, 'email'],
      ['POST', '/api/v1/users', { username: 'ok', password: 'short' }, 'password'],
      ['POST', '/api/v1/users', { username: 'ok', groups: ['NOPE'] }, 'groups.0'],
      ['PATCH', `/api/v1/users/${bob.id}`, { first_name: 'x'.repeat(200_000) }, 'first_name'],
      ['PATCH', '/api/v1/users/me', { accepts_notifications: 'true' }, 'accepts_notifications'],
      ['POST', '/api/v1/groups', { code_name: '' }, 'code_name'],
      ['PUT', '/api/v1/groups/L1-INFO/members', { usernames: 'alice' }, 'usernames'],
    ];
    for (const [method, path, json, field] of cases) {
      const res = await t.request(method, path, { json, headers: as(root) });
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(json).slice(0, 50)}: ${res.text.slice(0, 200)}`);
      assert.ok(res.body.errors.some((e: any) => e.field === field), `${method} ${path} names ${field}: ${res.text.slice(0, 200)}`);
    }
    // A 10 MB username is a validation error naming the field, not a 413.
    const tenMb = 'u'.repeat(10 * 1024 * 1024);
    for (const [method, path, json, field] of [
      ['POST', '/api/v1/users', { username: tenMb }, 'username'],
      ['PATCH', `/api/v1/users/${bob.id}`, { username: tenMb }, 'username'],
      ['PUT', '/api/v1/groups/L1-INFO/members', { usernames: [tenMb] }, 'usernames.0'],
      ['POST', '/api/v1/groups', { code_name: tenMb }, 'code_name'],
    ] as const) {
      const res = await t.request(method, path, { json, headers: as(root) });
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.ok(res.body.errors.some((e: any) => e.field === field), `${method} ${path} names ${field}`);
    }
    for (const id of ['abc', '0', '99999999999999999999']) {
      const res = await t.request('GET', `/api/v1/users/${id}`, { headers: as(root) });
      assert.equal(res.status, 400, id);
      assert.equal(res.body.errors[0].field, 'path.id');
    }
    assert.equal((await t.request('GET', '/api/v1/users/424242', { headers: as(root) })).status, 404);
    const wrongType = await t.request('POST', '/api/v1/users', { body: '<user/>', headers: { ...as(root), 'content-type': 'application/xml' } });
    assert.equal(wrongType.status, 415);
  });
});
