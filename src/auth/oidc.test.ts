// SSO end to end: our app ↔ a real OpenID Provider, through the provider's
// own login and consent screens, authorization code + PKCE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { Browser, startOidcProvider } from '../test-support/oidc-provider.ts';
import { createUser } from '../test-support/users.ts';

// The provider redirects to PUBLIC_URL's origin; the test browser maps that
// origin onto the app's real loopback address.
const PUBLIC_URL = 'http://pod.test.invalid';

describe('OpenID Connect sign-in', () => {
  let t: TestApp;
  let op: Awaited<ReturnType<typeof startOidcProvider>>;
  before(async () => {
    op = await startOidcProvider({
      clientId: 'pod-api',
      clientSecret: 'pod-api-secret-0123456789',
      redirectUri: `${PUBLIC_URL}/api/v1/auth/oidc/callback`,
      accounts: [
        { sub: 'u-1001', preferred_username: 'jdupont', given_name: 'Jeanne', family_name: 'Dupont', email: 'jeanne.dupont@univ.example', affiliation: ['faculty', 'member'], groups: ['L3-MATHS', 'ENSEIGNANTS'] },
        { sub: 'u-2002', preferred_username: 'etudiant1', given_name: 'Eric', family_name: 'Tudiant', email: 'eric@etu.univ.example', affiliation: ['student'] },
        { sub: 'u-3003', preferred_username: 'admin' },
      ],
    });
    t = await startTestApp({
      env: {
        PUBLIC_URL, OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: 'pod-api', OIDC_CLIENT_SECRET: 'pod-api-secret-0123456789',
        OIDC_ALLOW_HTTP: 'true', COOKIE_SECURE: 'false', FRONTEND_URL: 'http://localhost:5173',
        CORS_ORIGINS: 'http://localhost:5173',
      },
    });
    await createUser(t, 'admin', { is_superuser: true });
  });
  after(async () => {
    await t?.close();
    await op?.close();
  });

  const onApp = (url: string) => url.replace(PUBLIC_URL, t.url);

  /** Runs the whole browser dance; returns the final redirect and the browser. */
  async function ssoLogin(sub: string, next?: string, json = false) {
    const browser = new Browser();
    const accept = { accept: json ? 'application/json' : 'text/html' };
    const start = await browser.fetch(`${t.url}/api/v1/auth/oidc/login${next ? `?next=${encodeURIComponent(next)}` : ''}`, { headers: accept });
    assert.equal(start.status, json ? 200 : 302);
    let location = json ? ((await start.json()) as any).data.authorization_url : start.headers.get('location')!;
    assert.ok(location.startsWith(op.issuer), location);
    const authz = new URL(location);
    assert.equal(authz.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authz.searchParams.get('code_challenge'));
    // Copy our app's cookies to the real app origin key (the test maps PUBLIC_URL → t.url).
    for (let hop = 0; hop < 12; hop++) {
      if (location.startsWith(PUBLIC_URL)) break;
      let res = await browser.fetch(new URL(location, op.issuer));
      if (res.status === 200) {
        const html = await res.text();
        const uid = /action="[^"]*\/interaction\/([^"/]+)"/.exec(html)?.[1];
        assert.ok(uid, 'provider interaction page');
        const isLogin = /name="login"/.test(html);
        const form: Record<string, string> = isLogin ? { prompt: 'login', login: sub, password: 'any' } : { prompt: 'consent' };
        res = await browser.fetch(`${op.issuer}/interaction/${uid}`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(),
        });
      }
      assert.ok([302, 303].includes(res.status), `provider hop ${hop}: ${res.status}`);
      location = new URL(res.headers.get('location')!, op.issuer).href;
    }
    assert.ok(location.startsWith(`${PUBLIC_URL}/api/v1/auth/oidc/callback?`), location);
    const callback = await browser.fetch(onApp(location), { headers: accept });
    return { browser, callback };
  }

  it('advertises itself', async () => {
    const res = await t.request('GET', '/api/v1/auth/oidc');
    assert.deepEqual(res.body.data, { enabled: true, login_url: '/api/v1/auth/oidc/login', issuer: op.issuer });
  });

  it('round trip: first login creates the user (faculty → staff, groups synced) and opens a cookie session', async () => {
    const { browser, callback } = await ssoLogin('u-1001', 'http://localhost:5173/my-videos');
    assert.equal(callback.status, 302, await callback.clone().text());
    assert.equal(callback.headers.get('location'), 'http://localhost:5173/my-videos');
    const me = await browser.fetch(`${t.url}/api/v1/users/me`);
    assert.equal(me.status, 200);
    const user = ((await me.json()) as any).data;
    assert.equal(user.username, 'jdupont');
    assert.equal(user.first_name, 'Jeanne');
    assert.equal(user.email, 'jeanne.dupont@univ.example');
    assert.equal(user.auth_type, 'oidc');
    assert.equal(user.affiliation, 'faculty');
    assert.equal(user.is_staff, true);
    assert.deepEqual(user.groups, ['ENSEIGNANTS', 'L3-MATHS']);
  });

  it('a client asking for JSON gets the provider URL and the destination instead of redirects, and is signed in', async () => {
    const { browser, callback } = await ssoLogin('u-2002', '/videos/mine', true);
    assert.equal(callback.status, 200);
    assert.deepEqual(((await callback.json()) as any).data, { next: `${PUBLIC_URL}/videos/mine` });
    const me = await browser.fetch(`${t.url}/api/v1/users/me`);
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as any).data.username, 'etudiant1');
  });

  it('a student is not staff; a second login reuses the same account', async () => {
    const first = await ssoLogin('u-2002');
    assert.equal(first.callback.status, 302);
    assert.equal(first.callback.headers.get('location'), 'http://localhost:5173');
    const me1 = ((await (await first.browser.fetch(`${t.url}/api/v1/users/me`)).json()) as any).data;
    assert.equal(me1.is_staff, false);
    const second = await ssoLogin('u-2002');
    const me2 = ((await (await second.browser.fetch(`${t.url}/api/v1/users/me`)).json()) as any).data;
    assert.equal(me2.id, me1.id);
    const count = await t.app.dbh.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('username', '=', 'etudiant1').executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  it('a same-site path is kept, and the callback sends the browser to it on this site', async () => {
    const { callback } = await ssoLogin('u-2002', '/videos/0042-intro?t=30#chapters');
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.get('location'), `${PUBLIC_URL}/videos/0042-intro?t=30#chapters`);
  });

  it('an SSO login cannot take over a local superuser account', async () => {
    const { callback } = await ssoLogin('u-3003');
    assert.equal(callback.status, 409);
    assert.equal(((await callback.json()) as any).errors[0].code, 'sso_account_conflict');
  });

  it('refuses a callback without the flow cookie, a forged state, and open redirects', async () => {
    const noCookie = await t.request('GET', '/api/v1/auth/oidc/callback?code=abc&state=xyz');
    assert.equal(noCookie.status, 400);
    assert.equal(noCookie.body.errors[0].code, 'sso_state_missing');

    const browser = new Browser();
    await browser.fetch(`${t.url}/api/v1/auth/oidc/login`);
    const forged = await browser.fetch(`${t.url}/api/v1/auth/oidc/callback?code=abc&state=not-the-state`);
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as any).errors[0].code, 'sso_failed');

    // Each of these is another host once a browser has parsed it (tabs and newlines dropped,
    // backslashes read as slashes, `//` starting an authority), or not a web page at all.
    const unsafe = [
      'https://evil.example/phish', '//evil.example/x', '/\t/evil.example/', '/\n/evil.example/', '/\r\n/evil.example',
      '/\\evil.example/', '\\\\evil.example', '/\\/evil.example', '\\/evil.example', ' //evil.example', '\t//evil.example',
      'https:evil.example', 'http:/\\evil.example', 'javascript:alert(1)', 'data:text/html,hi', 'http://localhost:5173@evil.example/',
      'http://localhost:5173.evil.example/', '/\u0001/evil.example', '/\u007f/evil.example',
    ];
    for (const next of unsafe) {
      const res = await t.request('GET', `/api/v1/auth/oidc/login?next=${encodeURIComponent(next)}`);
      assert.equal(res.status, 400, JSON.stringify(next));
      assert.equal(res.body.errors[0].code, 'unsafe_redirect', JSON.stringify(next));
      assert.equal(res.headers.get('set-cookie'), null, 'no sign-in flow starts');
    }
    const denied = await t.request('GET', '/api/v1/auth/oidc/callback?error=access_denied&state=x');
    assert.equal(denied.status, 401);
  });
});

describe('OpenID Connect disabled', () => {
  it('answers 404 sso_disabled and says so', async () => {
    const t = await startTestApp();
    try {
      assert.equal((await t.request('GET', '/api/v1/auth/oidc')).body.data.enabled, false);
      const res = await t.request('GET', '/api/v1/auth/oidc/login');
      assert.equal(res.status, 404);
      assert.equal(res.body.errors[0].code, 'sso_disabled');
    } finally {
      await t.close();
    }
  });
});
