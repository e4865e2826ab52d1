// People: V4's auth.user with its authentication.owner profile (affiliation,
// auth type, establishment, notifications, the media hashkey), Django groups
// (they carry V4's global permissions: `video.change_video` makes a pod-api
// manager), access groups and their members. A V4 username that already
// exists in pod-api is matched to that account, not duplicated.
import { sql } from 'kysely';
import type { ImportContext } from './context.ts';
import { readEverywhere } from './dump.ts';

const BATCH = 500;
const USERNAME = /^[\w.@+-]{1,150}$/;
const AUTH_TYPES: Record<string, 'local' | 'cas' | 'oidc' | 'shibboleth'> = { local: 'local', cas: 'cas', oidc: 'oidc', shibboleth: 'shibboleth', shibb: 'shibboleth' };

/** A Django password hash pod-api can verify (and upgrade at sign-in), else null. */
export function keptPasswordHash(django: unknown): { hash: string | null; unsupported?: string } {
  if (typeof django !== 'string' || !django || django.startsWith('!')) return { hash: null };
  if (django.startsWith('pbkdf2_sha256$')) return { hash: django };
  // Django's Argon2PasswordHasher: "argon2" + the PHC string argon2 itself reads.
  if (django.startsWith('argon2$argon2')) return { hash: django.slice('argon2'.length) };
  return { hash: null, unsupported: django.split('$')[0] };
}

/** Permission records as V4 dumps them: a pk (auth.permission rows) or a natural key ["codename", "app", "model"]. */
function grantsChangeVideo(perms: unknown, permissionCodes: Map<string, string>): boolean {
  if (!Array.isArray(perms)) return false;
  return perms.some((p) => (Array.isArray(p) ? p[0] === 'change_video' && p[1] === 'video' : permissionCodes.get(String(p)) === 'video.change_video'));
}

export async function importPeople(ctx: ImportContext) {
  const { db, ids, report } = ctx;
  // Global permissions, through Django groups or directly.
  const permissionCodes = new Map<string, string>();
  for await (const p of readEverywhere(ctx.spool, 'contenttypes.contenttype')) permissionCodes.set(`ct:${p.pk}`, `${p.fields.app_label}.${p.fields.model}`);
  for await (const p of readEverywhere(ctx.spool, 'auth.permission')) {
    const ct = Array.isArray(p.fields.content_type) ? p.fields.content_type[0] : permissionCodes.get(`ct:${p.fields.content_type}`)?.split('.')[0];
    permissionCodes.set(String(p.pk), `${ct ?? '?'}.${p.fields.codename}`);
  }
  const managerGroups = new Set<string>();
  for await (const g of readEverywhere(ctx.spool, 'auth.group')) {
    report.seen('auth.group');
    if (grantsChangeVideo(g.fields.permissions, permissionCodes)) managerGroups.add(String(g.pk));
    report.matched('auth.group'); // their permissions become the is_manager flag of their members
  }
  const owners = new Map<string, Record<string, any>>();
  for await (const o of readEverywhere(ctx.spool, 'authentication.owner')) owners.set(String(o.fields.user), { ...o.fields, pk: o.pk });

  let batch: { pk: unknown; fields: Record<string, any> }[] = [];
  /** Lower-cased usernames met so far in this run: pod-api's are unique whatever their case. */
  const seenNames = new Set<string>();
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    await importUserBatch(ctx, rows, owners, managerGroups, permissionCodes, seenNames);
  };
  let done = 0;
  const total = (await countOf(ctx, 'auth.user'));
  for await (const u of readEverywhere(ctx.spool, 'auth.user')) {
    report.seen('auth.user');
    ctx.progress('users', ++done, total);
    if (ids.has('auth.user', u.pk)) {
      report.already('auth.user');
      // Its name stays taken: another V4 user differing only by case is skipped on every run alike.
      if (typeof u.fields.username === 'string') seenNames.add(u.fields.username.toLowerCase());
      continue;
    }
    batch.push(u);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  for (const [userPk, owner] of owners) {
    report.seen('authentication.owner');
    if (ids.has('auth.user', userPk)) report.matched('authentication.owner'); // merged into the user
    else report.skip('authentication.owner', owner.pk, 'its user is not in the dump');
  }

  await importAccessGroups(ctx, owners);
  void db;
}

async function countOf(ctx: ImportContext, model: string) {
  let n = 0;
  for await (const _ of readEverywhere(ctx.spool, model)) n++;
  return n;
}

