// Player config per visibility kind and role (the ACL matrix checks the
// status codes; here: what the body and cache headers say), and oEmbed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

type Video = { id: number; slug: string };
type Kinds = Record<'public' | 'draft' | 'restricted' | 'password' | 'unencoded', Video>;

describe('player config', () => {
  let t: TestApp;
  let owner: TestUser, stranger: TestUser;
  const v = {} as Kinds;

  before(async () => {
    t = await startTestApp({ env: { MEDIA_URL_TTL_S: '600', FRONTEND_URL: 'https://video.univ.example' } });
    owner = await createUser(t, 'owner', { is_staff: true });
    stranger = await createUser(t, 'stranger');
    const kinds: Record<string, Record<string, unknown>> = {
      public: { title: 'Cours <public> & "ouvert"', is_draft: false },
      draft: { title: 'Brouillon secret', is_draft: true },
      restricted: { title: 'Réservé', is_draft: false, is_restricted: true },
      password: { title: 'Protégé', is_draft: false, password: 'sesame' },
      unencoded: { title: 'Pas encore encodé', is_draft: false },
    };
    for (const [kind, json] of Object.entries(kinds)) {
      const res = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json });
      assert.equal(res.status, 201, res.text);
      v[kind as keyof Kinds] = res.body.data;
      if (kind !== 'unencoded') await markEncoded(t, res.body.data.id);
    }
  });
  after(() => t.close());

  const config = (video: Video, headers: Record<string, string> = {}, query = '') =>
    t.request('GET', `/api/v1/videos/${video.slug}/config${query}`, { headers });

  it('public video: long-cached public URLs for everyone, ETag and 304', async () => {
    const anon = await config(v.public);
    assert.equal(anon.status, 200, anon.text);
    const d = anon.body.data;
    assert.deepEqual(d.access, { public: true, expires_at: null });
    assert.deepEqual(d.video, { id: v.public.id, slug: v.public.slug, title: 'Cours <public> & "ouvert"', duration: 8 });
    assert.deepEqual(d.encoding, { status: 'ready', ready: true });
    assert.match(d.hls.master, /\/media\/p\/[0-9a-z]+\/encodings\/\d+\/hls\/master\.m3u8$/);
    assert.deepEqual(d.hls.renditions.map((r: any) => [r.width, r.height, r.bitrate, r.codecs]), [[640, 360, 896000, 'avc1.4d401f,mp4a.40.2']]);
    assert.deepEqual(d.mp4.map((m: any) => [m.height, m.type]), [[360, 'video/mp4']]);
    assert.equal(d.audio.type, 'audio/mp4');
    assert.match(d.poster, /poster\.jpg$/);
    assert.equal(anon.headers.get('cache-control'), 'public, max-age=60');
    assert.match(String(anon.headers.get('vary')), /authorization/);
    const etag = String(anon.headers.get('etag'));
    assert.match(etag, /^"[\w-]{27}"$/);
    // The owner gets the same public URLs (what is cached must not depend on who asked).
    assert.equal((await config(v.public, owner.auth)).body.data.hls.master, d.hls.master);

    const again = await config(v.public, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    await t.request('PATCH', `/api/v1/videos/${v.public.slug}`, { headers: owner.auth, json: { title: 'Renamed' } });
    const changed = await config(v.public, { 'if-none-match': etag });
    assert.equal(changed.status, 200, 'a changed video is a new ETag');
    assert.equal(changed.body.data.video.title, 'Renamed');
    for (const url of [d.hls.master, d.mp4[0].url, d.audio.url, d.poster]) assert.equal((await fetch(url)).status, 200, url);
    // The video JSON (detail and lists) gives the same poster URL as its thumbnail.
    assert.equal((await t.request('GET', `/api/v1/videos/${v.public.slug}`)).body.data.thumbnail, d.poster);
    const listed = (await t.request('GET', '/api/v1/videos')).body.data.find((x: any) => x.id === v.public.id);
    assert.equal(listed.thumbnail, d.poster);
  });

  it('draft: 404 to anonymous and strangers; private signed URLs for the owner, expiring after MEDIA_URL_TTL_S', async () => {
    const anon = await config(v.draft);
    assert.deepEqual([anon.status, anon.body.errors[0].code], [404, 'not_found']);
    assert.equal(JSON.stringify(anon.body).includes('Brouillon'), false);
    assert.equal((await config(v.draft, stranger.auth)).status, 404);
    const mine = await config(v.draft, owner.auth);
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('cache-control'), 'private, no-cache');
    assert.equal(mine.body.data.access.public, false);
    const ttl = (Date.parse(mine.body.data.access.expires_at) - Date.now()) / 1000;
    assert.ok(ttl >= 590 && ttl <= 900 + 5, `expires in ${ttl} s (600 s rounded up to 5 min)`);
    assert.match(mine.body.data.hls.master, /\/media\/t\/[^/]+\/encodings\/\d+\/hls\/master\.m3u8$/);
    assert.equal((await fetch(mine.body.data.hls.master)).status, 200);
  });

  it('restricted: 404 anonymous, signed URLs for any signed-in user', async () => {
    assert.equal((await config(v.restricted)).status, 404);
    const res = await config(v.restricted, stranger.auth);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.access.public, false);
    assert.equal((await fetch(res.body.data.mp4[0].url)).status, 200);
    // The public URL form does not serve this video.
    const publicForm = res.body.data.mp4[0].url.replace(/\/media\/t\/[^/]+\//, '/media/p/0/');
    const denied = await fetch(publicForm);
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as any).errors[0].code, 'media_not_public');
  });

  it('password: 403 password_required until unlocked, then signed URLs; the owner needs no password', async () => {
    const locked = await config(v.password);
    assert.deepEqual([locked.status, locked.body.errors[0].code], [403, 'password_required']);
    assert.equal((await config(v.password, stranger.auth)).status, 403);
    const unlock = await t.request('POST', `/api/v1/videos/${v.password.slug}/unlock`, { json: { password: 'sesame' } });
    const token = unlock.body.data.token;
    for (const res of [await config(v.password, {}, `?token=${token}`), await config(v.password, { 'x-video-token': token })]) {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.access.public, false, 'a password video never gets public URLs');
      assert.equal(res.headers.get('cache-control'), 'private, no-cache');
    }
    assert.equal((await config(v.password, owner.auth)).status, 200);
    // Listed to everyone, but its poster only to who may watch.
    assert.equal((await t.request('GET', `/api/v1/videos/${v.password.slug}`)).body.data.thumbnail, null);
    const unlocked = (await t.request('GET', `/api/v1/videos/${v.password.slug}?token=${token}`)).body.data.thumbnail;
    assert.match(unlocked, new RegExp(`/media/t/${v.password.id}\\.\\d+\\.[\\w-]{22}/encodings/${v.password.id}/poster\\.jpg$`));
    assert.equal((await fetch(unlocked)).status, 200);
    // An unlock token of this video does not open another one.
    assert.equal((await config(v.draft, { 'x-video-token': token })).status, 404);
  });

  it('an unlock token dies when the password is changed, or removed and set again; other edits keep it', async () => {
    const video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Rotated', is_draft: false, password: 'first secret' } })).body.data;
    await markEncoded(t, video.id);
    const unlock = async (password: string) => {
      const res = await t.request('POST', `/api/v1/videos/${video.slug}/unlock`, { json: { password } });
      assert.equal(res.status, 200, res.text);
      return res.body.data.token as string;
    };
    const watch = async (token: string) => (await config(video, { 'x-video-token': token })).status;
    const patch = async (json: Record<string, unknown>) => assert.equal((await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: owner.auth, json })).status, 200);

    const first = await unlock('first secret');
    assert.equal(await watch(first), 200);
    await patch({ title: 'Rotated (edited)' });
    assert.equal(await watch(first), 200, 'an edit that leaves the password alone keeps the unlock');
    await patch({ password: 'second secret' });
    assert.equal(await watch(first), 403, 'the old password no longer opens the video');
    assert.equal((await config(video, {}, `?token=${first}`)).body.errors[0].code, 'password_required');
    const second = await unlock('second secret');
    assert.equal(await watch(second), 200);
    await patch({ password: null });
    await patch({ password: 'second secret' });
    assert.equal(await watch(second), 403, 'removing the password and setting it again (even the same one) ends earlier unlocks');
    assert.equal(await watch(await unlock('second secret')), 200);
  });

  it('a video never encoded: hidden from viewers; its editors get the status and no sources', async () => {
    assert.equal((await config(v.unencoded)).status, 404);
    const res = await config(v.unencoded, owner.auth);
    assert.equal(res.status, 200);
    assert.deepEqual({ ...res.body.data, video: null, access: null }, {
      video: null, access: null, encoding: { status: 'pending', ready: false }, formats: [], hls: null, dash: null, mp4: [], audio: null,
      tracks: [], chapters: [], chapters_vtt: null, poster: null, thumbnails: [], storyboard_vtt: null, overlays: [], links: [], documents: [], contributors: [],
    });
  });

  it('bad input: unknown video 404, malformed ref and token 400/404 with codes', async () => {
    const unknown = await t.request('GET', '/api/v1/videos/999999-nothing/config');
    assert.deepEqual([unknown.status, unknown.body.errors[0].code], [404, 'not_found']);
    const long = await t.request('GET', `/api/v1/videos/${'x'.repeat(5000)}/config`);
    assert.deepEqual([long.status, long.body.errors[0].code], [414, 'uri_too_long']);
    const badToken = await config(v.password, {}, `?token=${'a'.repeat(3000)}`);
    assert.deepEqual([badToken.status, badToken.body.errors[0].field], [400, 'query.token']);
    const post = await t.request('POST', `/api/v1/videos/${v.public.slug}/config`, { json: {} });
    assert.deepEqual([post.status, post.body.errors[0].code], [405, 'method_not_allowed']);
  });
});

