// Types, disciplines (managers administer them; everyone reads them) and
// tags (created by tagging videos; managers rename, merge and delete them).
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import slugify from 'slugify';
import Type, { type Static } from 'typebox';
import { requireManager } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH, PUBLIC } from '../core/openapi.ts';
import { listableVideos } from '../policy/video-policy.ts';
import { refreshSearchDocument } from '../videos/queries.ts';
import { model } from '../core/openapi-models.ts';

export const makeSlug = (title: string) => slugify.default(title, { lower: true, strict: true, locale: 'fr' }).slice(0, 100).replace(/-+$/, '');
const SlugParam = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\w-]+$' }) });

const Term = model('Term', Type.Object({ id: Type.Integer(), slug: Type.String(), title: Type.String(), description: Type.String(), icon_url: Type.String() }));
const TermCreate = model('TermCreate', Type.Object({
  title: Type.String({ minLength: 1, maxLength: 100 }),
  slug: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9-]+$' })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  icon_url: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false }));
const TermPatch = model('TermPatch', Type.Partial(TermCreate, { additionalProperties: false }));

export const uniqueViolation = (what: string) => (err: { code?: string }) => {
  if (err.code === '23505') throw conflict(`A ${what} with this slug or title already exists`, 'slug', 'already_exists');
  throw err;
};

function termRoutes(app: FastifyInstance, table: 'types' | 'disciplines', label: string) {
  const db = () => app.dbh.db;
  const base = `/api/v1/${table}`;
  // listTypes, getType, createType… listDisciplines, getDiscipline…
  const Label = label[0]!.toUpperCase() + label.slice(1);
  const select = () => db().selectFrom(table).select(['id', 'slug', 'title', 'description', 'icon_url']);
  const bySlug = async (slug: string) => {
    const row = await select().where('slug', '=', slug).executeTakeFirst();
    if (!row) throw notFound(`No such ${label}`);
    return row;
  };

  app.get(base, {
    schema: { operationId: `list${Label}s`, security: PUBLIC, tags: ['taxonomy'], summary: `List ${table}`, response: { 200: Envelope(Type.Array(Term)) } },
  }, async () => ok(await select().orderBy('title').limit(10_000).execute()));

  app.get(`${base}/:slug`, {
    schema: { operationId: `get${Label}`, errors: ['not_found'], security: PUBLIC, tags: ['taxonomy'], summary: `One ${label}`, params: SlugParam, response: { 200: Envelope(Term) } },
  }, async (request) => ok(await bySlug((request.params as Static<typeof SlugParam>).slug)));

  app.post(base, {
    schema: { operationId: `create${Label}`, responseHeaders: { 201: ['Location'] }, errors: ['forbidden', 'already_exists'], tags: ['taxonomy'], summary: `Create a ${label} (managers)`, security: AUTHENTICATED, body: TermCreate, response: { 201: Envelope(Term) } },
  }, async (request, reply) => {
    requireManager(request);
    const body = request.body as Static<typeof TermCreate>;
    const slug = body.slug ?? makeSlug(body.title);
    if (!slug) throw badRequest('The title gives an empty slug; provide one', 'slug', 'validation_error');
    await db().insertInto(table).values({ ...body, slug }).execute().catch(uniqueViolation(label));
    reply.code(201).header('location', `${base}/${slug}`);
    return ok(await bySlug(slug));
  });

  app.patch(`${base}/:slug`, {
    schema: { operationId: `update${Label}`, errors: ['forbidden', 'not_found', 'already_exists'], tags: ['taxonomy'], summary: `Edit a ${label} (managers)`, security: AUTHENTICATED, params: SlugParam, body: TermPatch, response: { 200: Envelope(Term) } },
  }, async (request) => {
    requireManager(request);
    const row = await bySlug((request.params as Static<typeof SlugParam>).slug);
    const body = request.body as Static<typeof TermPatch>;
    if (Object.keys(body).length) await db().updateTable(table).set(body).where('id', '=', row.id).execute().catch(uniqueViolation(label));
    return ok(await bySlug(body.slug ?? row.slug));
  });

  app.delete(`${base}/:slug`, {
    schema: { operationId: `delete${Label}`, errors: ['forbidden', 'not_found'], tags: ['taxonomy'], summary: `Delete a ${label} (managers)`, security: AUTHENTICATED, params: SlugParam, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    requireManager(request);
    const row = await bySlug((request.params as Static<typeof SlugParam>).slug);
    await db().deleteFrom(table).where('id', '=', row.id).execute();
    return ok(null);
  });
}

const TagParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 50 }) });
const Tag = model('Tag', Type.Object({ name: Type.String(), video_count: Type.Integer({ description: 'Videos with this tag that the caller may see' }) }));

