// MEDIA_SERVE_MODE=x-accel behind a real nginx configured as the README says:
// the API checks the signed URL, nginx streams the file (ranges included);
// the internal location is unreachable directly; refusals stay the API's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded, type EncodedFixture } from '../test-support/encoded.ts';
import { nginxUnavailable, startNginx, type Nginx } from '../test-support/nginx.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { signMediaToken } from './media-tokens.ts';
import { freePort } from '../../bench/lib.ts';

describe('x-accel delivery through a real nginx', { skip: nginxUnavailable() }, () => {
  let t: TestApp;
  let nginx: Nginx;
  let owner: TestUser;
  let video: { id: number; slug: string };
  let fx: EncodedFixture;

  before(async () => {
    // Clients reach the API through nginx: PUBLIC_URL is nginx's address, so media URLs point at it.
    const port = await freePort();
    t = await startTestApp({ env: { MEDIA_SERVE_MODE: 'x-accel', PUBLIC_URL: `http://127.0.0.1:${port}` } });
    nginx = await startNginx({ upstream: t.url, mediaDir: t.config.MEDIA_DIR, port });
    owner = await createUser(t, 'owner', { is_staff: true });
    video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Behind nginx', is_draft: true } })).body.data;
    fx = await markEncoded(t, video.id, { segmentBytes: 1 << 20 });
  });
  after(async () => {
    await nginx?.stop();
    await t?.close();
  });

  const config = async () => {
    const res = await fetch(`${nginx.url}/api/v1/videos/${video.slug}/config`, { headers: owner.auth });
    assert.equal(res.status, 200);
    return ((await res.json()) as any).data;
  };

  it('plays the HLS chain through nginx: types, CORS, cache headers, ranges', async () => {
    const cfg = await config();
    assert.ok(cfg.hls.master.startsWith(`${nginx.url}/media/t/`), cfg.hls.master);
    const master = await fetch(cfg.hls.master);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(master.headers.get('access-control-allow-origin'), '*');
    assert.equal(master.headers.get('x-accel-redirect'), null, 'nginx consumes the header');
    const variantUrl = new URL((await master.text()).split('\n').find((l) => l && !l.startsWith('#'))!, cfg.hls.master);
    const variant = await fetch(variantUrl);
    const segmentUrl = new URL((await variant.text()).split('\n').find((l) => l && !l.startsWith('#'))!, variantUrl);

    const segment = await fetch(segmentUrl);
    assert.equal(segment.status, 200);
    assert.equal(segment.headers.get('content-type'), 'video/mp2t');
    assert.match(segment.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);
    assert.deepEqual(Buffer.from(await segment.arrayBuffer()), fx.segment(0));
    const part = await fetch(segmentUrl, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${1 << 20}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), fx.segment(0).subarray(1000, 2000));

    const vtt = await fetch(cfg.poster);
    assert.equal(vtt.headers.get('content-type'), 'image/jpeg');
  });

  it('the internal location is not reachable directly; bad tokens are refused by the API with its envelope', async () => {
    const direct = await fetch(`${nginx.url}/_protected_media/encodings/${video.id}/hls/360p_0000.ts`);
    assert.equal(direct.status, 404);
    const cfg = await config();
    const tampered = await fetch(cfg.hls.master.replace(/\.[\w-]{22}\//, '.AAAAAAAAAAAAAAAAAAAAAA/'));
    assert.equal(tampered.status, 403);
    assert.equal(((await tampered.json()) as any).errors[0].code, 'invalid_media_token');
    const old = signMediaToken(t.app.keys.derive('media-url'), video.id, 60, Date.now() - 3600_000);
    const expired = await fetch(cfg.hls.master.replace(/\/media\/t\/[^/]+\//, `/media/t/${old.token}/`));
    assert.equal(expired.status, 403);
    assert.equal(((await expired.json()) as any).errors[0].code, 'media_token_expired');
    const missing = await fetch(cfg.hls.master.replace('master.m3u8', 'nothing.m3u8'));
    assert.equal(missing.status, 404, 'a missing file is nginx\'s 404 (the API does not stat in this mode)');
  });
});
