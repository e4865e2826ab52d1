// Users and their access-group memberships.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../core/db/database.ts';
import { badRequest, conflict } from '../core/errors.ts';
import type { UsersTable } from './tables.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type UserRow = Selectable<UsersTable> & { groups: string[] };

export function selectUsers(db: Db) {
  return db
    .selectFrom('users as u')
    .selectAll('u')
    .select(
      sql<string[]>`coalesce((select array_agg(g.code_name order by g.code_name) from access_group_members m join access_groups g on g.id = m.group_id where m.user_id = u.id), '{}')`.as('groups'),
    );
}

export const userById = (db: Db, id: number) => selectUsers(db).where('u.id', '=', id).executeTakeFirst();
export const userByUsername = (db: Db, username: string) =>
  selectUsers(db).where(sql`lower(u.username)`, '=', username.toLowerCase()).executeTakeFirst();

/** Public JSON of a user (never the password hash or SSO identifiers). */
export function userJson(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    first_name: u.first_name,
    last_name: u.last_name,
    affiliation: u.affiliation,
    establishment: u.establishment,
    picture_url: u.picture_url,
    auth_type: u.auth_type,
    is_active: u.is_active,
    is_staff: u.is_staff,
    is_superuser: u.is_superuser,
    is_manager: u.is_manager,
    accepts_notifications: u.accepts_notifications,
    language: u.language,
    email_notifications: u.email_notifications,
    groups: u.groups,
    last_login: u.last_login ? new Date(u.last_login).toISOString() : null,
    date_joined: new Date(u.date_joined).toISOString(),
  };
}

/** Resolves group code names to ids; unknown names are a 400 on `field`. */
export async function groupIdsByCodeNames(db: Db, codeNames: string[], field = 'groups'): Promise<number[]> {
  if (codeNames.length === 0) return [];
  const rows = await db.selectFrom('access_groups').select(['id', 'code_name']).where('code_name', 'in', codeNames).execute();
  const known = new Map(rows.map((r) => [r.code_name, r.id]));
  const index = codeNames.findIndex((c) => !known.has(c));
  if (index >= 0) throw badRequest(`Unknown access group ${JSON.stringify(codeNames[index])}`, `${field}.${index}`, 'validation_error');
  return codeNames.map((c) => known.get(c)!);
}

/** Resolves usernames (case-insensitive) to ids; an unknown one is a 400 on `field.<index>`. */
export async function userIdsByUsernames(db: Db, usernames: string[], field: string): Promise<number[]> {
  if (usernames.length === 0) return [];
  const rows = await db.selectFrom('users').select(['id', sql<string>`lower(username)`.as('key')])
    .where(sql`lower(username)`, 'in', usernames.map((u) => u.toLowerCase())).execute();
  const known = new Map(rows.map((r) => [r.key, r.id]));
  const missing = usernames.findIndex((u) => !known.has(u.toLowerCase()));
  if (missing >= 0) throw badRequest(`Unknown user ${JSON.stringify(usernames[missing])}`, `${field}.${missing}`, 'validation_error');
  return usernames.map((u) => known.get(u.toLowerCase())!);
}

export async function setUserGroups(db: Db, userId: number, groupIds: number[]) {
  await db.deleteFrom('access_group_members').where('user_id', '=', userId).execute();
  if (groupIds.length) {
    await db.insertInto('access_group_members').values(groupIds.map((group_id) => ({ group_id, user_id: userId }))).execute();
  }
}

/** Maps a unique-violation on the username index to 409 username_taken. */
export function mapUserConflict(err: unknown): never {
  if ((err as { code?: string }).code === '23505') throw conflict('This username is already taken', 'username', 'username_taken');
  throw err;
}
