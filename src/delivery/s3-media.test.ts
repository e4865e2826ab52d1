// Media on S3 storage (a real S3 server, s3rver): app mode streams from S3
// with byte ranges and exact types; redirect mode sends files to short-lived
// presigned S3 URLs but keeps serving playlists, so that their relative URIs
// stay under the signed prefix.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded, type EncodedFixture } from '../test-support/encoded.ts';
import { startS3 } from '../test-support/s3.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser } from '../test-support/users.ts';

for (const mode of ['app', 'redirect'] as const) {
  describe(`media from S3, MEDIA_SERVE_MODE=${mode}`, () => {
    let s3: Awaited<ReturnType<typeof startS3>>;
    let t: TestApp;
    let cfg: any;
    let fx: EncodedFixture;

    before(async () => {
      s3 = await startS3();
      t = await startTestApp({ env: { ...s3.env, MEDIA_SERVE_MODE: mode } });
      const owner = await createUser(t, 'owner', { is_staff: true });
      const video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'S3', is_draft: true } })).body.data;
      fx = await markEncoded(t, video.id, { segmentBytes: 300_000 });
      cfg = (await t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: owner.auth })).body.data;
    });
    after(async () => {
      await t?.close();
      await s3?.close();
    });

    it('plays the HLS chain from S3', async () => {
      const master = await fetch(cfg.hls.master, { redirect: 'manual' });
      assert.equal(master.status, 200, 'playlists are always served under the signed prefix');
      assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      const variantUrl = new URL((await master.text()).split('\n').find((l) => l && !l.startsWith('#'))!, cfg.hls.master);
      const variant = await fetch(variantUrl, { redirect: 'manual' });
      assert.equal(variant.status, 200);
      const segmentUrl = new URL((await variant.text()).split('\n').find((l) => l && !l.startsWith('#'))!, variantUrl);

      const segment = await fetch(segmentUrl, { redirect: 'manual' });
      if (mode === 'redirect') {
        assert.equal(segment.status, 302);
        const location = new URL(segment.headers.get('location')!);
        assert.equal(location.origin, new URL(s3.env.S3_ENDPOINT).origin);
        assert.ok(location.searchParams.get('X-Amz-Signature'), 'a presigned URL');
        assert.ok(Number(location.searchParams.get('X-Amz-Expires')) <= 3600);
        const fromS3 = await fetch(location);
        assert.equal(fromS3.status, 200);
        assert.deepEqual(Buffer.from(await fromS3.arrayBuffer()), fx.segment(0));
      } else {
        assert.equal(segment.status, 200);
        assert.equal(segment.headers.get('content-type'), 'video/mp2t');
        assert.equal(segment.headers.get('content-length'), '300000');
        assert.deepEqual(Buffer.from(await segment.arrayBuffer()), fx.segment(0));
        const part = await fetch(segmentUrl, { headers: { range: 'bytes=299990-' } });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get('content-range'), 'bytes 299990-299999/300000');
        assert.deepEqual(Buffer.from(await part.arrayBuffer()), fx.segment(0).subarray(299_990));
      }
    });

    it('a DASH MPD and a storyboard WebVTT stay under the signed prefix (what they reference resolves there)', async () => {
      const id = cfg.video.id;
      await t.app.storage.put(`encodings/${id}/cmaf/manifest.mpd`, Buffer.from('<?xml version="1.0"?><MPD/>'));
      await t.app.storage.put(`encodings/${id}/storyboard.vtt`, Buffer.from('WEBVTT\n'));
      for (const [rel, type] of [['cmaf/manifest.mpd', 'application/dash+xml'], ['storyboard.vtt', 'text/vtt; charset=utf-8']]) {
        const res = await fetch(new URL(`../${rel}`, cfg.hls.master), { redirect: 'manual' });
        assert.equal(res.status, 200, rel);
        assert.equal(res.headers.get('content-type'), type);
      }
    });

    it('refuses bad tokens before touching S3', async () => {
      const tampered = await fetch(cfg.mp4[0].url.replace(/\.[\w-]{22}\//, '.AAAAAAAAAAAAAAAAAAAAAA/'), { redirect: 'manual' });
      assert.equal(tampered.status, 403);
      assert.equal(((await tampered.json()) as any).errors[0].code, 'invalid_media_token');
    });
  });
}
