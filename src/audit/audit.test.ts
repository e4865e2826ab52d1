// The audit trail: a row for every listed action, written in the change's
// own transaction (none when it rolls back), readable by superusers only,
// filtered and paged; passwords never in it; old rows dropped by the sweep.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, TEST_PASSWORD, type TestUser } from '../test-support/users.ts';

let now = new Date();

describe('audit trail', () => {
  let t: TestApp;
  let root: TestUser, manager: TestUser, owner: TestUser, other: TestUser;
  const trail = async (query = '') => {
    const res = await t.request('GET', `/api/v1/audit?limit=100${query ? `&${query}` : ''}`, { headers: root.auth });
    assert.equal(res.status, 200, res.text);
    return res.body.data as any[];
  };
  const count = async (query: string) => (await trail(query)).length;

  before(async () => {
    t = await startTestApp({ build: { now: () => now } });
    root = await createUser(t, 'root', { is_superuser: true });
    manager = await createUser(t, 'manager', { is_manager: true });
    owner = await createUser(t, 'owner', { is_staff: true });
    other = await createUser(t, 'other');
  });
  after(() => t.close());

  it('failed sign-ins: who was tried, why, from where; never the password', async () => {
    const wrong = await t.request('POST', '/api/v1/auth/token', { json: { username: 'owner', password: 'not-the-password' } });
    assert.equal(wrong.status, 401);
    await t.request('POST', '/api/v1/auth/session', { json: { username: 'ghost', password: 'whatever-it-is' } });
    const rows = await trail('action=auth.sign_in_failed');
    assert.equal(rows.length, 2);
    assert.deepEqual([rows[1].target_type, rows[1].target_id, rows[1].details], ['user', String(owner.id), { username: 'owner', reason: 'wrong_password' }]);
    assert.deepEqual([rows[0].target_type, rows[0].details], ['', { username: 'ghost', reason: 'unknown_user' }]);
    assert.equal(rows[0].actor, null);
    assert.equal(rows[0].ip, '127.0.0.1');
    assert.ok(rows[0].request_id.length > 0);
    assert.equal((await t.request('POST', '/api/v1/auth/token', { json: { username: 'owner', password: TEST_PASSWORD } })).status, 200);
    assert.equal(await count('action=auth.sign_in_failed'), 2, 'a successful sign-in is not a failure');
  });

  it('accounts and groups: creation, role changes, edits, membership, deletion — each with who did it', async () => {
    const created = await t.request('POST', '/api/v1/users', { headers: root.auth, json: { username: 'newbie', password: 'secret-pass-123', email: 'n@univ.example' } });
    assert.equal(created.status, 201);
    const id = created.body.data.id;
    await t.request('PATCH', `/api/v1/users/${id}`, { headers: root.auth, json: { is_staff: true, is_manager: true } });
    await t.request('PATCH', `/api/v1/users/${id}`, { headers: root.auth, json: { email: 'new@univ.example', password: 'another-pass-456' } });
    await t.request('POST', '/api/v1/groups', { headers: root.auth, json: { code_name: 'l3-info', display_name: 'L3' } });
    await t.request('PATCH', '/api/v1/groups/l3-info', { headers: root.auth, json: { display_name: 'L3 informatique' } });
    await t.request('PUT', '/api/v1/groups/l3-info/members', { headers: root.auth, json: { usernames: ['newbie', 'other'] } });
    await t.request('POST', '/api/v1/groups/l3-info/members', { headers: root.auth, json: { usernames: ['owner'] } });
    await t.request('DELETE', '/api/v1/groups/l3-info/members/other', { headers: root.auth });
    await t.request('DELETE', '/api/v1/groups/l3-info', { headers: root.auth });
    assert.equal((await t.request('DELETE', `/api/v1/users/${id}`, { headers: root.auth })).status, 200);

    const about = await trail(`target_type=user&target_id=${id}`);
    assert.deepEqual(about.map((r) => r.action), ['user.deleted', 'user.updated', 'user.roles_changed', 'user.created']);
    assert.deepEqual(about[2].details, { is_staff: [false, true], is_manager: [false, true] });
    assert.deepEqual(about[1].details, { email: ['n@univ.example', 'new@univ.example'], password: ['…', 'changed'] });
    assert.ok(about.every((r) => r.actor.username === 'root'));
    const groups = await trail('target_type=group');
    assert.deepEqual(groups.map((r) => r.action), ['group.deleted', 'group.members_changed', 'group.members_changed', 'group.members_changed', 'group.updated', 'group.created']);
    assert.deepEqual(groups[3].details.replaced_by, ['newbie', 'other']);
    assert.deepEqual(groups[1].details.removed, ['other']);
    const everything = JSON.stringify(await trail());
    for (const secret of ['secret-pass-123', 'another-pass-456', 'not-the-password', TEST_PASSWORD]) assert.ok(!everything.includes(secret), 'no password in the trail');
  });

  it('videos: ACL changes, ownership transfer, private links, deletion, moderation — "who changed this video"', async () => {
    const v = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Audited' } })).body.data;
    await markEncoded(t, v.id);
    await t.request('POST', '/api/v1/groups', { headers: root.auth, json: { code_name: 'm1' } });
    await t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: owner.auth, json: { is_draft: false, password: 'open sesame', title: 'Renamed' } });
    await t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: owner.auth, json: { password: 'another one', restrict_access_to_groups: ['m1'] } });
    await t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: owner.auth, json: { title: 'Only the title' } });
    const link = await t.request('POST', `/api/v1/videos/${v.id}/access-tokens`, { headers: owner.auth, json: { name: 'jury' } });
    await t.request('DELETE', `/api/v1/videos/${v.id}/access-tokens/${link.body.data.id}`, { headers: owner.auth });
    await t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: owner.auth, json: { password: null, restrict_access_to_groups: [], is_restricted: false } });
    const comment = await t.request('POST', `/api/v1/videos/${v.id}/comments`, { headers: other.auth, json: { content: 'Spam spam' } });
    assert.equal(comment.status, 201, comment.text);
    await t.request('DELETE', `/api/v1/videos/${v.id}/comments/${comment.body.data.id}`, { headers: owner.auth });
    const mine = await t.request('POST', `/api/v1/videos/${v.id}/comments`, { headers: other.auth, json: { content: 'My own words' } });
    await t.request('DELETE', `/api/v1/videos/${v.id}/comments/${mine.body.data.id}`, { headers: other.auth });
    await t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: manager.auth, json: { owner: 'other' } });
    await t.request('DELETE', `/api/v1/videos/${v.id}`, { headers: manager.auth });

    const rows = await trail(`target_type=video&target_id=${v.id}`);
    assert.deepEqual(rows.map((r) => `${r.action} by ${r.actor.username}`), [
      'video.deleted by manager', 'video.owner_changed by manager', 'video.acl_changed by owner', 'video.private_link_revoked by owner',
      'video.private_link_created by owner', 'video.acl_changed by owner', 'video.acl_changed by owner',
    ], 'a title-only edit is not an ACL change');
    assert.deepEqual(rows[6].details, { is_draft: [true, false], password: ['none', 'set'] });
    assert.deepEqual(rows[5].details, { password: ['set', 'changed'], restrict_access_to_groups: [[], ['m1']], is_restricted: [false, true] });
    assert.deepEqual(rows[2].details, { is_restricted: [true, false], password: ['set', 'none'], restrict_access_to_groups: [['m1'], []] });
    assert.deepEqual(rows[1].details, { owner: ['owner', 'other'] });
    assert.equal(rows[4].details.name, 'jury');
    assert.ok(!JSON.stringify(rows).includes('open sesame') && !JSON.stringify(rows).includes(link.body.data.token));
    const moderation = await trail('action=comment.deleted');
    assert.equal(moderation.length, 1, 'an author deleting their own comment is not moderation');
    assert.deepEqual([moderation[0].actor.username, moderation[0].target_id, moderation[0].details.author_id], ['owner', String(comment.body.data.id), other.id]);
  });

  it('a change that fails leaves no audit row (same transaction)', async () => {
    const v = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Rollback' } })).body.data;
    const before = await count(`target_type=video&target_id=${v.id}`);
    // The ACL change is applied, then an unknown channel fails the request: all of it rolls back.
    const res = await t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: owner.auth, json: { is_draft: false, password: 'pw', channels: ['no-such-channel'] } });
    assert.equal(res.status, 400);
    assert.equal((await t.request('GET', `/api/v1/videos/${v.id}`, { headers: owner.auth })).body.data.is_draft, true);
    assert.equal(await count(`target_type=video&target_id=${v.id}`), before);
    // A role change with a username already taken: 409, no role change, no row.
    const roles = await count(`target_type=user&target_id=${other.id}`);
    assert.equal((await t.request('PATCH', `/api/v1/users/${other.id}`, { headers: root.auth, json: { is_staff: true, username: 'owner' } })).status, 409);
    assert.equal(await count(`target_type=user&target_id=${other.id}`), roles);
    // Deleting someone who owns videos, without saying what becomes of them: 409, no row.
    assert.equal((await t.request('DELETE', `/api/v1/users/${owner.id}`, { headers: root.auth })).status, 409);
    assert.equal(await count('action=user.deleted&target_id=' + owner.id), 0);
  });

  it('GET /audit: superusers only; filters; cursor pages without gaps; bad input → 400 with a code', async () => {
    assert.equal((await t.request('GET', '/api/v1/audit')).status, 401);
    for (const who of [owner, manager, other]) {
      const res = await t.request('GET', '/api/v1/audit', { headers: who.auth });
      assert.equal(res.status, 403);
      assert.equal(res.body.errors[0].code, 'forbidden');
    }
    const all = await trail();
    const seen: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res: { body: any } = await t.request('GET', `/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { headers: root.auth });
      seen.push(...res.body.data.map((r: any) => r.id));
      cursor = res.body.meta.next_cursor;
    }
    assert.deepEqual(seen, all.map((r) => r.id));
    assert.ok(all.every((r, i) => i === 0 || r.id < all[i - 1].id), 'newest first');
    assert.ok((await trail(`actor_id=${manager.id}`)).every((r) => r.actor.id === manager.id));
    const since = new Date(Date.now() + 60_000).toISOString();
    assert.equal(await count(`since=${encodeURIComponent(since)}`), 0);
    assert.equal(await count(`until=${encodeURIComponent(since)}`), all.length);
    for (const [q, code] of [
      ['action=video.watched', 'validation_error'], ['limit=0', 'validation_error'], ['limit=101', 'validation_error'], ['actor_id=abc', 'validation_error'],
      ['since=yesterday', 'validation_error'], ['target_type=planet', 'validation_error'], ['cursor=bm9wZQ', 'invalid_cursor'],
      [`target_id=${'x'.repeat(101)}`, 'validation_error'], ['since=2027-01-02T00:00:00Z&until=2027-01-01T00:00:00Z', 'invalid_date_range'],
    ]) {
      const res = await t.request('GET', `/api/v1/audit?${q}`, { headers: root.auth });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.errors[0].code, code, q);
    }
  });

  it('rows older than AUDIT_RETENTION_DAYS (400) go at the next sweep', async () => {
    const total = (await trail()).length;
    now = new Date(Date.now() + 399 * 86_400_000);
    assert.equal((await t.app.maintenance.retentionSweep()).audit_rows_pruned, 0);
    now = new Date(Date.now() + 401 * 86_400_000);
    assert.equal((await t.app.maintenance.retentionSweep()).audit_rows_pruned, total);
    assert.equal((await trail()).length, 0);
  });
});
