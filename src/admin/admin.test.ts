// The administration SPA end to end, in Debian's headless Chromium: an admin
// signs in (session + CSRF), creates a channel and a theme in it, renames a
// video and transfers its ownership, finds a
// failed encoding job and retries it — each checked through the API; a
// screenshot of the jobs page goes to docs/. A teacher who opens /admin gets
// no data. Needs chromium (skipped with a reason without it) and the built
// SPA (`npm test` builds it).
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { markEncoded } from '../test-support/encoded.ts';
import { wavBuffer } from '../test-support/media.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

const CHROMIUM = '/usr/bin/chromium';
const BUILT = existsSync(fileURLToPath(new URL('../../admin/dist/index.html', import.meta.url)));
const skip = !existsSync(CHROMIUM) ? 'chromium is not installed (apt-get install chromium)' : !BUILT ? 'the admin is not built (npm run build:admin)' : undefined;
// The README's screenshot is refreshed with ADMIN_SCREENSHOT=1; otherwise it goes to a temporary file.
const SCREENSHOT = process.env.ADMIN_SCREENSHOT ? fileURLToPath(new URL('../../docs/admin-jobs.png', import.meta.url)) : path.join(tmpdir(), `pod-admin-jobs-${process.pid}.png`);

describe('administration SPA in headless Chromium', { skip: skip || ENGINE_INDEPENDENT }, () => {
  let t: TestApp;
  let browser: Browser;
  let admin: TestUser, teacher: TestUser;
  let video: { id: number; slug: string };
  let failed: { id: number; slug: string };

  before(async () => {
    t = await startTestApp({ env: { COOKIE_SECURE: 'false' } });
    admin = await createUser(t, 'admin', { is_superuser: true, is_staff: true });
    teacher = await createUser(t, 'teacher', { is_staff: true });
    video = (await t.request('POST', '/api/v1/videos', { headers: teacher.auth, json: { title: 'Old title', is_draft: false } })).body.data;
    const done = await tusUpload(t, wavBuffer(64 * 1024), { headers: teacher.auth, metadata: { filename: 'cours.wav', title: 'Broken lecture' } });
    failed = { id: Number(done.headers['x-video-id']), slug: done.headers['x-video-slug']! };
    await t.app.dbh.db.updateTable('videos').set({ encoding_status: 'error', encoding_error_code: 'ffmpeg_failed', encoding_error_message: 'Invalid data found' })
      .where('id', '=', failed.id).execute();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(username: string, locale = 'en-US') {
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${t.url}/admin`);
    await page.locator('input[name="username"]').fill(username);
    await page.locator('input[name="password"]').fill('correct horse battery staple');
    await page.locator('button[type="submit"]').click();
    return { context, page };
  }

  it('an admin creates a channel, renames a video, retries a failed job', { timeout: 90_000 }, async () => {
    const { context, page } = await signIn('admin');
    await page.locator('[data-testid="platform-figures"]').waitFor({ timeout: 20_000 }); // the dashboard: home after sign-in

    await page.goto(`${t.url}/admin/#/channels/create`);
    await page.locator('input[name="title"]').fill('Physique quantique');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.hash.startsWith('#/channels/') && u.hash !== '#/channels/create', { timeout: 10_000 });
    await expectEventually(async () => (await t.request('GET', '/api/v1/channels')).body.data.some((c: any) => c.title === 'Physique quantique'));
    // A theme, from the channel's page.
    const slug = (await t.request('GET', '/api/v1/channels')).body.data.find((c: any) => c.title === 'Physique quantique').slug;
    await page.goto(`${t.url}/admin/#/channels/${slug}`);
    await page.getByRole('link', { name: 'Create' }).click();
    // The channel's own form has a title input too: filling before the theme form replaced it renamed
    // the channel instead (CI, loaded). The theme form is the one whose channel field is prefilled.
    await page.waitForURL((u) => u.hash.startsWith('#/themes/create'), { timeout: 10_000 });
    await expectEventually(async () => (await page.locator('input[name="channel"]').inputValue({ timeout: 10_000 })) === slug);
    await page.locator('input[name="title"]').fill('Intrication');
    await page.locator('button[type="submit"]').click();
    await expectEventually(async () => (await t.request('GET', `/api/v1/channels/${slug}/themes`)).body.data.some((th: any) => th.title === 'Intrication'));
    await page.getByText('Intrication').first().waitFor();
    // The list's search filter.
    await page.goto(`${t.url}/admin/#/channels`);
    await page.locator('input[name="q"]').fill('quantique');
    await page.getByText('Physique quantique').first().waitFor();
    await page.locator('input[name="q"]').fill('zzz-nothing');
    await page.getByText('Physique quantique').first().waitFor({ state: 'detached' });

    await page.goto(`${t.url}/admin/#/videos/${video.id}`);
    const title = page.locator('input[name="title"]');
    await title.waitFor();
    await title.fill('Introduction à la mécanique');
    await page.locator('input[name="owner"]').fill('admin'); // ownership transfer
    await page.locator('button[type="submit"]').click();
    await expectEventually(async () => {
      const v = (await t.request('GET', `/api/v1/videos/${video.id}`, { headers: admin.auth })).body.data;
      return v.title === 'Introduction à la mécanique' && v.owner.username === 'admin';
    });
    // The edit page redirects to the list once the browser has the answer, which can come after the
    // database shows the change: leaving before that redirect let it carry the jobs page away (CI, loaded).
    await page.waitForURL((u) => u.hash === '#/videos', { timeout: 10_000 });

    await page.goto(`${t.url}/admin/#/jobs`);
    await page.getByText('ffmpeg_failed: Invalid data found').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 10_000, 'a screenshot of the jobs page');
    await page.getByRole('row').filter({ hasText: 'ffmpeg_failed' }).getByRole('button', { name: 'Retry' }).click();
    await expectEventually(async () => (await t.request('GET', `/api/v1/videos/${failed.slug}`, { headers: teacher.auth })).body.data.encoding.status === 'queued');
    await context.close();
  });

  it('an admin sees a video\'s enrichments on its page, hides a comment and deletes a contributor', { timeout: 60_000 }, async () => {
    const v = (await t.request('POST', '/api/v1/videos', { headers: teacher.auth, json: { title: 'Enriched', is_draft: false } })).body.data;
    await markEncoded(t, v.id);
    const base = `/api/v1/videos/${v.id}`;
    const h = teacher.auth;
    const comment = await t.request('POST', `${base}/comments`, { headers: h, json: { content: 'Une remarque déplacée' } });
    assert.equal(comment.status, 201, comment.text);
    await t.request('POST', `${base}/notes`, { headers: h, json: { note: 'Note partagée', is_public: true } });
    await t.request('POST', `${base}/contributors`, { headers: h, json: { name: 'Ada Lovelace', role: 'author', email_address: 'ada@univ.example' } });
    await t.request('POST', `${base}/overlays`, { headers: h, json: { title: 'Rappel', time_start: 0, time_end: 5, content: '<b>Rappel</b>' } });
    await t.request('POST', `${base}/links`, { headers: h, json: { url: 'https://univ.example/tp', label: 'Le TP', time_start: 1 } });
    await t.request('POST', `${base}/documents?filename=enonce.txt&title=Énoncé`, { headers: { ...h, 'content-type': 'text/plain' }, body: 'Énoncé du TP' });
    const { context, page } = await signIn('admin');
    await page.locator('[data-testid="platform-figures"]').waitFor({ timeout: 20_000 });
    await page.goto(`${t.url}/admin/#/videos/${v.id}`);
    for (const text of ['Une remarque déplacée', 'Note partagée', 'Ada Lovelace, author <ada@univ.example>', 'Rappel', 'Le TP', 'Énoncé (enonce.txt']) {
      await page.getByText(text).first().waitFor({ timeout: 10_000 });
    }
    await page.locator('[data-enrichment="comments"] button', { hasText: 'Hide' }).click();
    await expectEventually(async () => (await t.request('GET', `${base}/comments`, { headers: admin.auth })).body.data[0]?.is_hidden === true);
    assert.equal((await t.request('GET', `${base}/comments`)).body.data.length, 0, 'hidden from viewers');
    await page.locator('[data-enrichment="contributors"] button', { hasText: 'Delete' }).click();
    await expectEventually(async () => (await t.request('GET', `${base}/contributors`)).body.data.length === 0);
    await context.close();
  });

  it('a manager reads the platform statistics and promotes a playlist', { timeout: 60_000 }, async () => {
    const playlist = (await t.request('POST', '/api/v1/playlists', { headers: teacher.auth, json: { title: 'Best of physics', visibility: 'public' } })).body.data;
    const { context, page } = await signIn('admin');
    const videos = page.locator('[data-figure="videos"]');
    await videos.waitFor({ timeout: 20_000 });
    const platform = (await t.request('GET', '/api/v1/statistics', { headers: admin.auth })).body.data;
    assert.equal(await videos.textContent(), platform.videos.toLocaleString('en-US'));
    assert.equal(await page.locator('a[href="/api/v1/statistics?format=csv"]').count(), 1, 'the CSV export');
    await page.goto(`${t.url}/admin/#/playlists`);
    await page.getByRole('row').filter({ hasText: 'Best of physics' }).getByRole('button', { name: 'Promote' }).click();
    await expectEventually(async () => (await t.request('GET', `/api/v1/playlists/${playlist.slug}`)).body.data.promoted === true);
    await context.close();
  });

  it('the audit trail: who changed a video\'s access, with before and after', { timeout: 60_000 }, async () => {
    assert.equal((await t.request('PATCH', `/api/v1/videos/${video.id}`, { headers: admin.auth, json: { password: 'for the jury' } })).status, 200);
    const { context, page } = await signIn('admin');
    // Signed in once the dashboard shows (else the sign-in's own redirect to it may come after ours).
    await page.locator('[data-figure="videos"]').waitFor({ timeout: 20_000 });
    const listed = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/audit', { timeout: 20_000 });
    await page.goto(`${t.url}/admin/#/audit`);
    const answer = await listed;
    assert.equal(answer.status(), 200, await answer.text());
    const row = page.locator('tr', { hasText: 'video.acl_changed' }).first();
    try {
      await row.waitFor({ timeout: 20_000 });
      assert.match(await row.innerText(), /password: "none" → "set"/);
    } catch (err) {
      // What the page showed instead, for whoever reads a failure.
      throw new Error(`${(err as Error).message}\npage: ${(await page.locator('body').innerText()).slice(0, 2000)}\napi: ${(await answer.text()).slice(0, 1000)}`);
    }
    await context.close();
  });

  it('the French interface', async () => {
    const { context, page } = await signIn('admin', 'fr-FR');
    await page.getByText("Tâches d'encodage").first().waitFor({ timeout: 20_000 });
    await context.close();
  });

  it('a teacher who opens /admin gets no data', async () => {
    const { context, page } = await signIn('teacher');
    const answers: string[] = [];
    page.on('response', (r) => { if (r.url().includes('/api/v1/') && !r.url().includes('/auth/')) answers.push(`${r.status()} ${new URL(r.url()).pathname}`); });
    await page.getByText('Administrators only').first().waitFor({ timeout: 10_000 });
    await page.goto(`${t.url}/admin/#/users`);
    await page.locator('input[name="username"]').waitFor({ timeout: 10_000 }); // back to the sign-in form
    assert.deepEqual(answers.filter((a) => a.startsWith('200')), [], answers.join(', '));
    // And the API itself refuses the teacher's own session, whatever the page does.
    const usersAsTeacher = await t.request('GET', '/api/v1/users', { headers: teacher.auth });
    assert.equal(usersAsTeacher.status, 403);
    await context.close();
  });
});

async function expectEventually(check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('condition not reached in time');
}
