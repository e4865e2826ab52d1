// What a frontend builds its pages from: GET /api/v1/info (platform facts,
// form choices, features; ETag → 304) and GET /api/v1/auth/config (sign-in
// methods), on default settings and on a deployment's own; local passwords
// turned off for everyone but superusers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, TEST_PASSWORD, type TestUser } from '../test-support/users.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

describe('platform info and login discovery', { skip: ENGINE_INDEPENDENT }, () => {
  let plain: TestApp, custom: TestApp;
  let student: TestUser, root: TestUser;

  before(async () => {
    [plain, custom] = await Promise.all([
      startTestApp(),
      startTestApp({
        env: {
          PLATFORM_NAME: 'Pod Université', CONTACT_EMAIL: 'pod@univ.example', COMMENTS_ENABLED: 'false', SMTP_URL: 'smtp://127.0.0.1:9',
          OIDC_ISSUER: 'https://idp.univ.example', OIDC_CLIENT_ID: 'pod', OIDC_CLIENT_SECRET: 'secret', OIDC_DISPLAY_NAME: 'Compte université',
          LOCAL_AUTH_ENABLED: 'false', RETENTION_AFFILIATION_YEARS: 'faculty:4', RETENTION_ACTION: 'delete', UPLOAD_ALLOWED_EXTENSIONS: 'mp4,webm',
          UPLOAD_STAFF_ONLY: 'true', FRONTEND_URL: 'https://pod.univ.example',
        },
      }),
    ]);
    // Signed in while still a superuser (local passwords are off for the others), then an ordinary account.
    student = await createUser(custom, 'student', { is_superuser: true });
    await custom.app.dbh.db.updateTable('users').set({ is_superuser: false }).where('id', '=', student.id).execute();
    root = await createUser(custom, 'root', { is_superuser: true });
  });
  after(async () => {
    await plain.close();
    await custom.close();
  });

  it('GET /info: forms and limits from the configuration, public, the same for everyone', async () => {
    const res = await plain.request('GET', '/api/v1/info');
    assert.equal(res.status, 200, res.text);
    const info = res.body.data;
    assert.equal(info.platform.name, 'Pod');
    assert.equal(info.platform.contact_email, null);
    assert.equal(info.uploads.protocol, 'tus-1.0.0');
    assert.equal(info.uploads.max_bytes, 20 * 1024 ** 3);
    assert.ok(info.uploads.allowed_extensions.includes('mp4') && info.uploads.allowed_extensions.includes('flac'));
    assert.deepEqual(info.video_form.licences.map((l: any) => l.code), ['by', 'by-nd', 'by-nc-nd', 'by-nc', 'by-nc-sa', 'by-sa']);
    assert.match(info.video_form.licences[0].labels.en, /CC BY 4\.0/);
    assert.deepEqual(info.video_form.cursus.map((c: any) => c.code), ['0', 'L', 'M', 'D', '1']);
    assert.equal(info.video_form.languages[0].labels.fr, 'Français');
    assert.deepEqual(info.encoding, { backend: 'pod', formats: ['hls', 'dash', 'mp4'] });
    assert.deepEqual([info.features.comments, info.features.oidc, info.features.local_auth, info.features.email_notifications, info.features.retention],
      [true, false, true, false, true]);
    assert.deepEqual(info.retention, { action: 'archive', default_years: 2, by_affiliation: {}, max_years: 10, warn_days: 30 });
    assert.match(res.headers.get('cache-control')!, /public, max-age=300/);

    const mine = await custom.request('GET', '/api/v1/info', { headers: student.auth });
    const c = mine.body.data;
    assert.deepEqual([c.platform.name, c.platform.contact_email, c.platform.frontend_url], ['Pod Université', 'pod@univ.example', 'https://pod.univ.example']);
    assert.deepEqual(c.uploads.allowed_extensions, ['mp4', 'webm']);
    assert.equal(c.uploads.staff_only, true);
    assert.deepEqual([c.features.comments, c.features.oidc, c.features.local_auth, c.features.email_notifications], [false, true, false, true]);
    assert.deepEqual(c.retention.by_affiliation, { faculty: 4 });
    assert.equal(c.retention.action, 'delete');
    assert.deepEqual((await custom.request('GET', '/api/v1/info')).body, mine.body, 'anonymous callers get the same');
    assert.notEqual(mine.headers.get('etag'), res.headers.get('etag'), 'another configuration, another ETag');
  });

  it('GET /info: If-None-Match answers 304 with no body; a stale tag gets the document', async () => {
    const first = await plain.request('GET', '/api/v1/info');
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^"[\w-]{27}"$/);
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const again = await plain.request('GET', '/api/v1/info', { headers: { 'if-none-match': tag } });
      assert.equal(again.status, 304, tag);
      assert.equal(again.text, '');
      assert.equal(again.headers.get('etag'), etag);
    }
    assert.equal((await plain.request('GET', '/api/v1/info', { headers: { 'if-none-match': '"stale"' } })).status, 200);
    const post = await plain.request('POST', '/api/v1/info', { json: {} });
    assert.ok(post.status >= 400 && post.status < 500);
    assert.equal(post.body.status, 'error');
  });

  it('GET /auth/config: local only by default; SSO first with its display name when configured; Pod\'s use_* flags', async () => {
    const res = await plain.request('GET', '/api/v1/auth/config');
    assert.equal(res.status, 200);
    const d = res.body.data;
    assert.deepEqual([d.use_local, d.use_oidc, d.use_cas, d.use_shibboleth, d.oidc_name], [true, false, false, false, null]);
    assert.deepEqual(d.methods, [{ id: 'local', display_name: 'Local account', kind: 'password', token_url: '/api/v1/auth/token', session_url: '/api/v1/auth/session' }]);
    assert.equal(d.logout_url, '/api/v1/auth/logout');
    const sso = (await custom.request('GET', '/api/v1/auth/config', { headers: student.auth })).body.data;
    assert.deepEqual([sso.use_local, sso.use_oidc, sso.oidc_name], [false, true, 'Compte université']);
    assert.deepEqual(sso.methods.map((m: any) => [m.id, m.kind]), [['oidc', 'redirect'], ['local', 'password']]);
    assert.equal(sso.methods[0].login_url, '/api/v1/auth/oidc/login');
    assert.equal(sso.methods[1].superusers_only, true);
  });

  it('LOCAL_AUTH_ENABLED=false: a local password opens only superusers\' accounts (the way back in when SSO is down)', async () => {
    const refused = await custom.request('POST', '/api/v1/auth/token', { json: { username: 'student', password: TEST_PASSWORD } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errors[0].code, 'local_auth_disabled');
    const session = await custom.request('POST', '/api/v1/auth/session', { json: { username: 'student', password: TEST_PASSWORD } });
    assert.equal(session.body.errors[0].code, 'local_auth_disabled');
    assert.equal((await custom.request('POST', '/api/v1/auth/token', { json: { username: 'student', password: 'wrong password' } })).body.errors[0].code, 'invalid_credentials');
    assert.equal((await custom.request('POST', '/api/v1/auth/token', { json: { username: 'root', password: TEST_PASSWORD } })).status, 200);
    // Tokens already issued keep working: the switch is about how one signs in.
    assert.equal((await custom.request('GET', '/api/v1/users/me', { headers: student.auth })).status, 200);
  });
});
