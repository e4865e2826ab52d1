// Personal data: the export holds all of a user's data and nothing of
// anyone else's, its media links work; erasure hands videos over or deletes
// them, and takes what was only theirs with the account.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

describe('personal data: export and erasure', () => {
  let t: TestApp;
  let alice: TestUser, bob: TestUser, carol: TestUser, root: TestUser, dormant: TestUser;
  let draft: { id: number; slug: string }, shared: { id: number; slug: string }, bobs: { id: number; slug: string };
  const as = (u: TestUser) => ({ headers: u.auth });

  before(async () => {
    t = await startTestApp();
    alice = await createUser(t, 'alice', { is_staff: true });
    bob = await createUser(t, 'bob');
    carol = await createUser(t, 'carol');
    root = await createUser(t, 'root', { is_superuser: true });
    dormant = await createUser(t, 'dormant', { is_active: false });
    const make = async (who: TestUser, json: Record<string, unknown>) => {
      const v = (await t.request('POST', '/api/v1/videos', { ...as(who), json })).body.data;
      await markEncoded(t, v.id);
      return v;
    };
    draft = await make(alice, { title: 'Alice draft' });
    shared = await make(alice, { title: 'Alice public', is_draft: false, additional_owners: ['bob'] });
    bobs = await make(bob, { title: 'Bob public', is_draft: false });
    // Long enough to have a resume position (the fixture's 8 s count as finished at once).
    await t.app.dbh.db.updateTable('videos').set({ duration: 600 }).where('id', '=', bobs.id).execute();
    // Alice's own traces…
    assert.equal((await t.request('POST', `/api/v1/videos/${bobs.id}/comments`, { ...as(alice), json: { content: 'Alice says hi' } })).status, 201);
    assert.equal((await t.request('POST', `/api/v1/videos/${bobs.id}/notes`, { ...as(alice), json: { note: 'Alice private note', time_start: 3 } })).status, 201);
    assert.equal((await t.request('PUT', `/api/v1/videos/${bobs.id}/position`, { ...as(alice), json: { position: 42 } })).status, 200);
    assert.equal((await t.request('POST', '/api/v1/favorites', { ...as(alice), json: { video: String(bobs.id) } })).status, 201);
    assert.equal((await t.request('POST', `/api/v1/videos/${draft.id}/access-tokens`, { ...as(alice), json: { name: 'for the jury' } })).status, 201);
    // …and Bob's, on Alice's video: not hers to export.
    assert.equal((await t.request('POST', `/api/v1/videos/${shared.id}/comments`, { ...as(bob), json: { content: 'Bob was here' } })).status, 201);
    assert.equal((await t.request('POST', `/api/v1/videos/${shared.id}/notes`, { ...as(bob), json: { note: 'Bob public note', is_public: true } })).status, 201);
  });
  after(() => t.close());

  it('GET /users/me/export: all of mine, with working signed media links; nothing of anyone else', async () => {
    const res = await t.request('GET', '/api/v1/users/me/export', as(alice));
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="pod-export-alice\.json"/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const data = res.body.data;
    assert.equal(data.user.username, 'alice');
    assert.equal(data.user.email, 'alice@univ.example');
    assert.deepEqual(data.videos.map((v: any) => v.title), ['Alice draft', 'Alice public']);
    assert.deepEqual(data.co_owned_videos, []);
    assert.deepEqual(data.comments.map((c: any) => c.text), ['Alice says hi']);
    assert.deepEqual(data.notes.map((n: any) => [n.text, n.time_start]), [['Alice private note', 3]]);
    assert.deepEqual(data.positions.map((p: any) => [p.video_id, p.position_s]), [[bobs.id, 42]]);
    assert.deepEqual(data.playlists.map((p: any) => [p.is_favorites, p.video_ids]), [[true, [bobs.id]]]);
    assert.deepEqual(data.private_links.map((l: any) => l.name), ['for the jury']);
    assert.ok(data.sessions.length >= 1);
    // The draft's media, signed: they play for whoever holds the export, for MEDIA_URL_TTL_S.
    const mp4 = data.videos[0].media.mp4[0].url as string;
    assert.match(mp4, /\/media\/t\/\d+\.\d+\.[\w-]+\/encodings\/\d+\/360p\.mp4$/);
    const file = await fetch(mp4);
    assert.equal(file.status, 200);
    assert.equal((await file.arrayBuffer()).byteLength, 2048);
    assert.ok(data.videos[0].media.hls && data.videos[0].media.poster);
    // Isolation: no other person's name, address, comment or note.
    const text = JSON.stringify(data);
    for (const foreign of ['bob', 'Bob was here', 'Bob public note', 'carol', 'root']) assert.ok(!text.includes(foreign), `export holds ${foreign}`);
    // Bob's export has his, not Alice's: he co-owns her video, and sees only its id, slug and title.
    const his = (await t.request('GET', '/api/v1/users/me/export', as(bob))).body.data;
    assert.deepEqual(his.co_owned_videos.map((v: any) => v.id), [shared.id]);
    assert.deepEqual(his.comments.map((c: any) => c.text), ['Bob was here']);
    assert.ok(!JSON.stringify(his).includes('Alice says hi') && !JSON.stringify(his).includes('alice@'));
    // The export itself is on the record (user.data_exported), and anonymous callers get nothing.
    assert.equal((await t.request('GET', '/api/v1/users/me/export')).status, 401);
    const trail = await t.request('GET', `/api/v1/audit?action=user.data_exported&actor_id=${alice.id}`, as(root));
    assert.equal(trail.body.data.length, 1);
  });

  it('DELETE /users/me: confirmed by username; videos handed over (transfer_to) or deleted (delete_videos); what was only theirs goes', async () => {
    const del = (who: TestUser, q: string) => t.request('DELETE', `/api/v1/users/me?${q}`, as(who));
    for (const [q, status, code] of [
      ['', 400, 'validation_error'], ['confirm=bob', 400, 'validation_error'], ['confirm=alice', 409, 'user_owns_videos'],
      ['confirm=alice&transfer_to=carol&delete_videos=true', 400, 'invalid_transfer'], ['confirm=alice&transfer_to=nobody', 400, 'validation_error'],
      ['confirm=alice&transfer_to=alice', 400, 'invalid_transfer'], ['confirm=alice&transfer_to=dormant', 400, 'invalid_transfer'],
      ['confirm=alice&delete_videos=maybe', 400, 'validation_error'], [`confirm=${'a'.repeat(151)}`, 400, 'validation_error'],
    ] as const) {
      const res = await del(alice, q);
      assert.equal(res.status, status, q);
      assert.equal(res.body.errors[0].code, code, q);
    }
    assert.equal((await t.request('DELETE', '/api/v1/users/me?confirm=x')).status, 401);
    assert.equal((await del(root, 'confirm=root')).body.errors[0].code, 'forbidden_self_change', 'superusers are erased by another one');

    const gone = await del(alice, 'confirm=ALICE&transfer_to=carol');
    assert.equal(gone.status, 200, gone.text);
    assert.deepEqual(gone.body.data, { videos_transferred: 2, videos_deleted: 0 });
    assert.equal((await t.request('GET', '/api/v1/users/me', as(alice))).status, 401, 'signed out for good');
    assert.equal((await t.request('GET', `/api/v1/videos/${draft.id}`, as(carol))).body.data.owner.username, 'carol');
    const comments = await t.request('GET', `/api/v1/videos/${bobs.id}/comments`, as(bob));
    assert.deepEqual(comments.body.data.map((c: any) => c.content), [], 'her comment went with her');
    const record = (await t.request('GET', `/api/v1/audit?action=user.deleted&target_id=${alice.id}`, as(root))).body.data[0];
    assert.deepEqual([record.actor.username, record.details.by_self, record.details.transfer_to], ['alice', true, 'carol']);

    const erased = await del(bob, 'confirm=bob&delete_videos=true');
    assert.deepEqual(erased.body.data, { videos_transferred: 0, videos_deleted: 1 });
    assert.equal((await t.request('GET', `/api/v1/videos/${bobs.id}`, as(root))).status, 404, 'his video is deleted');
    const row = await t.app.dbh.db.selectFrom('videos').select(['owner_id', 'deleted_at']).where('id', '=', bobs.id).executeTakeFirstOrThrow();
    assert.equal(row.owner_id, null, 'kept ownerless until purged (its slug is never reused)');
    assert.ok(row.deleted_at);
    assert.equal((await t.app.jobs.boss.findJobs('video-purge', { data: { video_id: bobs.id } })).length, 1);
    // Co-ownership of Carol's (formerly Alice's) video went with him.
    assert.deepEqual((await t.request('GET', `/api/v1/videos/${shared.id}`, as(carol))).body.data.additional_owners, []);
  });

  it('DELETE /users/{id} (superusers): delete_videos erases an account with its videos; others get 403', async () => {
    const dan = await createUser(t, 'dan', { is_staff: true });
    const v = (await t.request('POST', '/api/v1/videos', { ...as(dan), json: { title: 'Dan' } })).body.data;
    assert.equal((await t.request('DELETE', `/api/v1/users/${dan.id}?delete_videos=true`, as(carol))).status, 403);
    assert.equal((await t.request('DELETE', `/api/v1/users/${dan.id}?delete_videos=true`)).status, 401);
    const res = await t.request('DELETE', `/api/v1/users/${dan.id}?delete_videos=true`, as(root));
    assert.deepEqual(res.body.data, { videos_transferred: 0, videos_deleted: 1 });
    assert.equal((await t.request('GET', `/api/v1/videos/${v.id}`, as(root))).status, 404);
  });
});
