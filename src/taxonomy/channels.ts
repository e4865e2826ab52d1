// Channels (curated collections) and their theme trees. Managers create and
// delete channels and set who owns them; channel owners edit their channel's
// presentation and themes. Themes are always addressed under their channel.
import { mediaUrlFactory } from '../delivery/media-urls.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireManager, requireUser } from '../auth/plugin.ts';
import type { Viewer } from '../auth/principal.ts';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { badRequest, forbidden, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { PageMeta, PageQuery } from '../core/pagination.ts';
import { listableVideos } from '../policy/video-policy.ts';
import { groupIdsByCodeNames, userIdsByUsernames } from '../users/queries.ts';
import { listVideos, type ListQuery } from '../videos/list.ts';
import { Video, VideoListQuery } from '../videos/schemas.ts';
import { makeSlug, uniqueViolation } from './routes.ts';
import { model } from '../core/openapi-models.ts';
import { answerKey, queryKey, sendCachedJson } from '../videos/cached-answers.ts';

const Person = model('ChannelPerson', Type.Object({ id: Type.Integer(), username: Type.String(), first_name: Type.String(), last_name: Type.String() }));
const Channel = model('Channel', Type.Object({
  id: Type.Integer(), slug: Type.String(), title: Type.String(), description: Type.String(), color: Type.String(),
  headband_url: Type.String(), visible: Type.Boolean(),
  owners: Type.Array(Person), users: Type.Array(Person), allow_to_groups: Type.Array(Type.String()),
  video_count: Type.Integer({ description: 'Videos of this channel the caller may see' }),
  can_edit: Type.Boolean(), can_publish: Type.Boolean({ description: 'The caller may put videos in this channel' }),
}));
const Presentation = {
  title: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.String({ maxLength: 10_000 }),
  color: Type.String({ maxLength: 10 }),
  headband_url: Type.String({ maxLength: 2000 }),
};
const Membership = {
  slug: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9-]+$' }),
  visible: Type.Boolean(),
  owners: Type.Array(Type.String({ maxLength: 150 }), { maxItems: 500, uniqueItems: true }),
  users: Type.Array(Type.String({ maxLength: 150 }), { maxItems: 5000, uniqueItems: true }),
  allow_to_groups: Type.Array(Type.String({ maxLength: 150 }), { maxItems: 500, uniqueItems: true }),
};
const ChannelCreate = model('ChannelCreate', Type.Object({ ...Type.Partial(Type.Object({ ...Presentation, ...Membership })).properties, title: Presentation.title }, { additionalProperties: false }));
const ChannelPatch = model('ChannelPatch', Type.Partial(Type.Object({ ...Presentation, ...Membership }), { additionalProperties: false }));
const SlugParam = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\w-]+$' }) });

