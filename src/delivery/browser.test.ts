// A real player on a real page: headless Chromium (Debian's) loads a page on
// another origin, which asks the config endpoint (CORS, bearer token) for a
// private video that the reference encoder really encoded, and plays its
// signed HLS through hls.js until the media element can play
// (readyState ≥ 3). Needs chromium and ffmpeg (skipped with a reason
// without them; .ci/run installs both).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { runEncoder } from '../encoder/worker.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { makeClip } from '../test-support/media.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) ? 'chromium is not installed (apt-get install chromium)'
  : spawnSync('ffmpeg', ['-version']).status !== 0 ? 'ffmpeg is not installed (apt-get install ffmpeg)' : undefined;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'browser-registration-token-0123456789';

const PAGE = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" muted playsinline width="320" height="180"></video>
<script src="/hls.min.js"></script>
<script>
  window.report = { errors: [] };
  const q = new URLSearchParams(location.search);
  (async () => {
    const res = await fetch(q.get('api') + '/api/v1/videos/' + q.get('slug') + '/config', { headers: { authorization: 'Bearer ' + q.get('token') } });
    const cfg = (await res.json()).data;
    window.report.master = cfg.hls.master;
    window.report.public = cfg.access.public;
    const video = document.getElementById('v');
    const hls = new Hls();
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.report.errors.push(d.type + ':' + d.details); });
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch((e) => window.report.errors.push('play:' + e.message)));
    hls.loadSource(cfg.hls.master);
    hls.attachMedia(video);
  })().catch((e) => window.report.errors.push('page:' + e.message));
</script>`;

describe('browser playback of a private video (hls.js in headless Chromium)', { skip }, () => {
  let t: TestApp;
  let teacher: TestUser;
  let page: Server;
  let pageOrigin: string;
  let browser: Browser;
  let dir: string;
  let slug: string;

  before(async () => {
    const hlsJs = await readFile(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
    page = createServer((req, res) => {
      if (req.url === '/hls.min.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageOrigin = `http://127.0.0.1:${(page.address() as { port: number }).port}`;

    dir = await mkdtemp(path.join(tmpdir(), 'pod-browser-'));
    const file = path.join(dir, 'clip.mp4');
    makeClip(file, { seconds: 6, size: '320x180' });

    t = await startTestApp({ env: { CORS_ORIGINS: pageOrigin, ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION } });
    teacher = await createUser(t, 'teacher', { is_staff: true });
    const done = await tusUpload(t, await readFile(file), { headers: teacher.auth, metadata: { filename: 'cours.mp4', title: 'Cours privé' } });
    assert.equal(done.status, 204, done.body);
    slug = done.headers['x-video-slug']!;

    const stop = new AbortController();
    const encoder = runEncoder({ apiUrl: t.url, registrationToken: REGISTRATION, webhookSecret: SECRET, name: 'browser' }, stop.signal).catch(() => {});
    const deadline = Date.now() + 90_000;
    let status = '';
    while (Date.now() < deadline && status !== 'ready' && status !== 'error') {
      await new Promise((r) => setTimeout(r, 250));
      status = (await t.request('GET', `/api/v1/videos/${slug}`, { headers: teacher.auth })).body.data.encoding.status;
    }
    stop.abort();
    await encoder;
    assert.equal(status, 'ready');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((r) => page?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plays through the config endpoint with signed URLs and reaches readyState ≥ 3', { timeout: 60_000 }, async () => {
    const tab = await browser.newPage();
    const media: string[] = [];
    tab.on('response', (r) => { if (r.url().includes('/media/')) media.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    const q = new URLSearchParams({ api: t.url, slug, token: teacher.token });
    await tab.goto(`${pageOrigin}/?${q}`);
    try {
      await tab.waitForFunction('document.getElementById("v").readyState >= 3', undefined, { timeout: 30_000 });
    } catch (err) {
      const report = await tab.evaluate('window.report') as any;
      assert.fail(`the video did not become playable: ${JSON.stringify({ report, media })} ${err}`);
    }
    const report = await tab.evaluate('window.report') as any;
    assert.equal(report.public, false, 'a draft gets signed URLs');
    assert.match(report.master, /\/media\/t\/[^/]+\/encodings\/\d+\/hls\/master\.m3u8$/);
    assert.deepEqual(report.errors, []);
    assert.ok(media.some((m) => /^200 \/media\/t\/.+\.(ts|m4s)$/.test(m)), `segments fetched under the signed prefix: ${media.join(', ')}`);
    assert.ok(media.every((m) => m.startsWith('200 ') || m.startsWith('206 ')), media.join(', '));
    // Page code as text: this file is type-checked without the DOM library.
    const played = await tab.evaluate(`(async () => {
      const v = document.getElementById('v');
      const start = v.currentTime;
      await new Promise((r) => setTimeout(r, 1500));
      return { start, now: v.currentTime, paused: v.paused, w: v.videoWidth, h: v.videoHeight };
    })()`) as { start: number; now: number; w: number; h: number };
    assert.ok(played.now > played.start, `time advances: ${JSON.stringify(played)}`);
    assert.deepEqual([played.w, played.h], [320, 180]);
  });
});
