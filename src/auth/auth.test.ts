// Tokens, rotation, revocation, cookie sessions with CSRF, CORS, rate limits,
// all through HTTP against the running app and a real database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { browserLogin, createUser, TEST_PASSWORD, type TestUser } from '../test-support/users.ts';

const TEN_MB = 'u'.repeat(10 * 1024 * 1024);

function b64(obj: unknown) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

describe('token authentication', () => {
  let t: TestApp;
  let alice: TestUser;
  before(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://spa.univ.example,http://localhost:5173' } });
    alice = await createUser(t, 'alice', { is_staff: true });
    await createUser(t, 'ghost', { is_active: false });
  });
  after(() => t.close());

  const token = (username: string, password = TEST_PASSWORD) =>
    t.request('POST', '/api/v1/auth/token', { json: { username, password } });
  const me = (authorization: string) => t.request('GET', '/api/v1/users/me', { headers: { authorization } });

  it('issues an access + refresh pair for the right password; the access token reads /users/me', async () => {
    const res = await token('alice');
    assert.equal(res.status, 200);
    const d = res.body.data;
    assert.equal(d.token_type, 'Bearer');
    assert.equal(d.expires_in, 900);
    assert.equal(d.user.username, 'alice');
    assert.equal(d.user.is_staff, true);
    assert.equal('password_hash' in d.user, false);
    const mine = await me(`Bearer ${d.access_token}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.data.username, 'alice');
    assert.ok(mine.body.data.last_login);
  });

  it('usernames are case-insensitive', async () => {
    assert.equal((await token('ALICE')).status, 200);
  });

  it('wrong password, unknown user and disabled account all answer 401 invalid_credentials', async () => {
    for (const [u, p] of [['alice', 'wrong password'], ['nobody', TEST_PASSWORD], ['ghost', TEST_PASSWORD]] as const) {
      const res = await token(u, p);
      assert.equal(res.status, 401, `${u}`);
      assert.equal(res.body.errors[0].code, 'invalid_credentials');
    }
  });

  it('no credentials on a protected route → 401 not_authenticated', async () => {
    const res = await t.request('GET', '/api/v1/users/me');
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].code, 'not_authenticated');
  });

  it('rejects malformed, tampered, expired, alg:none, wrong-key and wrong-algorithm tokens', async () => {
    const good = alice.token;
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, string][] = [
      ['malformed header', 'Token abc', 'invalid_token'],
      ['not a JWT', 'Bearer abc', 'invalid_token'],
      ['tampered payload', `Bearer ${h}.${b64({ ...claims, sub: '999' })}.${s}`, 'invalid_token'],
      ['tampered signature', `Bearer ${h}.${p}.${s.slice(0, -4)}AAAA`, 'invalid_token'],
      ['alg none', `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`, 'invalid_token'],
      ['wrong key', `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new Uint8Array(32))}`, 'invalid_token'],
      ['HS512 with the right key', `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'at+jwt' }).sign(t.app.keys.jwt)}`, 'invalid_token'],
      ['expired', `Bearer ${await new SignJWT({ ...claims, iat: now - 3600, exp: now - 60 }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(t.app.keys.jwt)}`, 'token_expired'],
    ];
    // Control: the same signing path with valid claims is accepted, so the cases above fail for their own reason.
    const control = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(t.app.keys.jwt);
    assert.equal((await me(`Bearer ${control}`)).status, 200);
    for (const [name, header, code] of cases) {
      const res = await me(header);
      assert.equal(res.status, 401, name);
      assert.equal(res.body.errors[0].code, code, name);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /, name);
    }
  });

  it('a refresh token is not an access token, and the reverse', async () => {
    const pair = (await token('alice')).body.data;
    assert.equal((await me(`Bearer ${pair.refresh_token}`)).status, 401);
    const res = await t.request('POST', '/api/v1/auth/token/refresh', { json: { refresh_token: pair.access_token } });
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].code, 'invalid_token');
  });

  it('rotates refresh tokens; reusing one revokes the whole family', async () => {
    const first = (await token('alice')).body.data;
    const rotated = await t.request('POST', '/api/v1/auth/token/refresh', { json: { refresh_token: first.refresh_token } });
    assert.equal(rotated.status, 200);
    const second = rotated.body.data;
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await me(`Bearer ${second.access_token}`)).status, 200);

    const reuse = await t.request('POST', '/api/v1/auth/token/refresh', { json: { refresh_token: first.refresh_token } });
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.errors[0].code, 'refresh_token_reused');
    // The thief's replay killed the family: the legitimate newer tokens die too.
    const next = await t.request('POST', '/api/v1/auth/token/refresh', { json: { refresh_token: second.refresh_token } });
    assert.equal(next.status, 401);
    assert.equal((await me(`Bearer ${second.access_token}`)).status, 401);
    assert.equal((await me(`Bearer ${first.access_token}`)).status, 401);
    // Other sessions of the same user are untouched.
    assert.equal((await me(alice.auth.authorization)).status, 200);
  });

  it('verify answers for live tokens and 401 for revoked ones', async () => {
    const pair = (await token('alice')).body.data;
    const ok = await t.request('POST', '/api/v1/auth/token/verify', { json: { token: pair.access_token } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.token_type, 'access');
    assert.equal(ok.body.data.user_id, alice.id);
    const okRefresh = await t.request('POST', '/api/v1/auth/token/verify', { json: { token: pair.refresh_token } });
    assert.equal(okRefresh.body.data.token_type, 'refresh');

    const out = await t.request('POST', '/api/v1/auth/logout', { headers: { authorization: `Bearer ${pair.access_token}` } });
    assert.equal(out.status, 200);
    assert.equal(out.body.data.revoked, true);
    const after = await t.request('POST', '/api/v1/auth/token/verify', { json: { token: pair.access_token } });
    assert.equal(after.status, 401);
    assert.equal((await me(`Bearer ${pair.access_token}`)).status, 401, 'logout revokes the access token at once');
    const refresh = await t.request('POST', '/api/v1/auth/token/refresh', { json: { refresh_token: pair.refresh_token } });
    assert.equal(refresh.status, 401);
  });

  it('logout with only a refresh token revokes its family', async () => {
    const pair = (await token('alice')).body.data;
    const out = await t.request('POST', '/api/v1/auth/logout', { json: { refresh_token: pair.refresh_token } });
    assert.equal(out.status, 200);
    assert.equal((await me(`Bearer ${pair.access_token}`)).status, 401);
    const anon = await t.request('POST', '/api/v1/auth/logout');
    assert.equal(anon.status, 401);
  });

  it('deactivating an account kills its tokens', async () => {
    const bob = await createUser(t, 'bob-deact');
    await t.app.dbh.db.updateTable('users').set({ is_active: false }).where('id', '=', bob.id).execute();
    assert.equal((await me(bob.auth.authorization)).status, 401);
  });

  it('bad input on every auth endpoint → 400 envelope naming the field, never 500', async () => {
    const endpoints = ['/api/v1/auth/token', '/api/v1/auth/session'];
    for (const path of endpoints) {
      const cases: [unknown, string][] = [
        [{}, 'username'],
        [{ username: 'alice' }, 'password'],
        [{ username: 42, password: TEST_PASSWORD }, 'username'],
        [{ username: 'alice', password: ['x'] }, 'password'],
        [{ username: TEN_MB, password: TEST_PASSWORD }, 'username'],
        [[1, 2], ''],
        ['just a string', ''],
      ];
      for (const [json, field] of cases) {
        const res = await t.request('POST', path, { json });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(json).slice(0, 60)}`);
        assert.equal(res.body.errors[0].code, 'validation_error');
        if (field) assert.ok(res.body.errors.some((e: any) => e.field === field), `${path} names ${field}`);
      }
      const textual = await t.request('POST', path, { body: 'username=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(textual.status, 415);
    }
    for (const [path, key] of [['/api/v1/auth/token/refresh', 'refresh_token'], ['/api/v1/auth/token/verify', 'token']] as const) {
      for (const json of [{}, { [key]: 5 }, { [key]: TEN_MB }, { [key]: null }]) {
        const res = await t.request('POST', path, { json });
        assert.equal(res.status, 400, path);
        assert.equal(res.body.errors[0].code, 'validation_error');
      }
    }
    const tooBig = await t.request('POST', '/api/v1/auth/token', { json: { username: 'u'.repeat(20 * 1024 * 1024), password: 'x' } });
    assert.equal(tooBig.status, 413);
  });
});