const Theme = model('Theme', Type.Object({
  id: Type.Integer(), slug: Type.String(), title: Type.String(), description: Type.String(),
  parent_id: Type.Union([Type.Integer(), Type.Null()]), channel: Type.String(),
}));
const ThemeCreate = model('ThemeCreate', Type.Object({
  title: Type.String({ minLength: 1, maxLength: 100 }),
  slug: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9-]+$' })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  parent_id: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }), Type.Null()])),
}, { additionalProperties: false }));
const ThemePatch = model('ThemePatch', Type.Partial(ThemeCreate, { additionalProperties: false }));
const ThemeParams = Type.Object({ ...SlugParam.properties, theme_id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

type Tx = Transaction<Database>;

export async function channelRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const isManager = (v: Viewer) => Boolean(v && (v.is_superuser || v.is_manager));

  function selectChannels(viewer: Viewer) {
    const me = viewer?.id ?? 0;
    const people = (table: 'channel_owners' | 'channel_users') =>
      sql<Static<typeof Person>[]>`coalesce((select json_agg(json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name, 'last_name', u.last_name) order by u.username) from ${sql.table(table)} x join users u on u.id = x.user_id where x.channel_id = c.id), '[]')`;
    return db().selectFrom('channels as c').select([
      'c.id', 'c.slug', 'c.title', 'c.description', 'c.color', 'c.headband_url', 'c.visible',
      people('channel_owners').as('owners'),
      people('channel_users').as('users'),
      sql<string[]>`coalesce((select array_agg(g.code_name order by g.code_name) from channel_groups cg join access_groups g on g.id = cg.group_id where cg.channel_id = c.id), '{}')`.as('allow_to_groups'),
      sql<boolean>`exists (select 1 from channel_owners co where co.channel_id = c.id and co.user_id = ${me})`.as('is_owner'),
      sql<boolean>`(exists (select 1 from channel_users cu where cu.channel_id = c.id and cu.user_id = ${me})
        or exists (select 1 from channel_groups cg join access_group_members m on m.group_id = cg.group_id where cg.channel_id = c.id and m.user_id = ${me}))`.as('is_member'),
      (eb) => eb.selectFrom('video_channels as vc').innerJoin('videos as v', 'v.id', 'vc.video_id')
        .select(sql<number>`count(*)::int`.as('n')).whereRef('vc.channel_id', '=', 'c.id').where(listableVideos(viewer)).as('video_count'),
    ]);
  }
  type ChannelRow = Awaited<ReturnType<ReturnType<typeof selectChannels>['executeTakeFirstOrThrow']>>;
  const channelJson = (c: ChannelRow, viewer: Viewer) => ({
    id: c.id, slug: c.slug, title: c.title, description: c.description, color: c.color, headband_url: c.headband_url,
    visible: c.visible, owners: c.owners, users: c.users, allow_to_groups: c.allow_to_groups, video_count: c.video_count ?? 0,
    can_edit: isManager(viewer) || c.is_owner, can_publish: isManager(viewer) || c.is_owner || c.is_member,
  });
  /** A hidden channel exists only for its owners and managers. */
  async function channelFor(request: FastifyRequest, slug: string) {
    const c = await selectChannels(request.principal).where('c.slug', '=', slug).executeTakeFirst();
    if (!c || (!c.visible && !isManager(request.principal) && !c.is_owner)) throw notFound('No such channel');
    return c;
  }
  async function editableChannel(request: FastifyRequest, slug: string) {
    const viewer = requireUser(request);
    const c = await channelFor(request, slug);
    if (!isManager(viewer) && !c.is_owner) throw forbidden('Only the owners of this channel can change it');
    return c;
  }
  async function setMembership(tx: Tx, channelId: number, body: Static<typeof ChannelPatch>) {
    for (const [field, table] of [['owners', 'channel_owners'], ['users', 'channel_users']] as const) {
      const names = body[field];
      if (names === undefined) continue;
      const ids = await userIdsByUsernames(tx, names, field);
      await tx.deleteFrom(table).where('channel_id', '=', channelId).execute();
      if (ids.length) await tx.insertInto(table).values(ids.map((user_id) => ({ channel_id: channelId, user_id }))).execute();
    }
    if (body.allow_to_groups !== undefined) {
      const ids = await groupIdsByCodeNames(tx, body.allow_to_groups, 'allow_to_groups');
      await tx.deleteFrom('channel_groups').where('channel_id', '=', channelId).execute();
      if (ids.length) await tx.insertInto('channel_groups').values(ids.map((group_id) => ({ channel_id: channelId, group_id }))).execute();
    }
  }

  app.get('/api/v1/channels', {
    schema: { operationId: 'listChannels', errors: ['invalid_cursor'], tags: ['channels'], summary: 'List channels (hidden ones only for their owners and managers)', security: OPTIONAL_AUTH, response: { 200: Envelope(Type.Array(Channel)) } },
  }, async (request) => {
    const viewer = request.principal;
    let q = selectChannels(viewer).orderBy('c.title').limit(10_000);
    if (!isManager(viewer)) {
      q = q.where((eb) => eb.or([eb('c.visible', '=', true), eb.exists(eb.selectFrom('channel_owners as co').select('co.user_id').whereRef('co.channel_id', '=', 'c.id').where('co.user_id', '=', viewer?.id ?? 0))]));
    }
    return ok((await q.execute()).map((c) => channelJson(c, viewer)));
  });

  app.post('/api/v1/channels', {
    schema: { operationId: 'createChannel', responseHeaders: { 201: ['Location'] }, errors: ['forbidden', 'already_exists'], tags: ['channels'], summary: 'Create a channel (managers)', security: AUTHENTICATED, body: ChannelCreate, response: { 201: Envelope(Channel) } },
  }, async (request, reply) => {
    const viewer = requireManager(request);
    const { owners, users, allow_to_groups, ...fields } = request.body as Static<typeof ChannelCreate>;
    const slug = fields.slug ?? makeSlug(fields.title);
    if (!slug) throw badRequest('The title gives an empty slug; provide one', 'slug', 'validation_error');
    await db().transaction().execute(async (tx) => {
      const row = await tx.insertInto('channels').values({ ...fields, slug }).returning('id').executeTakeFirstOrThrow().catch(uniqueViolation('channel'));
      await setMembership(tx, row.id, { owners, users, allow_to_groups });
    });
    reply.code(201).header('location', `/api/v1/channels/${slug}`);
    return ok(channelJson(await channelFor(request, slug), viewer));
  });

  app.get('/api/v1/channels/:slug', {
    schema: { operationId: 'getChannel', errors: ['not_found'], tags: ['channels'], summary: 'One channel', security: OPTIONAL_AUTH, params: SlugParam, response: { 200: Envelope(Channel) } },
  }, async (request) => ok(channelJson(await channelFor(request, (request.params as Static<typeof SlugParam>).slug), request.principal)));

  app.patch('/api/v1/channels/:slug', {
    schema: {
      operationId: 'updateChannel', errors: ['not_found', 'forbidden', 'already_exists'], tags: ['channels'], summary: 'Edit a channel: owners edit its presentation; managers also slug, visibility and members',
      security: AUTHENTICATED, params: SlugParam, body: ChannelPatch, response: { 200: Envelope(Channel) },
    },
  }, async (request) => {
    const c = await editableChannel(request, (request.params as Static<typeof SlugParam>).slug);
    const body = request.body as Static<typeof ChannelPatch>;
    if (!isManager(request.principal)) {
      const managed = (Object.keys(Membership) as (keyof typeof Membership)[]).find((k) => body[k] !== undefined);
      if (managed) throw forbidden(`Only managers can change ${managed}`);
    }
    const { owners, users, allow_to_groups, ...fields } = body;
    await db().transaction().execute(async (tx) => {
      if (Object.keys(fields).length) await tx.updateTable('channels').set(fields).where('id', '=', c.id).execute().catch(uniqueViolation('channel'));
      await setMembership(tx, c.id, { owners, users, allow_to_groups });
    });
    return ok(channelJson(await channelFor(request, body.slug ?? c.slug), request.principal));
  });

  app.delete('/api/v1/channels/:slug', {
    schema: { operationId: 'deleteChannel', errors: ['forbidden', 'not_found'], tags: ['channels'], summary: 'Delete a channel (managers); its videos stay', security: AUTHENTICATED, params: SlugParam, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    requireManager(request);
    const c = await channelFor(request, (request.params as Static<typeof SlugParam>).slug);
    await db().deleteFrom('channels').where('id', '=', c.id).execute();
    return ok(null);
  });

  app.get('/api/v1/channels/:slug/videos', {
    schema: {
      operationId: 'listChannelVideos', errors: ['not_found', 'invalid_cursor'], tags: ['channels'], summary: 'Videos of a channel the caller may see', security: OPTIONAL_AUTH, params: SlugParam,
      querystring: Type.Object({ ...VideoListQuery.properties, ...PageQuery }), response: { 200: Envelope(Type.Array(Video), PageMeta) },
    },
  }, async (request, reply) => {
    const { slug } = request.params as Static<typeof SlugParam>;
    return sendCachedJson(app, reply, answerKey(request, 'channel-videos', slug, queryKey(request)), async () => {
      const c = await channelFor(request, slug);
      const page = await listVideos(app, request.principal, request.query as ListQuery, mediaUrlFactory(app), { channelId: c.id });
      return ok(page.items, page.meta);
    });
  });

  // --- themes, scoped by channel (never fetched by a bare global id)
  const selectThemes = (channelId: number) => db().selectFrom('themes as t').innerJoin('channels as c', 'c.id', 't.channel_id')
    .select(['t.id', 't.slug', 't.title', 't.description', 't.parent_id', 'c.slug as channel']).where('t.channel_id', '=', channelId);
  async function themeIn(channelId: number, themeId: number) {
    const t = await selectThemes(channelId).where('t.id', '=', themeId).executeTakeFirst();
    if (!t) throw notFound('No such theme in this channel');
    return t;
  }
  async function checkParent(tx: Tx, channelId: number, parentId: number | null | undefined, selfId?: number) {
    if (parentId === undefined || parentId === null) return;
    const parent = await tx.selectFrom('themes').select('id').where('id', '=', parentId).where('channel_id', '=', channelId).executeTakeFirst();
    if (!parent) throw badRequest('The parent theme must belong to the same channel', 'parent_id', 'validation_error');
    if (selfId !== undefined) {
      const cycle = await sql<{ id: number }>`with recursive up(id, parent_id) as (
          select id, parent_id from themes where id = ${parentId}
          union all select t.id, t.parent_id from themes t join up on t.id = up.parent_id)
        select id from up where id = ${selfId}`.execute(tx);
      if (cycle.rows.length) throw badRequest('A theme cannot be inside itself', 'parent_id', 'validation_error');
    }
  }

  app.get('/api/v1/channels/:slug/themes', {
    schema: { operationId: 'listChannelThemes', errors: ['not_found'], tags: ['channels'], summary: 'Themes of a channel (a tree: parent_id)', security: OPTIONAL_AUTH, params: SlugParam, response: { 200: Envelope(Type.Array(Theme)) } },
  }, async (request) => {
    const c = await channelFor(request, (request.params as Static<typeof SlugParam>).slug);
    return ok(await selectThemes(c.id).orderBy('t.title').execute());
  });

  app.post('/api/v1/channels/:slug/themes', {
    schema: { operationId: 'createChannelTheme', errors: ['not_found', 'forbidden', 'already_exists'], tags: ['channels'], summary: 'Create a theme (channel owners, managers)', security: AUTHENTICATED, params: SlugParam, body: ThemeCreate, response: { 201: Envelope(Theme) } },
  }, async (request, reply) => {
    const c = await editableChannel(request, (request.params as Static<typeof SlugParam>).slug);
    const body = request.body as Static<typeof ThemeCreate>;
    const slug = body.slug ?? makeSlug(body.title);
    if (!slug) throw badRequest('The title gives an empty slug; provide one', 'slug', 'validation_error');
    const id = await db().transaction().execute(async (tx) => {
      await checkParent(tx, c.id, body.parent_id);
      return (await tx.insertInto('themes').values({ ...body, slug, channel_id: c.id }).returning('id').executeTakeFirstOrThrow().catch(uniqueViolation('theme'))).id;
    });
    reply.code(201);
    return ok(await themeIn(c.id, id));
  });

  app.patch('/api/v1/channels/:slug/themes/:theme_id', {
    schema: { operationId: 'updateChannelTheme', errors: ['not_found', 'forbidden', 'already_exists'], tags: ['channels'], summary: 'Edit a theme (channel owners, managers)', security: AUTHENTICATED, params: ThemeParams, body: ThemePatch, response: { 200: Envelope(Theme) } },
  }, async (request) => {
    const params = request.params as Static<typeof ThemeParams>;
    const c = await editableChannel(request, params.slug);
    const t = await themeIn(c.id, params.theme_id);
    const body = request.body as Static<typeof ThemePatch>;
    await db().transaction().execute(async (tx) => {
      await checkParent(tx, c.id, body.parent_id, t.id);
      if (Object.keys(body).length) await tx.updateTable('themes').set(body).where('id', '=', t.id).execute().catch(uniqueViolation('theme'));
    });
    return ok(await themeIn(c.id, t.id));
  });

  app.delete('/api/v1/channels/:slug/themes/:theme_id', {
    schema: { operationId: 'deleteChannelTheme', errors: ['not_found', 'forbidden'], tags: ['channels'], summary: 'Delete a theme and its sub-themes (channel owners, managers)', security: AUTHENTICATED, params: ThemeParams, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    const params = request.params as Static<typeof ThemeParams>;
    const c = await editableChannel(request, params.slug);
    const t = await themeIn(c.id, params.theme_id);
    await db().deleteFrom('themes').where('id', '=', t.id).execute();
    return ok(null);
  });
}
