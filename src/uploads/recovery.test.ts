// An upload whose bytes all arrived but whose completion never happened (the
// API died, or its database failed, while checking and linking it): the
// client's next HEAD completes it, so that tus' "offset = length" is never a
// lie and no byte is lost. Found by
// the soak (`npm run soak`): 13 of 50 uploads "done" for the client, absent
// on the server, after a SIGKILL during completions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { wavBuffer } from '../test-support/media.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

describe('upload completion recovery', () => {
  let t: TestApp;
  let teacher: TestUser, other: TestUser;
  before(async () => {
    t = await startTestApp();
    teacher = await createUser(t, 'teacher', { is_staff: true });
    other = await createUser(t, 'other', { is_staff: true });
  });
  after(() => t.close());

  const head = (url: string, auth: Record<string, string>) => fetch(url, { method: 'HEAD', headers: { ...auth, 'tus-resumable': '1.0.0' } });

  it('a HEAD completes an upload whose completion was interrupted, once; then answers from the database', async () => {
    const bytes = wavBuffer(96 * 1024);
    // The completion dies before it moves the file (as if the process were killed there).
    const move = t.app.storage.move.bind(t.app.storage);
    t.app.storage.move = async () => {
      throw new Error('simulated crash during completion');
    };
    const first = await tusUpload(t, bytes, { headers: teacher.auth, metadata: { filename: 'cours.wav', title: 'Interrupted' } });
    t.app.storage.move = move;
    assert.equal(first.status, 500, first.body);
    const pending = await t.app.dbh.db.selectFrom('uploads').select(['completed_at']).where('id', '=', first.url.split('/').pop()!).executeTakeFirstOrThrow();
    assert.equal(pending.completed_at, null, 'nothing was recorded');

    // Someone else's HEAD does not trigger it.
    const byOther = await head(first.url, other.auth);
    assert.equal(byOther.headers.get('x-video-id'), null);
    const still = await t.app.dbh.db.selectFrom('uploads').select(['completed_at']).where('id', '=', first.url.split('/').pop()!).executeTakeFirstOrThrow();
    assert.equal(still.completed_at, null);

    const res = await head(first.url, teacher.auth);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('upload-offset'), String(bytes.length));
    const id = Number(res.headers.get('x-video-id'));
    assert.ok(id > 0, 'the video headers, as the last PATCH would have sent them');
    const video = await t.request('GET', `/api/v1/videos/${res.headers.get('x-video-slug')}`, { headers: teacher.auth });
    assert.equal(video.body.data.title, 'Interrupted');
    assert.equal(video.body.data.encoding.status, 'queued');
    const stored = await t.app.storage.stat(`sources/${first.url.split('/').pop()}.wav`);
    assert.equal(stored?.size, bytes.length);

    // Again, and after the tus staging files are gone: the same answer, no second video.
    const again = await head(first.url, teacher.auth);
    assert.equal(again.headers.get('x-video-id'), String(id));
    const count = await t.app.dbh.db.selectFrom('videos').select((eb) => eb.fn.countAll<string>().as('n')).where('title', '=', 'Interrupted').executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  it('a failure inside the completing transaction keeps the bytes: the next HEAD completes the upload', async () => {
    const bytes = wavBuffer(80 * 1024);
    const enqueue = t.app.jobs.enqueueEncoding;
    t.app.jobs.enqueueEncoding = async () => {
      throw new Error('simulated database failure');
    };
    const first = await tusUpload(t, bytes, { headers: teacher.auth, metadata: { filename: 'cours.wav', title: 'Database hiccup' } });
    t.app.jobs.enqueueEncoding = enqueue;
    assert.equal(first.status, 500, first.body);
    const uploadId = first.url.split('/').pop()!;
    assert.equal(await t.app.storage.stat(`sources/${uploadId}.wav`), null, 'no source without its video');

    const res = await head(first.url, teacher.auth);
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get('x-video-id')) > 0);
    assert.equal((await t.app.storage.stat(`sources/${uploadId}.wav`))?.size, bytes.length, 'the bytes survived the failure');
    const video = await t.request('GET', `/api/v1/videos/${res.headers.get('x-video-slug')}`, { headers: teacher.auth });
    assert.deepEqual([video.body.data.title, video.body.data.encoding.status], ['Database hiccup', 'queued']);
  });

  /** Leaves an upload as a completion killed between its move and its transaction would: bytes at the final key, none staged. */
  async function killedAfterMove(title: string, size: number) {
    const bytes = wavBuffer(size);
    const enqueue = t.app.jobs.enqueueEncoding;
    const move = t.app.storage.move.bind(t.app.storage);
    let moves = 0;
    t.app.jobs.enqueueEncoding = async () => {
      throw new Error('simulated crash inside the transaction');
    };
    t.app.storage.move = async (from: string, to: string) => {
      if (++moves > 1) throw new Error('simulated crash: the bytes are not moved back'); // the process is gone
      return move(from, to);
    };
    const first = await tusUpload(t, bytes, { headers: teacher.auth, metadata: { filename: 'cours.wav', title } });
    t.app.jobs.enqueueEncoding = enqueue;
    t.app.storage.move = move;
    assert.equal(first.status, 500, first.body);
    const uploadId = first.url.split('/').pop()!;
    assert.equal((await t.app.storage.stat(`sources/${uploadId}.wav`))?.size, bytes.length, 'the bytes sit at their final key');
    assert.equal(await t.app.storage.stat(`uploads/${uploadId}`), null, 'nothing staged');
    return { url: first.url, uploadId, bytes };
  }

  it('killed between moving the bytes and linking them: the next HEAD puts them back and completes the upload', async () => {
    const { url, uploadId, bytes } = await killedAfterMove('Killed after the move', 72 * 1024);
    const res = await head(url, teacher.auth);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('upload-offset'), String(bytes.length));
    assert.ok(Number(res.headers.get('x-video-id')) > 0);
    assert.equal((await t.app.storage.stat(`sources/${uploadId}.wav`))?.size, bytes.length);
    const video = await t.request('GET', `/api/v1/videos/${res.headers.get('x-video-slug')}`, { headers: teacher.auth });
    assert.deepEqual([video.body.data.title, video.body.data.encoding.status], ['Killed after the move', 'queued']);
  });

  it('such bytes are deleted with the upload when their client never comes back', async () => {
    const { uploadId } = await killedAfterMove('Never claimed', 56 * 1024);
    await t.app.dbh.db.updateTable('uploads').set({ created_at: new Date(Date.now() - 2 * t.app.config.UPLOAD_EXPIRATION_S * 1000) })
      .where('id', '=', uploadId).execute();
    await t.app.maintenance.cleanExpiredUploads();
    assert.equal(await t.app.storage.stat(`sources/${uploadId}.wav`), null);
    assert.equal(await t.app.dbh.db.selectFrom('uploads').select('id').where('id', '=', uploadId).executeTakeFirst(), undefined);
  });

  it('a HEAD of a normally completed upload carries the video headers too', async () => {
    const done = await tusUpload(t, wavBuffer(64 * 1024), { headers: teacher.auth, metadata: { filename: 'cours.wav' } });
    assert.equal(done.status, 204);
    const res = await head(done.url, teacher.auth);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-video-id'), done.headers['x-video-id']);
    assert.equal((await head(done.url, other.auth)).status, 404, 'not to someone else');
  });
});
