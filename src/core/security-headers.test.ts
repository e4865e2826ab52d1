// Security headers on every kind of answer, and the one HTML page (the API
// docs) still working under the CSP in a real browser.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser } from '../test-support/users.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('security headers', { skip: ENGINE_INDEPENDENT }, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const expectHardened = (h: Headers, what: string) => {
    const csp = h.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/, what);
    assert.match(csp, /frame-ancestors 'none'/, what);
    assert.match(csp, /object-src 'none'/, what);
    assert.equal(h.get('x-content-type-options'), 'nosniff', what);
    assert.equal(h.get('x-frame-options'), 'DENY', what);
    assert.equal(h.get('referrer-policy'), 'no-referrer', what);
    assert.match(h.get('strict-transport-security') ?? '', /max-age=\d+/, what);
    assert.equal(h.get('x-powered-by'), null, what);
  };

  it('on success, error, unknown-route and crash-free 4xx answers', async () => {
    for (const [method, path, status] of [['GET', '/api/v1/health', 200], ['GET', '/nope', 404], ['POST', '/api/v1/auth/token', 400], ['GET', '/api/v1/openapi.json', 200]] as const) {
      const res = await t.request(method, path, method === 'POST' ? { json: {} } : {});
      assert.equal(res.status, status, path);
      expectHardened(res.headers, path);
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-site', path);
    }
  });

  it('media answers may be embedded by players on any origin', async () => {
    const owner = await createUser(t, 'owner', { is_staff: true });
    const video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'x', is_draft: false } })).body.data;
    await markEncoded(t, video.id);
    const cfg = (await t.request('GET', `/api/v1/videos/${video.slug}/config`)).body.data;
    const poster = await fetch(cfg.poster);
    assert.equal(poster.status, 200);
    assert.equal(poster.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(poster.headers.get('access-control-allow-origin'), '*');
    assert.equal(poster.headers.get('x-content-type-options'), 'nosniff');
  });

  it('the API docs page renders under the CSP (headless Chromium)', { skip: !existsSync(CHROMIUM) && 'chromium is not installed' }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
      // Swagger UI renders only the tags in view for a document this size: a deep link brings one in.
      await page.goto(`${t.url}/api/docs#/videos`);
      await page.waitForSelector('.opblock-tag[data-tag="videos"]', { timeout: 20_000 });
      const tags = await page.locator('.opblock-tag').allTextContents();
      assert.ok(tags.some((x) => /^videos/.test(x)), tags.join(', '));
      assert.ok(await page.locator('.opblock').count() > 0, 'its operations are listed');
      assert.deepEqual(violations, []);
    } finally {
      await browser.close();
    }
  });
});
