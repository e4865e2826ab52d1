// Importing a Pod V4 instance when pod-api stores its media on S3: the V4
// files are streamed into the bucket (no hard link is possible there), the
// migrated video plays from the bucket, and a second run copies nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runImport } from './importer.ts';
import { startS3 } from '../test-support/s3.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { buildV4Fixture, V4_SECRET_KEY, type V4Fixture } from '../test-support/v4-fixture.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

describe('importing a Pod V4 instance into S3 storage', {
  skip: (!HAS_FFMPEG && 'ffmpeg is not installed (the fixture encodes its V4 files)') || ENGINE_INDEPENDENT /* the copy into storage; import-v4.test.ts runs on both engines */,
}, () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let t: TestApp;
  let fx: V4Fixture;
  const run = () => runImport(t.app.dbh.db, t.app.storage, t.config, {
    dump: fx.dump, mediaRoot: fx.media, spoolDir: path.join(fx.dir, 'spool'), dryRun: false, oldSecretKey: V4_SECRET_KEY,
  });

  before(async () => {
    [fx, s3] = await Promise.all([buildV4Fixture(), startS3()]);
    t = await startTestApp({ env: s3.env });
  });
  after(async () => {
    await t?.close();
    await s3?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('copies the V4 files into the bucket; the video plays from there; a second run copies nothing', async () => {
    assert.equal(t.app.storage.localPath, undefined, 'the app stores on S3');
    const report = await run();
    assert.ok(report.filesCopied > 30, String(report.filesCopied));
    assert.ok(report.bytesCopied > 0);
    const pub = fx.videos.pub;
    const keys: string[] = [];
    for await (const o of t.app.storage.list(`encodings/${pub}/`)) keys.push(o.key);
    assert.ok(keys.some((k) => k.endsWith('.m3u8')) && keys.some((k) => k.endsWith('.mp4')), keys.join());

    const cfg = (await t.request('GET', `/api/v1/videos/${pub}/config`)).body.data;
    assert.equal(cfg.encoding.ready, true);
    const rung = await (await fetch(new URL('360p.m3u8', cfg.hls.master))).text();
    const [, length, offset] = /#EXT-X-BYTERANGE:(\d+)@(\d+)/.exec(rung)!;
    const segment = await fetch(new URL('360p.ts', cfg.hls.master), { headers: { range: `bytes=${offset}-${Number(offset) + Number(length) - 1}` } });
    assert.equal(segment.status, 206);
    const bytes = Buffer.from(await segment.arrayBuffer());
    assert.equal(bytes.length, Number(length));
    assert.equal(bytes[0], 0x47, 'an MPEG-TS packet');
    const mp4 = await fetch(cfg.mp4[0].url, { headers: { range: 'bytes=4-7' } });
    assert.equal(mp4.status, 206);
    assert.equal(Buffer.from(await mp4.arrayBuffer()).toString('latin1'), 'ftyp');

    const again = await run();
    assert.equal(again.filesCopied, 0, 'files already in the bucket with the same size are left alone');
    assert.equal(again.models.get('video.video')!.imported, 0);
  });
});
