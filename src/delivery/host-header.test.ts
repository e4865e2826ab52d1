// Host header poisoning: absolute URLs in answers (player config, detail and
// list thumbnails, oEmbed) are built from PUBLIC_URL or MEDIA_BASE_URL only.
// A forged Host (or X-Forwarded-Host behind a trusted proxy) must never end up
// in an answer that caches keep and serve to other viewers.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser } from '../test-support/users.ts';

/** GET with the headers sent as written (fetch does not let a caller set Host). */
function rawGet(t: TestApp, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    httpRequest({ hostname, port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    }).on('error', reject).end();
  });
}

for (const trustProxy of ['false', 'true']) {
  describe(`absolute URLs ignore the request's host (TRUST_PROXY=${trustProxy})`, () => {
    let t: TestApp;
    let slug = '';
    before(async () => {
      t = await startTestApp({ env: { TRUST_PROXY: trustProxy, FRONTEND_URL: 'https://video.univ.example' } });
      const owner = await createUser(t, 'owner', { is_staff: true });
      const video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Public', is_draft: false } })).body.data;
      await markEncoded(t, video.id);
      slug = video.slug;
    });
    after(() => t.close());

    it('config, detail, list and oEmbed carry PUBLIC_URL, whatever Host and X-Forwarded-* say', async () => {
      const forged = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
      const paths = [
        `/api/v1/videos/${slug}/config`, `/api/v1/videos/${slug}`, '/api/v1/videos',
        `/api/v1/oembed?url=${encodeURIComponent(`https://video.univ.example/video/${slug}/`)}`,
      ];
      for (const path of paths) {
        const res = await rawGet(t, path, forged);
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        assert.ok(!res.text.includes('evil.example'), `${path} echoes the forged host: ${res.text.slice(0, 300)}`);
        assert.ok(res.text.includes(`${t.config.PUBLIC_URL}/media/`), `${path} has media URLs on PUBLIC_URL`);
      }
    });
  });
}

describe('MEDIA_BASE_URL', () => {
  it('media URLs use it (a CDN or a cookie-less host), never the Host header', async () => {
    const t = await startTestApp({ env: { MEDIA_BASE_URL: 'https://media.univ.example' } });
    try {
      const owner = await createUser(t, 'owner', { is_staff: true });
      const video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'CDN', is_draft: false } })).body.data;
      await markEncoded(t, video.id);
      const res = await rawGet(t, `/api/v1/videos/${video.slug}/config`, { host: 'evil.example' });
      const cfg = JSON.parse(res.text).data;
      assert.ok(cfg.hls.master.startsWith('https://media.univ.example/media/p/'), cfg.hls.master);
      assert.ok(!res.text.includes('evil.example'));
    } finally {
      await t.close();
    }
  });
});
