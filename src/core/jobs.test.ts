// The job queue (pg-boss) enqueues inside our own transactions: a committed
// transaction has its job, a rolled-back one has none — on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { QUEUES } from './jobs.ts';

describe('durable jobs', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('enqueue is atomic with the transaction that causes it', async () => {
    const db = t.app.dbh.db;
    const owner = await db.insertInto('users').values({ username: 'jobs-owner' }).returning('id').executeTakeFirstOrThrow();
    const committedId = await db.transaction().execute(async (tx) => {
      const v = await tx.insertInto('videos').values({ slug: 'job-ok', title: 'ok', owner_id: owner.id }).returning('id').executeTakeFirstOrThrow();
      return t.app.jobs.enqueueEncoding(tx, { video_id: v.id, source_key: 'sources/ok.wav', upload_id: null });
    });
    let phantomId: string | undefined;
    await assert.rejects(db.transaction().execute(async (tx) => {
      const v = await tx.insertInto('videos').values({ slug: 'job-ko', title: 'ko', owner_id: owner.id }).returning('id').executeTakeFirstOrThrow();
      phantomId = await t.app.jobs.enqueueEncoding(tx, { video_id: v.id, source_key: 'sources/ko.wav', upload_id: null });
      throw new Error('the upload completion failed after enqueueing');
    }), /completion failed/);
    assert.equal((await t.app.jobs.encodingJob(committedId))?.state, 'created');
    assert.ok(phantomId);
    assert.equal(await t.app.jobs.encodingJob(phantomId), null, 'no phantom job');
    const fetched = await t.app.jobs.boss.fetch<{ video_id: number }>(QUEUES.videoEncode, { batchSize: 10 });
    assert.deepEqual(fetched.map((j) => j.id), [committedId]);
  });

  it('the queue retries with backoff and ends in a dead-letter queue', async () => {
    const q = await t.app.jobs.boss.getQueue(QUEUES.videoEncode);
    assert.equal(q?.retryLimit, 2, 'ENCODING_MAX_ATTEMPTS=3 → 2 retries');
    assert.equal(q?.retryBackoff, true);
    assert.equal(q?.deadLetter, QUEUES.videoEncodeDead);
  });
});