describe('oEmbed', () => {
  let t: TestApp;
  let owner: TestUser;
  const v = {} as Kinds;
  const SITE = 'https://video.univ.example';

  before(async () => {
    t = await startTestApp({ env: { FRONTEND_URL: SITE } });
    owner = await createUser(t, 'owner', { is_staff: true });
    for (const [kind, json] of Object.entries({
      public: { title: 'Amphi <b>"A"</b>', is_draft: false },
      draft: { title: 'Brouillon secret', is_draft: true },
      restricted: { title: 'Réservé aux membres', is_draft: false, is_restricted: true },
      password: { title: 'Protégé', is_draft: false, password: 'sesame' },
    })) {
      const video: Video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json })).body.data;
      v[kind as keyof Kinds] = video;
      await markEncoded(t, video.id);
    }
  });
  after(() => t.close());

  const oembed = (url: string, extra = '') => t.request('GET', `/api/v1/oembed?url=${encodeURIComponent(url)}${extra}`);

  it('public video: the bare oEmbed object with an escaped iframe and a thumbnail', async () => {
    const res = await oembed(`${SITE}/video/${v.public.slug}/`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, undefined, 'oEmbed consumers read the object at the top level');
    assert.equal(res.body.type, 'video');
    assert.equal(res.body.version, '1.0');
    assert.equal(res.body.title, 'Amphi <b>"A"</b>');
    assert.equal(res.body.provider_url, SITE);
    assert.equal(res.body.html,
      `<iframe src="${SITE}/video/${v.public.slug}/?is_iframe=true" width="640" height="360" style="border:0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="Amphi &lt;b&gt;&quot;A&quot;&lt;/b&gt;"></iframe>`);
    assert.match(res.body.thumbnail_url, /\/media\/p\/.+poster\.jpg$/);
    assert.equal((await fetch(res.body.thumbnail_url)).status, 200);
    const small = await oembed(`${SITE}/video/${v.public.slug}/`, '&maxwidth=320');
    assert.deepEqual([small.body.width, small.body.height], [320, 180]);
  });

  it('draft and restricted: 404 without the title; password: listed without a thumbnail', async () => {
    for (const kind of ['draft', 'restricted'] as const) {
      const res = await oembed(`${SITE}/video/${v[kind].slug}/`);
      assert.deepEqual([res.status, res.body.errors[0].code], [404, 'not_found'], kind);
      assert.equal(res.text.includes('secret') || res.text.includes('membres'), false, kind);
    }
    const pw = await oembed(`${SITE}/video/${v.password.slug}/`);
    assert.equal(pw.status, 200);
    assert.equal(pw.body.thumbnail_url, undefined, 'the poster of a password video is not public');
  });

  it('bad input → 4xx with a code', async () => {
    const cases: [string, string, number, string][] = [
      ['no url', '/api/v1/oembed', 400, 'validation_error'],
      ['relative url', `/api/v1/oembed?url=${encodeURIComponent('/video/x/')}`, 400, 'invalid_url'],
      ['other host', `/api/v1/oembed?url=${encodeURIComponent(`https://evil.example/video/${v.public.slug}/`)}`, 404, 'not_found'],
      ['not a video page', `/api/v1/oembed?url=${encodeURIComponent(`${SITE}/channels/x/`)}`, 404, 'not_found'],
      ['xml', `/api/v1/oembed?format=xml&url=${encodeURIComponent(`${SITE}/video/${v.public.slug}/`)}`, 501, 'format_not_implemented'],
      ['huge maxwidth', `/api/v1/oembed?maxwidth=1e9&url=${encodeURIComponent(`${SITE}/video/${v.public.slug}/`)}`, 400, 'validation_error'],
      ['wrong type', `/api/v1/oembed?maxwidth=wide&url=${encodeURIComponent(`${SITE}/video/${v.public.slug}/`)}`, 400, 'validation_error'],
      ['huge url', `/api/v1/oembed?url=${encodeURIComponent(`${SITE}/video/${'x'.repeat(3000)}/`)}`, 400, 'validation_error'],
    ];
    for (const [name, path, status, code] of cases) {
      const res = await t.request('GET', path);
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(res.body.errors[0].code, code, name);
    }
  });
});
