// Protected media: the player config's signed URLs open an HLS chain
// (master → variant → segment) by relative URIs, and nothing else: expired,
// tampered, wrong-video, wrong-prefix and path-traversal requests get a 403
// envelope. Public videos get long-cached public URLs.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { markEncoded, type EncodedFixture } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { signMediaToken } from './media-tokens.ts';

/** GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    }).on('error', reject).end();
  });
}

describe('media delivery', () => {
  let t: TestApp;
  let owner: TestUser, stranger: TestUser;
  const vids: Record<string, { id: number; slug: string; fx: EncodedFixture }> = {};

  before(async () => {
    t = await startTestApp();
    owner = await createUser(t, 'owner', { is_staff: true });
    stranger = await createUser(t, 'stranger');
    for (const [name, settings] of Object.entries({ pub: { is_draft: false }, restricted: { is_draft: false, is_restricted: true }, draft: { is_draft: true } })) {
      const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: name, ...settings } });
      assert.equal(res.status, 201, res.text);
      vids[name] = { id: res.body.data.id, slug: res.body.data.slug, fx: await markEncoded(t, res.body.data.id) };
    }
  });
  after(() => t.close());

  const config = async (name: string, headers: Record<string, string> = owner.auth) => {
    const res = await t.request('GET', `/api/v1/videos/${vids[name]!.slug}/config`, { headers });
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  };

  it('a restricted video: signed URLs, and the HLS chain resolves relative URIs under the token', async () => {
    const cfg = await config('restricted', stranger.auth);
    assert.equal(cfg.access.public, false);
    const expires = Date.parse(cfg.access.expires_at);
    assert.ok(expires > Date.now() + 3 * 3600_000 - 60_000 && expires <= Date.now() + 3 * 3600_000 + 300_000, cfg.access.expires_at);
    assert.match(cfg.hls.master, new RegExp(`/media/t/${vids.restricted!.id}\\.\\d+\\.[\\w-]{22}/encodings/${vids.restricted!.id}/hls/master\\.m3u8$`));

    const master = await fetch(cfg.hls.master);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.match(master.headers.get('cache-control')!, /^private, max-age=\d+$/);
    const variantUrl = new URL((await master.text()).split('\n').find((l) => l && !l.startsWith('#'))!, cfg.hls.master);
    const variant = await fetch(variantUrl);
    assert.equal(variant.status, 200);
    const segmentUrl = new URL((await variant.text()).split('\n').find((l) => l.endsWith('.ts'))!, variantUrl);
    const segment = await fetch(segmentUrl);
    assert.equal(segment.status, 200);
    assert.equal(segment.headers.get('content-type'), 'video/mp2t');
    assert.deepEqual(Buffer.from(await segment.arrayBuffer()), vids.restricted!.fx.segment(0));

    // Byte ranges and revalidation.
    const part = await fetch(segmentUrl, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/4096`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), vids.restricted!.fx.segment(0).subarray(10, 20));
    const beyond = await fetch(segmentUrl, { headers: { range: 'bytes=99999-' } });
    assert.equal(beyond.status, 416);
    assert.equal(((await beyond.json()) as any).errors[0].code, 'range_not_satisfiable');
    const again = await fetch(segmentUrl, { headers: { 'if-none-match': segment.headers.get('etag')! } });
    assert.equal(again.status, 304);

    // The same chain after expiry: 403 with a code that tells the player to refresh.
    const old = signMediaToken(t.app.keys.derive('media-url'), vids.restricted!.id, 60, Date.now() - 3600_000);
    const expired = await fetch(segmentUrl.href.replace(/\/media\/t\/[^/]+\//, `/media/t/${old.token}/`));
    assert.equal(expired.status, 403);
    assert.equal(((await expired.json()) as any).errors[0].code, 'media_token_expired');
  });

  it('tampered, wrong-video, wrong-prefix, traversal and unknown-type requests → 403 envelopes', async () => {
    const { id } = vids.restricted!;
    const other = vids.draft!.id;
    const token = signMediaToken(t.app.keys.derive('media-url'), id, 600).token;
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const cases: [string, string][] = [
      [`/media/t/${flipped}/encodings/${id}/hls/master.m3u8`, 'invalid_media_token'],
      [`/media/t/${token.replace(/^\d+/, String(other))}/encodings/${other}/hls/master.m3u8`, 'invalid_media_token'],
      [`/media/t/garbage/encodings/${id}/hls/master.m3u8`, 'invalid_media_token'],
      // The same numbers written another way are another token: one spelling per grant.
      [`/media/t/0${token}/encodings/${id}/hls/master.m3u8`, 'invalid_media_token'],
      [`/media/t/${token.replace('.', '.0')}/encodings/${id}/hls/master.m3u8`, 'invalid_media_token'],
      [`/media/t/${token}/encodings/${other}/hls/master.m3u8`, 'media_token_wrong_video'],
      [`/media/t/${token}/sources/${id}.mp4`, 'media_path_forbidden'],
      [`/media/t/${token}/encodings/${id}/../../sources/${id}.mp4`, 'media_path_forbidden'],
      [`/media/t/${token}/encodings/${id}/%2e%2e/%2e%2e/sources/${id}.mp4`, 'media_path_forbidden'],
      [`/media/t/${token}/encodings/${id}/..%2f..%2fsources/${id}.mp4`, 'media_path_forbidden'],
      [`/media/t/${token}/encodings/${id}/evil.exe`, 'media_path_forbidden'],
      [`/media/p/0/sources/${id}.mp4`, 'media_path_forbidden'],
      [`/media/p/0/encodings/${other}/hls/master.m3u8`, 'media_not_public'],
      [`/media/p/0/encodings/${id}/hls/master.m3u8`, 'media_not_public'],
    ];
    for (const [path, code] of cases) {
      const res = await rawGet(t.url, path);
      assert.equal(res.status, 403, path);
      assert.equal(res.body.status, 'error', path);
      assert.equal(res.body.errors[0].code, code, path);
    }
    const missing = await rawGet(t.url, `/media/t/${token}/encodings/${id}/hls/nothing.ts`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errors[0].code, 'not_found');
  });

  it('a public video: public long-cached URLs, no token, CORS open to players anywhere', async () => {
    const cfg = await config('pub', {});
    assert.equal(cfg.access.public, true);
    assert.equal(cfg.access.expires_at, null);
    assert.match(cfg.hls.master, /\/media\/p\/[0-9a-z]+\/encodings\/\d+\/hls\/master\.m3u8$/);
    const res = await fetch(cfg.hls.master, { headers: { origin: 'https://moodle.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const poster = await fetch(cfg.poster);
    assert.equal(poster.headers.get('content-type'), 'image/jpeg');
  });

  it('x-accel mode answers with X-Accel-Redirect for nginx and no body', async () => {
    const x = await startTestApp({ env: { MEDIA_SERVE_MODE: 'x-accel', MEDIA_ACCEL_PREFIX: '/_media/' } });
    try {
      const who = await createUser(x, 'owner', { is_staff: true });
      const created = await x.request('POST', '/api/v1/videos', { headers: who.auth, json: { title: 'accel', is_draft: true } });
      await markEncoded(x, created.body.data.id);
      const cfg = (await x.request('GET', `/api/v1/videos/${created.body.data.slug}/config`, { headers: who.auth })).body.data;
      const res = await fetch(cfg.hls.renditions[0].url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-accel-redirect'), `/_media/encodings/${created.body.data.id}/hls/360p.m3u8`);
      assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      assert.equal(await res.text(), '');
      // Refusals are the app's, as in app mode.
      const bad = await fetch(cfg.hls.master.replace(/\.[\w-]{22}\//, '.AAAAAAAAAAAAAAAAAAAAAA/'));
      assert.equal(bad.status, 403);
    } finally {
      await x.close();
    }
  });
});
