// Users: superusers manage every account (as Pod's admin does); each user
// reads and edits their own profile at /users/me.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireSuperuser, requireUser } from '../auth/plugin.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { NAMES_BODY_LIMIT } from '../core/limits.ts';
import { AppError, badRequest, notFound } from '../core/errors.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import {
  groupIdsByCodeNames, mapUserConflict, selectUsers, setUserGroups, userById, userJson,
} from './queries.ts';
import { eraseAccount } from '../personal-data/erase.ts';
import { audit, changedFields } from '../audit/log.ts';
import { EraseOutcome, EraseQuery, MeUpdate, PasswordChange, User, UserCreate, UserIdParams, UserListQuery, UserUpdate } from './schemas.ts';

type UserCreateBody = import('typebox').Static<typeof UserCreate>;

export async function userRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  app.get('/api/v1/users/me', {
    schema: { operationId: 'getMe', tags: ['users'], summary: 'The authenticated user', security: AUTHENTICATED, response: { 200: Envelope(User) } },
  }, async (request) => {
    const me = requireUser(request);
    const row = await userById(db(), me.id);
    if (!row) throw notFound();
    return ok(userJson(row));
  });

  app.patch('/api/v1/users/me', {
    bodyLimit: NAMES_BODY_LIMIT,
    schema: {
      operationId: 'updateMe', tags: ['users'], summary: 'Edit my profile', security: AUTHENTICATED, body: MeUpdate, response: { 200: Envelope(User) },
    },
  }, async (request) => {
    const me = requireUser(request);
    const body = request.body as import('typebox').Static<typeof MeUpdate>;
    if (Object.keys(body).length) await db().updateTable('users').set(body).where('id', '=', me.id).execute();
    return ok(userJson((await userById(db(), me.id))!));
  });

  app.post('/api/v1/users/me/password', {
    schema: {
      operationId: 'changeMyPassword', errors: [{ code: 'invalid_credentials', status: 400 }], tags: ['users'], summary: 'Change my password (signs out my other sessions)', security: AUTHENTICATED,
      body: PasswordChange, response: { 200: Envelope(Type.Object({ changed: Type.Boolean(), sessions_revoked: Type.Integer() })) },
    },
    config: { rateLimit: { max: app.config.AUTH_RATE_LIMIT_MAX, timeWindow: app.config.AUTH_RATE_LIMIT_WINDOW_MS } },
  }, async (request) => {
    const me = requireUser(request);
    const body = request.body as import('typebox').Static<typeof PasswordChange>;
    const row = await db().selectFrom('users').select('password_hash').where('id', '=', me.id).executeTakeFirstOrThrow();
    if (!(await verifyPassword(row.password_hash, body.current_password))) {
      throw new AppError(400, 'invalid_credentials', 'The current password is wrong', { field: 'current_password' });
    }
    const hash = await hashPassword(body.new_password);
    const revoked = await db().transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ password_hash: hash }).where('id', '=', me.id).execute();
      const r = await tx.updateTable('auth_sessions')
        .set({ revoked_at: new Date(), revoked_reason: 'password_changed' })
        .where('user_id', '=', me.id).where('id', '!=', me.session_id).where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    });
    return ok({ changed: true, sessions_revoked: revoked });
  });

  app.get('/api/v1/users', {
    schema: {
      operationId: 'listUsers', errors: ['forbidden', 'invalid_cursor'], tags: ['users'], summary: 'List users (superusers)', security: AUTHENTICATED,
      querystring: Type.Object({ ...UserListQuery.properties, ...PageQuery }),
      response: { 200: Envelope(Type.Array(User), PageMeta) },
    },
  }, async (request) => {
    requireSuperuser(request);
    const q = request.query as import('typebox').Static<typeof UserListQuery> & { limit?: number; cursor?: string };
    const limit = q.limit ?? 20;
    const after = decodeCursor(q.cursor, ['id']);
    let query = selectUsers(db()).orderBy('u.id').limit(limit + 1);
    if (after) query = query.where('u.id', '>', after[0] as number);
    if (q.search) {
      const like = `%${q.search.replace(/[\\%_]/g, (c) => '\\' + c).toLowerCase()}%`;
      query = query.where((eb) => eb.or([
        eb(sql`lower(u.username)`, 'like', like), eb(sql`lower(u.first_name)`, 'like', like),
        eb(sql`lower(u.last_name)`, 'like', like), eb(sql`lower(u.email)`, 'like', like),
      ]));
    }
    if (q.is_staff !== undefined) query = query.where('u.is_staff', '=', q.is_staff);
    if (q.is_active !== undefined) query = query.where('u.is_active', '=', q.is_active);
    if (q.affiliation) query = query.where('u.affiliation', '=', q.affiliation);
    if (q.group) {
      query = query.where('u.id', 'in', (eb) => eb.selectFrom('access_group_members as m')
        .innerJoin('access_groups as g', 'g.id', 'm.group_id').select('m.user_id').where('g.code_name', '=', q.group!));
    }
    const page = pageOf(await query.execute(), limit, (u) => [u.id]);
    return ok(page.items.map(userJson), page.meta);
  });

  app.post('/api/v1/users', {
    bodyLimit: NAMES_BODY_LIMIT,
    schema: {
      operationId: 'createUser', responseHeaders: { 201: ['Location'] }, errors: ['forbidden', 'username_taken'], tags: ['users'], summary: 'Create a user (superusers)', security: AUTHENTICATED, body: UserCreate,
      response: { 201: Envelope(User) },
    },
  }, async (request, reply) => {
    requireSuperuser(request);
    const body = request.body as UserCreateBody;
    const id = await db().transaction().execute(async (tx) => {
      const groupIds = await groupIdsByCodeNames(tx, body.groups ?? []);
      const { groups: _g, password, ...fields } = body;
      const row = await tx.insertInto('users')
        .values({ ...fields, password_hash: password ? await hashPassword(password) : null })
        .returning('id').executeTakeFirstOrThrow().catch(mapUserConflict);
      await setUserGroups(tx, row.id, groupIds);
      await audit(tx, request, {
        action: 'user.created', target_type: 'user', target_id: row.id,
        details: { username: body.username, is_staff: body.is_staff ?? false, is_superuser: body.is_superuser ?? false, is_manager: body.is_manager ?? false, groups: body.groups ?? [] },
      });
      return row.id;
    });
    reply.code(201).header('location', `/api/v1/users/${id}`);
    return ok(userJson((await userById(db(), id))!));
  });

  app.get('/api/v1/users/:id', {
    schema: {
      operationId: 'getUser', errors: ['forbidden', 'not_found'], tags: ['users'], summary: 'One user (superusers, or the user themself)', security: AUTHENTICATED,
      params: UserIdParams, response: { 200: Envelope(User) },
    },
  }, async (request) => {
    const me = requireUser(request);
    const { id } = request.params as { id: number };
    if (id !== me.id) requireSuperuser(request);
    const row = await userById(db(), id);
    if (!row) throw notFound('No such user');
    return ok(userJson(row));
  });

  app.patch('/api/v1/users/:id', {
    bodyLimit: NAMES_BODY_LIMIT,
    schema: {
      operationId: 'updateUser', errors: ['forbidden', 'not_found', 'forbidden_self_change', 'username_taken'], tags: ['users'], summary: 'Edit a user (superusers)', security: AUTHENTICATED,
      params: UserIdParams, body: UserUpdate, response: { 200: Envelope(User) },
    },
  }, async (request) => {
    const me = requireSuperuser(request);
    const { id } = request.params as { id: number };
    const body = request.body as import('typebox').Static<typeof UserUpdate>;
    if (id === me.id && (body.is_superuser === false || body.is_active === false)) {
      throw badRequest('You cannot remove your own superuser status or deactivate yourself', body.is_active === false ? 'is_active' : 'is_superuser', 'forbidden_self_change');
    }
    await db().transaction().execute(async (tx) => {
      const exists = await selectUsers(tx).where('u.id', '=', id).forUpdate('u').executeTakeFirst();
      if (!exists) throw notFound('No such user');
      const roles = changedFields(exists, body as Partial<typeof exists>, ['is_staff', 'is_superuser', 'is_manager', 'is_active', 'groups']);
      const other = changedFields(exists, body as Partial<typeof exists>, ['username', 'email', 'first_name', 'last_name', 'affiliation', 'establishment', 'picture_url', 'accepts_notifications', 'language', 'email_notifications']);
      if (body.password) other.password = ['…', 'changed'];
      if (Object.keys(roles).length) await audit(tx, request, { action: 'user.roles_changed', target_type: 'user', target_id: id, details: roles });
      if (Object.keys(other).length) await audit(tx, request, { action: 'user.updated', target_type: 'user', target_id: id, details: other });
      const { groups, password, ...fields } = body;
      const set = { ...fields, ...(password ? { password_hash: await hashPassword(password) } : {}) };
      if (Object.keys(set).length) await tx.updateTable('users').set(set).where('id', '=', id).execute().catch(mapUserConflict);
      if (groups) await setUserGroups(tx, id, await groupIdsByCodeNames(tx, groups));
      // Deactivating an account or changing its password ends its sessions.
      if (body.is_active === false || password) {
        await tx.updateTable('auth_sessions').set({ revoked_at: new Date(), revoked_reason: 'changed_by_admin' })
          .where('user_id', '=', id).where('revoked_at', 'is', null).execute();
      }
    });
    return ok(userJson((await userById(db(), id))!));
  });

  app.delete('/api/v1/users/:id', {
    schema: {
      operationId: 'deleteUser', errors: ['forbidden', 'not_found', 'forbidden_self_change', 'user_owns_videos', 'invalid_transfer'], tags: ['users'],
      summary: 'Delete a user (superusers). A user who owns videos: 409 user_owns_videos, unless ?transfer_to=<username> hands them over or ?delete_videos=true deletes them',
      description: 'Erases the account and what was only theirs (sessions, comments, notes, favorites, positions). '
        + 'Deactivating the account (PATCH is_active=false) keeps everything and signs the user out.',
      security: AUTHENTICATED, params: UserIdParams, querystring: EraseQuery, response: { 200: Envelope(EraseOutcome) },
    },
  }, async (request) => {
    const me = requireSuperuser(request);
    const { id } = request.params as { id: number };
    if (id === me.id) throw badRequest('You cannot delete your own account', 'id', 'forbidden_self_change');
    const outcome = await db().transaction().execute((tx) => eraseAccount(app, tx, request, id, request.query as Static<typeof EraseQuery>));
    return ok(outcome);
  });
}