export async function taxonomyRoutes(app: FastifyInstance) {
  termRoutes(app, 'types', 'type');
  termRoutes(app, 'disciplines', 'discipline');
  const db = () => app.dbh.db;

  app.get('/api/v1/tags', {
    schema: {
      operationId: 'listTags', tags: ['taxonomy'], summary: 'Tags of the videos the caller may see, most used first', security: OPTIONAL_AUTH,
      querystring: Type.Object({
        search: Type.Optional(Type.String({ maxLength: 50, description: 'Tags starting with this' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
      }),
      response: { 200: Envelope(Type.Array(Tag)) },
    },
  }, async (request) => {
    const q = request.query as { search?: string; limit?: number };
    let query = db().selectFrom('tags as t').innerJoin('video_tags as vt', 'vt.tag_id', 't.id').innerJoin('videos as v', 'v.id', 'vt.video_id')
      .select(['t.name', sql<number>`count(*)::int`.as('video_count')])
      .where(listableVideos(request.principal)).groupBy('t.name').orderBy('video_count', 'desc').orderBy('t.name').limit(q.limit ?? 100);
    if (q.search) query = query.where('t.name', 'like', `${q.search.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    return ok(await query.execute());
  });

  app.patch('/api/v1/tags/:name', {
    schema: {
      operationId: 'renameTag', errors: ['forbidden', 'not_found'], tags: ['taxonomy'], summary: 'Rename a tag; renaming onto an existing tag merges them (managers)', security: AUTHENTICATED,
      params: TagParam, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 50, pattern: '^[^,]+$' }) }, { additionalProperties: false }),
      response: { 200: Envelope(Type.Object({ name: Type.String() })) },
    },
  }, async (request) => {
    requireManager(request);
    const from = (request.params as Static<typeof TagParam>).name.toLowerCase();
    const to = (request.body as { name: string }).name.trim().toLowerCase();
    await db().transaction().execute(async (tx) => {
      const source = await tx.selectFrom('tags').select('id').where('name', '=', from).executeTakeFirst();
      if (!source) throw notFound('No such tag');
      const target = await tx.selectFrom('tags').select('id').where('name', '=', to).executeTakeFirst();
      const affected = await tx.selectFrom('video_tags').select('video_id').where('tag_id', '=', source.id).execute();
      if (target && target.id !== source.id) {
        await sql`insert into video_tags (video_id, tag_id) select video_id, ${target.id} from video_tags where tag_id = ${source.id} on conflict do nothing`.execute(tx);
        await tx.deleteFrom('tags').where('id', '=', source.id).execute();
      } else {
        await tx.updateTable('tags').set({ name: to }).where('id', '=', source.id).execute();
      }
      for (const { video_id } of affected) await refreshSearchDocument(tx, video_id);
    });
    return ok({ name: to });
  });

  app.delete('/api/v1/tags/:name', {
    schema: { operationId: 'deleteTag', errors: ['forbidden', 'not_found'], tags: ['taxonomy'], summary: 'Delete a tag from every video (managers)', security: AUTHENTICATED, params: TagParam, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    requireManager(request);
    const name = (request.params as Static<typeof TagParam>).name.toLowerCase();
    await db().transaction().execute(async (tx) => {
      const tag = await tx.selectFrom('tags').select('id').where('name', '=', name).executeTakeFirst();
      if (!tag) throw notFound('No such tag');
      const affected = await tx.selectFrom('video_tags').select('video_id').where('tag_id', '=', tag.id).execute();
      await tx.deleteFrom('tags').where('id', '=', tag.id).execute();
      for (const { video_id } of affected) await refreshSearchDocument(tx, video_id);
    });
    return ok(null);
  });
}
