// Test fixtures for people: accounts are inserted directly (fixture setup),
// everything the test asserts goes through HTTP.
import type { TestApp } from './test-app.ts';
import { hashPassword } from '../auth/passwords.ts';

export interface TestUser {
  id: number;
  username: string;
  password: string;
  token: string;
  /** Authorization header for this user. */
  auth: { authorization: string };
}

let cachedHash: Promise<string> | undefined;
export const TEST_PASSWORD = 'correct horse battery staple';

export async function createUser(
  t: TestApp,
  username: string,
  flags: Partial<{ is_staff: boolean; is_superuser: boolean; is_manager: boolean; is_active: boolean; affiliation: string; groups: string[] }> = {},
): Promise<TestUser> {
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const { groups = [], ...rest } = flags;
  const row = await t.app.dbh.db
    .insertInto('users')
    .values({ username, email: `${username}@univ.example`, first_name: username, last_name: 'Test', password_hash: await cachedHash, ...rest })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const code_name of groups) {
    const g = await t.app.dbh.db.insertInto('access_groups').values({ code_name, display_name: code_name })
      .onConflict((oc) => oc.column('code_name').doUpdateSet({ code_name })).returning('id').executeTakeFirstOrThrow();
    await t.app.dbh.db.insertInto('access_group_members').values({ group_id: g.id, user_id: row.id }).execute();
  }
  if (rest.is_active === false) return { id: row.id, username, password: TEST_PASSWORD, token: '', auth: { authorization: '' } };
  const token = await login(t, username);
  return { id: row.id, username, password: TEST_PASSWORD, token, auth: { authorization: `Bearer ${token}` } };
}

export async function login(t: TestApp, username: string, password = TEST_PASSWORD): Promise<string> {
  const res = await t.request('POST', '/api/v1/auth/token', { json: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${res.text}`);
  return res.body.data.access_token as string;
}

/** Cookie jar of one browser session: cookie header + CSRF token. */
export async function browserLogin(t: TestApp, username: string, password = TEST_PASSWORD) {
  const res = await t.request('POST', '/api/v1/auth/session', { json: { username, password } });
  if (res.status !== 200) throw new Error(`session login ${username} failed: ${res.status} ${res.text}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { cookie: cookies, csrf: res.body.data.csrf_token as string, setCookies: res.headers.getSetCookie(), body: res.body };
}