async function importUserBatch(ctx: ImportContext, rows: { pk: unknown; fields: Record<string, any> }[], owners: Map<string, Record<string, any>>, managerGroups: Set<string>, permissionCodes: Map<string, string>, seenNames: Set<string>) {
  const { db, ids, report } = ctx;
  const staffAffiliations = new Set(ctx.config.AFFILIATION_STAFF.split(',').map((s) => s.trim()).filter(Boolean));
  const valid = rows.filter((u) => {
    if (typeof u.fields.username !== 'string' || !USERNAME.test(u.fields.username)) {
      report.skip('auth.user', u.pk, `username ${JSON.stringify(u.fields.username)} is not a valid username`);
      return false;
    }
    const lower = u.fields.username.toLowerCase();
    if (seenNames.has(lower)) {
      report.skip('auth.user', u.pk, `username ${JSON.stringify(u.fields.username)} differs from another one only by case`);
      return false;
    }
    seenNames.add(lower);
    return true;
  });
  const existing = db && valid.length
    ? await db.selectFrom('users').select(['id', 'username']).where(sql`lower(username)`, 'in', valid.map((u) => String(u.fields.username).toLowerCase())).execute()
    : [];
  const byName = new Map(existing.map((e) => [e.username.toLowerCase(), e.id]));
  const work = async (tx: import('kysely').Transaction<import('../core/db/database.ts').Database> | null) => {
    const mapped: { model: string; old: unknown; new: unknown }[] = [];
    for (const u of valid) {
      const f = u.fields;
      const owner = owners.get(String(u.pk));
      const known = byName.get(String(f.username).toLowerCase());
      let id: number;
      if (known !== undefined) {
        id = known;
        report.matched('auth.user');
      } else {
        const password = keptPasswordHash(f.password);
        if (password.unsupported) report.adjust('password hash not kept (an unsupported Django hasher): the user signs in by SSO or resets it', `${f.username} (${password.unsupported})`);
        const affiliation = String(owner?.affiliation ?? 'member').slice(0, 50) || 'member';
        const authType = AUTH_TYPES[String(owner?.auth_type ?? 'local').toLowerCase()];
        if (!authType) report.adjust('unknown auth_type, imported as local', `${f.username} (${owner?.auth_type})`);
        const isManager = grantsChangeVideo(f.user_permissions, permissionCodes)
          || (Array.isArray(f.groups) && f.groups.some((g: unknown) => managerGroups.has(String(Array.isArray(g) ? g[0] : g))));
        const values = {
          username: String(f.username), email: String(f.email ?? '').slice(0, 254), first_name: String(f.first_name ?? '').slice(0, 150),
          last_name: String(f.last_name ?? '').slice(0, 150), password_hash: password.hash, is_active: f.is_active !== false,
          is_staff: Boolean(f.is_staff) || staffAffiliations.has(affiliation), is_superuser: Boolean(f.is_superuser), is_manager: isManager,
          auth_type: authType ?? 'local', affiliation, establishment: String(owner?.establishment ?? '').slice(0, 50),
          accepts_notifications: Boolean(owner?.accepts_notifications),
          last_login: f.last_login ? new Date(f.last_login) : null, date_joined: f.date_joined ? new Date(f.date_joined) : new Date(),
        };
        id = tx ? (await tx.insertInto('users').values(values).returning('id').executeTakeFirstOrThrow()).id : ids.fakeId();
        report.imported('auth.user');
      }
      mapped.push({ model: 'auth.user', old: u.pk, new: id });
      if (owner?.hashkey) mapped.push({ model: 'owner.hashkey', old: owner.hashkey, new: id });
    }
    await ids.record(tx, mapped);
  };
  if (db) await db.transaction().execute(work);
  else await work(null);
}

async function importAccessGroups(ctx: ImportContext, owners: Map<string, Record<string, any>>) {
  const { db, ids, report } = ctx;
  const ownerUser = new Map<string, string>();
  for (const [userPk, o] of owners) ownerUser.set(String(o.pk), userPk);
  const members = new Map<string, Set<string>>(); // V4 group pk → V4 user pks
  const addMember = (group: unknown, ownerPk: unknown) => {
    const user = ownerUser.get(String(ownerPk));
    if (!user) return;
    let set = members.get(String(group));
    if (!set) members.set(String(group), (set = new Set()));
    set.add(user);
  };
  for (const o of owners.values()) for (const g of (Array.isArray(o.accessgroups) ? o.accessgroups : [])) addMember(g, o.pk);
  for await (const t of readEverywhere(ctx.spool, 'authentication.owner_accessgroups')) addMember(t.fields.accessgroup, t.fields.owner);

  const groups: { pk: unknown; fields: Record<string, any> }[] = [];
  for await (const g of readEverywhere(ctx.spool, 'authentication.accessgroup')) {
    report.seen('authentication.accessgroup');
    for (const o of (Array.isArray(g.fields.users) ? g.fields.users : [])) addMember(g.pk, o);
    groups.push(g);
  }
  const work = async (tx: import('kysely').Transaction<import('../core/db/database.ts').Database> | null) => {
    for (const g of groups) {
      const code = String(g.fields.code_name ?? '').trim().slice(0, 150);
      if (!code) {
        report.skip('authentication.accessgroup', g.pk, 'no code_name');
        continue;
      }
      let id = ids.num('authentication.accessgroup', g.pk);
      if (id !== undefined) report.already('authentication.accessgroup');
      else {
        const found = tx ? await tx.selectFrom('access_groups').select('id').where('code_name', '=', code).executeTakeFirst() : undefined;
        if (found) {
          id = found.id;
          report.matched('authentication.accessgroup');
        } else {
          id = tx ? (await tx.insertInto('access_groups').values({ code_name: code, display_name: String(g.fields.display_name ?? '').slice(0, 250) || code, auto_sync: Boolean(g.fields.auto_sync) })
            .returning('id').executeTakeFirstOrThrow()).id : ids.fakeId();
          report.imported('authentication.accessgroup');
        }
        await ids.record(tx, [{ model: 'authentication.accessgroup', old: g.pk, new: id }]);
      }
      const userIds = [...(members.get(String(g.pk)) ?? [])].map((u) => ids.num('auth.user', u)).filter((u): u is number => u !== undefined);
      if (tx && userIds.length) {
        await tx.insertInto('access_group_members').values(userIds.map((user_id) => ({ group_id: id!, user_id }))).onConflict((oc) => oc.doNothing()).execute();
      }
    }
  };
  if (db) await db.transaction().execute(work);
  else await work(null);
}
