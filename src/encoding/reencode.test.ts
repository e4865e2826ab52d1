// Re-encoding from the current source: editors only, from ready or error,
// never twice at once; a new durable job, the state back to queued.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QUEUES } from '../core/jobs.ts';
import { wavBuffer } from '../test-support/media.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

describe('re-encode', () => {
  let t: TestApp;
  let owner: TestUser, coowner: TestUser, stranger: TestUser, root: TestUser;
  let slug: string, id: number;
  before(async () => {
    t = await startTestApp();
    owner = await createUser(t, 'owner', { is_staff: true });
    coowner = await createUser(t, 'coowner');
    stranger = await createUser(t, 'stranger', { is_staff: true });
    root = await createUser(t, 'root', { is_superuser: true });
    const done = await tusUpload(t, wavBuffer(64 * 1024), { headers: owner.auth, metadata: { filename: 'cours.wav', title: 'Cours' } });
    assert.equal(done.status, 204, done.body);
    slug = done.headers['x-video-slug']!;
    id = Number(done.headers['x-video-id']);
    await t.request('PATCH', `/api/v1/videos/${slug}`, { headers: owner.auth, json: { additional_owners: ['coowner'], is_draft: false } });
  });
  after(() => t.close());

  const encode = (auth: Record<string, string> = owner.auth) => t.request('POST', `/api/v1/videos/${slug}/encode`, { headers: auth });
  const setStatus = (status: 'ready' | 'error') => t.app.dbh.db.updateTable('videos')
    .set({ encoding_status: status, ready_at: new Date(), encoding_error_code: status === 'error' ? 'ffmpeg_failed' : null, encoding_error_message: status === 'error' ? 'boom' : null })
    .where('id', '=', id).execute();
  const jobs = async () => (await t.app.jobs.boss.findJobs(QUEUES.videoEncode, { data: { video_id: id } })).length;

  it('refuses while a job is queued; from error: a new job and queued again', async () => {
    const busy = await encode();
    assert.deepEqual([busy.status, busy.body.errors[0].code], [409, 'encoding_in_progress']);
    assert.equal(await jobs(), 1);
    await setStatus('error');
    const res = await encode();
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body.data, { status: 'queued', progress: null, error: null });
    assert.equal(await jobs(), 2);
    const video = await t.request('GET', `/api/v1/videos/${slug}`, { headers: owner.auth });
    assert.deepEqual(video.body.data.encoding, { status: 'queued', progress: null, error: null, log: null });
  });

  it('ACL: anonymous 401, other users 403 (a published video they see); co-owner and superuser allowed (from ready)', async () => {
    await setStatus('ready');
    assert.equal((await t.request('POST', `/api/v1/videos/${slug}/encode`)).status, 401);
    const other = await encode(stranger.auth);
    assert.deepEqual([other.status, other.body.errors[0].code], [403, 'forbidden']);
    assert.equal((await encode(coowner.auth)).status, 202);
    await setStatus('ready');
    assert.equal((await encode(root.auth)).status, 202);
  });

  it('bad input: no source 409 no_source, unknown video 404, malformed ref 400', async () => {
    const empty = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Empty' } })).body.data;
    const none = await t.request('POST', `/api/v1/videos/${empty.slug}/encode`, { headers: owner.auth });
    assert.deepEqual([none.status, none.body.errors[0].code], [409, 'no_source']);
    assert.equal((await t.request('POST', '/api/v1/videos/999999/encode', { headers: owner.auth })).status, 404);
    assert.equal((await t.request('POST', '/api/v1/videos/bad%20ref/encode', { headers: owner.auth })).status, 400);
  });
});

describe('encoding jobs listing', () => {
  let t: TestApp;
  let owner: TestUser, manager: TestUser, root: TestUser;
  const slugs: string[] = [];
  before(async () => {
    t = await startTestApp();
    owner = await createUser(t, 'owner', { is_staff: true });
    manager = await createUser(t, 'manager', { is_manager: true });
    root = await createUser(t, 'root', { is_superuser: true });
    for (const title of ['First', 'Second']) {
      const done = await tusUpload(t, wavBuffer(64 * 1024), { headers: owner.auth, metadata: { filename: 'cours.wav', title } });
      slugs.push(done.headers['x-video-slug']!);
    }
    await t.app.dbh.db.updateTable('videos').set({ encoding_status: 'error', encoding_error_code: 'ffmpeg_failed', encoding_error_message: 'boom' })
      .where('slug', '=', slugs[0]!).execute();
  });
  after(() => t.close());

  it('managers and superusers see every job, newest first, filtered and paginated; a failed one can be retried', async () => {
    for (const who of [manager, root]) {
      const res = await t.request('GET', '/api/v1/encoding/jobs', { headers: who.auth });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.map((j: any) => [j.video.title, j.status, j.video.owner]), [['Second', 'queued', 'owner'], ['First', 'error', 'owner']]);
      assert.equal(res.body.data[0].max_attempts, 3);
      assert.equal(res.body.data[0].encoder, null);
    }
    const failed = await t.request('GET', '/api/v1/encoding/jobs?status=error', { headers: manager.auth });
    assert.deepEqual(failed.body.data.map((j: any) => [j.video.slug, j.error]), [[slugs[0], { code: 'ffmpeg_failed', message: 'boom' }]]);
    const page1 = await t.request('GET', '/api/v1/encoding/jobs?limit=1', { headers: manager.auth });
    assert.equal(page1.body.data.length, 1);
    const page2 = await t.request('GET', `/api/v1/encoding/jobs?limit=1&cursor=${page1.body.meta.next_cursor}`, { headers: manager.auth });
    assert.deepEqual(page2.body.data.map((j: any) => j.video.title), ['First']);
    assert.equal(page2.body.meta.next_cursor, null);
    // The retry button: the same endpoint owners use.
    const retry = await t.request('POST', `/api/v1/videos/${slugs[0]}/encode`, { headers: manager.auth });
    assert.equal(retry.status, 202, retry.text);
    const after = await t.request('GET', '/api/v1/encoding/jobs?status=error', { headers: manager.auth });
    assert.deepEqual(after.body.data, []);
  });

  it('ACL and bad input', async () => {
    assert.equal((await t.request('GET', '/api/v1/encoding/jobs')).status, 401);
    const plain = await t.request('GET', '/api/v1/encoding/jobs', { headers: owner.auth });
    assert.deepEqual([plain.status, plain.body.errors[0].code], [403, 'forbidden']);
    for (const [qs, field] of [['status=bogus', 'query.status'], ['limit=0', 'query.limit'], ['limit=abc', 'query.limit'], ['cursor=garbage', 'query.cursor']]) {
      const res = await t.request('GET', `/api/v1/encoding/jobs?${qs}`, { headers: manager.auth });
      assert.equal(res.status, 400, qs);
      assert.equal(res.body.errors[0].field, field, qs);
    }
  });
});
