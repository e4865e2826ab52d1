// The people of an editing-rights test, and their two videos: `mine` (owned by
// a teacher, with a co-owner) and `theirs` (another teacher's), both public and
// encoded (8 s). Children tests (tracks, chapters, enrichments) share it.
import { markEncoded } from './encoded.ts';
import type { TestApp } from './test-app.ts';
import { createUser, type TestUser } from './users.ts';

export interface EditorsCast {
  owner: TestUser; coowner: TestUser; stranger: TestUser; staff: TestUser; root: TestUser; manager: TestUser;
  mine: { id: number; slug: string }; theirs: { id: number; slug: string };
}

export async function editorsCast(t: TestApp): Promise<EditorsCast> {
  const owner = await createUser(t, 'owner', { is_staff: true });
  const coowner = await createUser(t, 'coowner');
  const stranger = await createUser(t, 'stranger');
  const staff = await createUser(t, 'teacher', { is_staff: true });
  const root = await createUser(t, 'root', { is_superuser: true });
  const manager = await createUser(t, 'manager', { is_manager: true });
  const make = async (who: TestUser, json: Record<string, unknown>) => (await t.request('POST', '/api/v1/videos', { headers: who.auth, json })).body.data;
  const mine = await make(owner, { title: 'Mine', is_draft: false, additional_owners: ['coowner'] });
  const theirs = await make(staff, { title: 'Theirs', is_draft: false });
  for (const v of [mine, theirs]) await markEncoded(t, v.id);
  return { owner, coowner, stranger, staff, root, manager, mine, theirs };
}
