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
    assert.deepEqual(video.body.data.encoding, { status: 'queued', progress: null, error: null });
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
