// Deleting a video: its media are refused at once (signed and public URLs,
// whatever their expiry), and after the grace period a durable job deletes
// its files — source, encodings, tracks — from local disk and from S3,
// leaving every other video's files alone.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startS3 } from '../test-support/s3.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { QUEUES } from '../core/jobs.ts';

/** Lists every stored key under a prefix. */
async function keys(t: TestApp, prefix: string) {
  const found: string[] = [];
  for await (const o of t.app.storage.list(prefix)) found.push(o.key);
  return found;
}

/** Waits (bounded) until `check` holds, re-checking every 100 ms. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function encodedVideo(t: TestApp, owner: TestUser, title: string, settings: Record<string, unknown>) {
  const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title, ...settings } });
  assert.equal(res.status, 201, res.text);
  const { id, slug } = res.body.data as { id: number; slug: string };
  await markEncoded(t, id);
  const source = `sources/${id}-source.mp4`;
  await t.app.storage.put(source, Buffer.alloc(1000, 'src'));
  await t.app.storage.put(`tracks/${id}/fr.vtt`, Buffer.from('WEBVTT\n'));
  await t.app.dbh.db.updateTable('videos').set({ source_key: source }).where('id', '=', id).execute();
  return { id, slug, source };
}

for (const backend of ['local', 's3'] as const) {
  describe(`deleting a video (${backend} storage)`, () => {
    let s3: Awaited<ReturnType<typeof startS3>> | undefined;
    let t: TestApp;
    let owner: TestUser;
    before(async () => {
      s3 = backend === 's3' ? await startS3() : undefined;
      t = await startTestApp({ env: { ...s3?.env, VIDEO_PURGE_DELAY_S: '1' } });
      owner = await createUser(t, 'owner', { is_staff: true });
    });
    after(async () => {
      await t?.close();
      await s3?.close();
    });

    it('refuses its media at once, then purges its files after the grace period, and only its files', async () => {
      const pub = await encodedVideo(t, owner, 'public', { is_draft: false });
      const priv = await encodedVideo(t, owner, 'private', { is_draft: true });
      const kept = await encodedVideo(t, owner, 'kept', { is_draft: true });
      const pubCfg = (await t.request('GET', `/api/v1/videos/${pub.slug}/config`)).body.data;
      const privCfg = (await t.request('GET', `/api/v1/videos/${priv.slug}/config`, { headers: owner.auth })).body.data;
      const keptCfg = (await t.request('GET', `/api/v1/videos/${kept.slug}/config`, { headers: owner.auth })).body.data;
      assert.equal(pubCfg.access.public, true);
      assert.equal(privCfg.access.public, false);
      for (const url of [pubCfg.hls.master, privCfg.hls.master, privCfg.poster]) assert.equal((await fetch(url)).status, 200, url);

      for (const v of [pub, priv]) assert.equal((await t.request('DELETE', `/api/v1/videos/${v.slug}`, { headers: owner.auth })).status, 200);
      // At once: the URLs handed out a moment ago (signed for hours, or public) answer 404.
      for (const url of [pubCfg.hls.master, privCfg.hls.master, privCfg.hls.renditions[0].url, privCfg.poster]) {
        const res = await fetch(url);
        assert.equal(res.status, 404, url);
        assert.equal(((await res.json()) as any).errors[0].code, 'not_found');
      }
      assert.equal((await fetch(keptCfg.hls.master)).status, 200, 'another video plays on');

      // Later: the files are gone, the other video's are all there.
      for (const v of [pub, priv]) {
        await eventually(async () => (await keys(t, `encodings/${v.id}/`)).length === 0 && (await t.app.storage.stat(v.source)) === null, `the purge of video ${v.id}`);
        assert.deepEqual(await keys(t, `tracks/${v.id}/`), []);
        await eventually(async () => Boolean((await t.app.dbh.db.selectFrom('videos').select('purged_at').where('id', '=', v.id).executeTakeFirstOrThrow()).purged_at), 'purged_at');
        if (backend === 'local') assert.equal(existsSync(path.join(t.config.MEDIA_DIR, 'encodings', String(v.id))), false, 'no empty folder left');
      }
      assert.equal((await keys(t, `encodings/${kept.id}/`)).length, 7);
      assert.ok(await t.app.storage.stat(kept.source));
      assert.deepEqual(await keys(t, `tracks/${kept.id}/`), [`tracks/${kept.id}/fr.vtt`]);
      assert.equal((await fetch(keptCfg.hls.master)).status, 200);
    });

    it('the purge is a durable job, due after VIDEO_PURGE_DELAY_S', async () => {
      const v = await encodedVideo(t, owner, 'durable', { is_draft: true });
      const before = Date.now();
      assert.equal((await t.request('DELETE', `/api/v1/videos/${v.slug}`, { headers: owner.auth })).status, 200);
      const jobs = await t.app.jobs.boss.findJobs<{ video_id: number }>(QUEUES.videoPurge, { data: { video_id: v.id } });
      assert.equal(jobs.length, 1);
      assert.ok(jobs[0]!.startAfter.getTime() >= before + 900, 'due after the grace period');
      await eventually(async () => (await keys(t, `encodings/${v.id}/`)).length === 0, 'the purge');
    });
  });
}

describe('the purge grace period', () => {
  it('keeps the files of a deleted video until it ends', async () => {
    const t = await startTestApp({ env: { VIDEO_PURGE_DELAY_S: '3600' } });
    try {
      const owner = await createUser(t, 'owner', { is_staff: true });
      const v = await encodedVideo(t, owner, 'grace', { is_draft: true });
      assert.equal((await t.request('DELETE', `/api/v1/videos/${v.slug}`, { headers: owner.auth })).status, 200);
      assert.equal((await t.request('GET', `/api/v1/videos/${v.slug}`, { headers: owner.auth })).status, 404);
      const [job] = await t.app.jobs.boss.findJobs(QUEUES.videoPurge, { data: { video_id: v.id } });
      assert.ok(job && job.startAfter.getTime() > Date.now() + 3500_000, 'due in an hour');
      assert.equal((await keys(t, `encodings/${v.id}/`)).length, 7, 'files kept during the grace period');
      assert.ok(await t.app.storage.stat(v.source));
    } finally {
      await t.close();
    }
  });
});
