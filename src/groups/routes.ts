// Access groups (Pod's AccessGroup): videos can be restricted to their
// members. Any signed-in user can list them (to pick one when restricting a
// video); only superusers create, edit, delete them and manage members.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireSuperuser, requireUser } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { NAMES_BODY_LIMIT } from '../core/limits.ts';
import { conflict, notFound } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { userIdsByUsernames } from '../users/queries.ts';
import { model } from '../core/openapi-models.ts';
import { audit } from '../audit/log.ts';

const CodeName = Type.String({ minLength: 1, maxLength: 150, pattern: '^[\\w.@:-]+$' });
const Group = model('Group', Type.Object({
  id: Type.Integer(),
  code_name: Type.String(),
  display_name: Type.String(),
  auto_sync: Type.Boolean({ description: 'Membership rebuilt from the identity provider at each SSO login' }),
  member_count: Type.Integer(),
}));
const GroupCreate = model('GroupCreate', Type.Object(
  { code_name: CodeName, display_name: Type.Optional(Type.String({ maxLength: 250 })), auto_sync: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
));
const GroupUpdate = model('GroupUpdate', Type.Object(
  { display_name: Type.Optional(Type.String({ maxLength: 250 })), auto_sync: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
));
const Params = Type.Object({ code_name: CodeName });
const MemberParams = Type.Object({ code_name: CodeName, username: Type.String({ minLength: 1, maxLength: 150 }) });
const Usernames = Type.Object(
  { usernames: Type.Array(Type.String({ minLength: 1, maxLength: 150 }), { maxItems: 10_000, uniqueItems: true }) },
  { additionalProperties: false },
);
const Members = Type.Array(Type.Object({ id: Type.Integer(), username: Type.String(), first_name: Type.String(), last_name: Type.String() }));

export async function groupRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const selectGroups = () =>
    db().selectFrom('access_groups as g').select(['g.id', 'g.code_name', 'g.display_name', 'g.auto_sync',
      sql<number>`(select count(*)::int from access_group_members m where m.group_id = g.id)`.as('member_count')]);
  const groupByCode = async (code: string) => {
    const g = await selectGroups().where('g.code_name', '=', code).executeTakeFirst();
    if (!g) throw notFound('No such access group');
    return g;
  };
  const members = (groupId: number) => db().selectFrom('access_group_members as m').innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.username', 'u.first_name', 'u.last_name']).where('m.group_id', '=', groupId).orderBy('u.username').execute();
  app.get('/api/v1/groups', {
    schema: { operationId: 'listGroups', errors: ['forbidden'], tags: ['groups'], summary: 'List access groups', security: AUTHENTICATED, response: { 200: Envelope(Type.Array(Group)) } },
  }, async (request) => {
    requireUser(request);
    return ok(await selectGroups().orderBy('g.code_name').limit(10_000).execute());
  });

  app.post('/api/v1/groups', {
    bodyLimit: NAMES_BODY_LIMIT,
    schema: { operationId: 'createGroup', responseHeaders: { 201: ['Location'] }, errors: ['forbidden', 'code_name_taken'], tags: ['groups'], summary: 'Create an access group (superusers)', security: AUTHENTICATED, body: GroupCreate, response: { 201: Envelope(Group) } },
  }, async (request, reply) => {
    requireSuperuser(request);
    const body = request.body as Static<typeof GroupCreate>;
    await db().transaction().execute(async (tx) => {
      const row = await tx.insertInto('access_groups').values(body).returning('id').executeTakeFirstOrThrow().catch((err: { code?: string }) => {
        if (err.code === '23505') throw conflict('An access group with this code_name exists', 'code_name', 'code_name_taken');
        throw err;
      });
      await audit(tx, request, { action: 'group.created', target_type: 'group', target_id: row.id, details: { ...body } });
    });
    reply.code(201).header('location', `/api/v1/groups/${encodeURIComponent(body.code_name)}`);
    return ok(await groupByCode(body.code_name));
  });

  app.get('/api/v1/groups/:code_name', {
    schema: { operationId: 'getGroup', errors: ['forbidden', 'not_found'], tags: ['groups'], summary: 'One access group', security: AUTHENTICATED, params: Params, response: { 200: Envelope(Group) } },
  }, async (request) => {
    requireUser(request);
    return ok(await groupByCode((request.params as Static<typeof Params>).code_name));
  });

  app.patch('/api/v1/groups/:code_name', {
    schema: { operationId: 'updateGroup', errors: ['forbidden', 'not_found', 'code_name_taken'], tags: ['groups'], summary: 'Edit an access group (superusers)', security: AUTHENTICATED, params: Params, body: GroupUpdate, response: { 200: Envelope(Group) } },
  }, async (request) => {
    requireSuperuser(request);
    const { code_name } = request.params as Static<typeof Params>;
    const g = await groupByCode(code_name);
    const body = request.body as Static<typeof GroupUpdate>;
    if (Object.keys(body).length) {
      await db().transaction().execute(async (tx) => {
        await tx.updateTable('access_groups').set(body).where('id', '=', g.id).execute();
        await audit(tx, request, { action: 'group.updated', target_type: 'group', target_id: g.id, details: { code_name, ...body } });
      });
    }
    return ok(await groupByCode(code_name));
  });

  app.delete('/api/v1/groups/:code_name', {
    schema: { operationId: 'deleteGroup', errors: ['forbidden', 'not_found'], tags: ['groups'], summary: 'Delete an access group (superusers)', security: AUTHENTICATED, params: Params, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    requireSuperuser(request);
    const g = await groupByCode((request.params as Static<typeof Params>).code_name);
    await db().transaction().execute(async (tx) => {
      await tx.deleteFrom('access_groups').where('id', '=', g.id).execute();
      await audit(tx, request, { action: 'group.deleted', target_type: 'group', target_id: g.id, details: { code_name: g.code_name, member_count: g.member_count } });
    });
    return ok(null);
  });

  app.get('/api/v1/groups/:code_name/members', {
    schema: { operationId: 'listGroupMembers', errors: ['forbidden', 'not_found'], tags: ['groups'], summary: 'Members of an access group (superusers)', security: AUTHENTICATED, params: Params, response: { 200: Envelope(Members) } },
  }, async (request) => {
    requireSuperuser(request);
    return ok(await members((await groupByCode((request.params as Static<typeof Params>).code_name)).id));
  });

  app.put('/api/v1/groups/:code_name/members', {
    bodyLimit: NAMES_BODY_LIMIT,
    schema: {
      operationId: 'replaceGroupMembers', errors: ['forbidden', 'not_found'], tags: ['groups'], summary: 'Replace the members of an access group (superusers; Pod accessgroups_set_users_by_name)',
      security: AUTHENTICATED, params: Params, body: Usernames, response: { 200: Envelope(Members) },
    },
  }, async (request) => {
    requireSuperuser(request);
    const g = await groupByCode((request.params as Static<typeof Params>).code_name);
    const ids = await userIdsByUsernames(db(), (request.body as Static<typeof Usernames>).usernames, 'usernames');
    await db().transaction().execute(async (tx) => {
      await tx.deleteFrom('access_group_members').where('group_id', '=', g.id).execute();
      if (ids.length) await tx.insertInto('access_group_members').values(ids.map((user_id) => ({ group_id: g.id, user_id }))).execute();
      await audit(tx, request, { action: 'group.members_changed', target_type: 'group', target_id: g.id, details: { code_name: g.code_name, replaced_by: (request.body as Static<typeof Usernames>).usernames } });
    });
    return ok(await members(g.id));
  });

  app.post('/api/v1/groups/:code_name/members', {
    bodyLimit: NAMES_BODY_LIMIT,
    schema: { operationId: 'addGroupMembers', errors: ['forbidden', 'not_found'], tags: ['groups'], summary: 'Add members to an access group (superusers)', security: AUTHENTICATED, params: Params, body: Usernames, response: { 200: Envelope(Members) } },
  }, async (request) => {
    requireSuperuser(request);
    const g = await groupByCode((request.params as Static<typeof Params>).code_name);
    const ids = await userIdsByUsernames(db(), (request.body as Static<typeof Usernames>).usernames, 'usernames');
    if (ids.length) {
      await db().transaction().execute(async (tx) => {
        await tx.insertInto('access_group_members').values(ids.map((user_id) => ({ group_id: g.id, user_id })))
          .onConflict((oc) => oc.doNothing()).execute();
        await audit(tx, request, { action: 'group.members_changed', target_type: 'group', target_id: g.id, details: { code_name: g.code_name, added: (request.body as Static<typeof Usernames>).usernames } });
      });
    }
    return ok(await members(g.id));
  });

  app.delete('/api/v1/groups/:code_name/members/:username', {
    schema: { operationId: 'removeGroupMember', errors: ['forbidden', 'not_found'], tags: ['groups'], summary: 'Remove a member from an access group (superusers)', security: AUTHENTICATED, params: MemberParams, response: { 200: Envelope(Members) } },
  }, async (request) => {
    requireSuperuser(request);
    const { code_name, username } = request.params as Static<typeof MemberParams>;
    const g = await groupByCode(code_name);
    const [id] = await userIdsByUsernames(db(), [username], 'username').catch(() => { throw notFound('No such user'); });
    await db().transaction().execute(async (tx) => {
      const r = await tx.deleteFrom('access_group_members').where('group_id', '=', g.id).where('user_id', '=', id!).executeTakeFirst();
      if (!r.numDeletedRows) throw notFound('This user is not a member of this group');
      await audit(tx, request, { action: 'group.members_changed', target_type: 'group', target_id: g.id, details: { code_name, removed: [username] } });
    });
    return ok(await members(g.id));
  });
}