describe('browser sessions and CSRF', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { COOKIE_SECURE: 'true', COOKIE_SAMESITE: 'lax' } });
    await createUser(t, 'carol');
    await createUser(t, 'dave');
  });
  after(() => t.close());

  it('sets an HttpOnly, Secure, SameSite session cookie and returns a CSRF token', async () => {
    const s = await browserLogin(t, 'carol');
    const session = s.setCookies.find((c) => c.startsWith('pod_session='));
    assert.ok(session);
    assert.match(session, /HttpOnly/i);
    assert.match(session, /Secure/i);
    assert.match(session, /SameSite=Lax/i);
    assert.match(session, /Path=\//);
    assert.equal(typeof s.csrf, 'string');
    assert.equal(s.body.data.user.username, 'carol');
    const me = await t.request('GET', '/api/v1/users/me', { headers: { cookie: s.cookie } });
    assert.equal(me.status, 200);
    assert.equal(me.body.data.username, 'carol');
  });

  it('a state-changing request by cookie without the CSRF token → 403 csrf_failed; with it → 200', async () => {
    const s = await browserLogin(t, 'carol');
    const without = await t.request('PATCH', '/api/v1/users/me', { json: { first_name: 'Caroline' }, headers: { cookie: s.cookie } });
    assert.equal(without.status, 403);
    assert.equal(without.body.errors[0].code, 'csrf_failed');
    const forged = await t.request('PATCH', '/api/v1/users/me', { json: { first_name: 'Caroline' }, headers: { cookie: s.cookie, 'x-csrf-token': 'forged' } });
    assert.equal(forged.status, 403);
    const good = await t.request('PATCH', '/api/v1/users/me', { json: { first_name: 'Caroline' }, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    assert.equal(good.status, 200);
    assert.equal(good.body.data.first_name, 'Caroline');
  });

  it('a CSRF token of another session does not work (bound to its session)', async () => {
    const carol = await browserLogin(t, 'carol');
    const dave = await browserLogin(t, 'dave');
    // Dave's token with Carol's cookies (her CSRF secret cookie included).
    const res = await t.request('PATCH', '/api/v1/users/me', { json: { last_name: 'X' }, headers: { cookie: carol.cookie, 'x-csrf-token': dave.csrf } });
    assert.equal(res.status, 403);
    assert.equal(res.body.errors[0].code, 'csrf_failed');
  });

  it('GET /auth/csrf gives a fresh working token for the session', async () => {
    const s = await browserLogin(t, 'carol');
    const fresh = await t.request('GET', '/api/v1/auth/csrf', { headers: { cookie: s.cookie } });
    assert.equal(fresh.status, 200);
    const res = await t.request('PATCH', '/api/v1/users/me', { json: { last_name: 'Y' }, headers: { cookie: s.cookie, 'x-csrf-token': fresh.body.data.csrf_token } });
    assert.equal(res.status, 200);
  });

  it('bearer requests need no CSRF token', async () => {
    const dave = await createUser(t, 'erin');
    const res = await t.request('PATCH', '/api/v1/users/me', { json: { first_name: 'E' }, headers: dave.auth });
    assert.equal(res.status, 200);
  });

  it('sign-out revokes the cookie session (needs CSRF too)', async () => {
    const s = await browserLogin(t, 'carol');
    assert.equal((await t.request('DELETE', '/api/v1/auth/session', { headers: { cookie: s.cookie } })).status, 403);
    const out = await t.request('DELETE', '/api/v1/auth/session', { headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    assert.equal(out.status, 200);
    assert.ok(out.headers.getSetCookie().some((c) => /^pod_session=;/.test(c)), 'cookie cleared');
    const me = await t.request('GET', '/api/v1/users/me', { headers: { cookie: s.cookie } });
    assert.equal(me.status, 401);
  });

  it('a stale cookie on a public route browses anonymously', async () => {
    const res = await t.request('GET', '/api/v1/health', { headers: { cookie: 'pod_session=stale' } });
    assert.equal(res.status, 200);
  });

  it('COOKIE_SECURE=false drops the Secure flag for http://localhost development', async () => {
    const dev = await startTestApp({ env: { COOKIE_SECURE: 'false' } });
    try {
      await createUser(dev, 'frank');
      const s = await browserLogin(dev, 'frank');
      const session = s.setCookies.find((c) => c.startsWith('pod_session='))!;
      assert.doesNotMatch(session, /Secure/i);
    } finally {
      await dev.close();
    }
  });
});

describe('CORS', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://spa.univ.example' } });
  });
  after(() => t.close());

  it('a configured origin gets CORS headers with credentials', async () => {
    const res = await t.request('GET', '/api/v1/health', { headers: { origin: 'https://spa.univ.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://spa.univ.example');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
  });

  it('answers the preflight of a configured origin', async () => {
    const res = await t.request('OPTIONS', '/api/v1/users/me', {
      headers: { origin: 'https://spa.univ.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type,x-csrf-token' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://spa.univ.example');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /PATCH/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /x-csrf-token/);
  });

  it('a foreign origin gets no CORS headers at all', async () => {
    for (const method of ['GET', 'OPTIONS']) {
      const res = await t.request(method, '/api/v1/health', {
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      const cors = [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));
      assert.deepEqual(cors, [], `${method}: ${cors.join(',')}`);
    }
  });

  it('the CORS preflight route does not turn unknown paths into 405', async () => {
    const res = await t.request('GET', '/api/v1/nope');
    assert.equal(res.status, 404);
  });
});

describe('rate limiting of credential endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_WINDOW_MS: '60000' } });
  });
  after(() => t.close());

  it('answers 429 rate_limited in the envelope with Retry-After once the budget is spent', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await t.request('POST', '/api/v1/auth/token', { json: { username: 'mallory', password: `guess-${i}` } });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    assert.equal(last!.body.status, 'error');
    assert.equal(last!.body.errors[0].code, 'rate_limited');
    assert.ok(Number(last!.headers.get('retry-after')) > 0);
    // The session login shares no budget with /auth/token but has its own.
    const session = await t.request('POST', '/api/v1/auth/session', { json: { username: 'mallory', password: 'x' } });
    assert.equal(session.status, 401);
  });
});

describe('rate limits shared by API nodes through Redis', () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let nodes: TestApp[] = [];
  let available = false;
  before(async () => {
    const { createConnection } = await import('node:net');
    const u = new URL(redisUrl);
    available = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: u.hostname, port: Number(u.port || 6379), timeout: 500 });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
      s.once('timeout', () => { s.destroy(); resolve(false); });
    });
    if (!available) return;
    // A fresh key prefix per run: counters of other runs never interfere.
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `pod-test-${process.pid}-${Date.now()}:`, AUTH_RATE_LIMIT_MAX: '3' };
    nodes = [await startTestApp({ env }), await startTestApp({ env })];
  });
  after(async () => {
    for (const n of nodes) await n.close();
  });

  it('the budget spans both nodes (429 on the 4th attempt whichever node answers)', async (t) => {
    if (!available) return t.skip(`no Redis at ${redisUrl}`);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await nodes[i % 2]!.request('POST', '/api/v1/auth/token', { json: { username: 'mallory', password: `guess-${i}` } });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });
});
