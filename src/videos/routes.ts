// Videos: list/search, my videos, detail (by id or slug), create, update,
// soft delete. Every read goes through the policy module.
import { mediaUrlFactory } from '../delivery/media-urls.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import type { Principal } from '../auth/principal.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { forbidden, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { PageMeta, PageQuery } from '../core/pagination.ts';
import { canDelete, canEdit, canSee, canUpload, canWatch } from '../policy/video-policy.ts';
import { passwordRequired, resolveGrants } from './access.ts';
import { listVideos, type ListQuery } from './list.ts';
import { factsOf, videoByRef, videoJson, type VideoRow } from './queries.ts';
import { Video, VideoAccessQuery, VideoCreate, VideoListQuery, VideoPatch, VideoRefParams, type VideoWrite } from './schemas.ts';
import { mayChooseAdditionalOwners, saveVideo } from './write.ts';
import { answerKey, queryKey, sendCachedJson } from './cached-answers.ts';
import { deleteVideo } from './purge.ts';
import { audit } from '../audit/log.ts';

const ListQuerySchema = Type.Object({ ...VideoListQuery.properties, ...PageQuery });

/**
 * Loads a video the caller may see, else 404 (never 403: existence is not
 * revealed). Returns the row and the request's grants for it.
 */
export async function visibleVideo(app: FastifyInstance, request: FastifyRequest, ref: string) {
  const row = await videoByRef(app.dbh.db, ref, request.principal);
  if (!row) throw notFound('No such video');
  const grants = await resolveGrants(app, request, row.id);
  if (!canSee(request.principal, factsOf(row), grants)) throw notFound('No such video');
  return { row, grants };
}

/**
 * Loads a video the caller may play, with its enrichments (config, comments,
 * documents, notes…): 404 if they may not see it, 403 password_required if
 * they see it but have not unlocked it. `editor`: they may edit it.
 */
export async function watchableVideo(app: FastifyInstance, request: FastifyRequest, ref: string) {
  const { row, grants } = await visibleVideo(app, request, ref);
  const facts = factsOf(row);
  if (!canWatch(request.principal, facts, grants)) {
    throw passwordRequired();
  }
  return { row, grants, facts, editor: canEdit(request.principal, facts) };
}

/** Loads a video the caller may edit: 404 if they may not even see it, 403 if they see but may not edit. */
export async function editableVideo(app: FastifyInstance, request: FastifyRequest, ref: string): Promise<{ row: VideoRow; viewer: Principal }> {
  const viewer = requireUser(request);
  const { row } = await visibleVideo(app, request, ref);
  if (!canEdit(viewer, factsOf(row))) throw forbidden('Only the owners of this video can change it');
  return { row, viewer };
}

export async function videoRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  app.get('/api/v1/videos', {
    schema: {
      operationId: 'listVideos', errors: ['invalid_cursor'], tags: ['videos'], summary: 'List and search the videos the caller may see', security: OPTIONAL_AUTH,
      querystring: ListQuerySchema, response: { 200: Envelope(Type.Array(Video), PageMeta) },
    },
  }, async (request, reply) => sendCachedJson(app, reply, answerKey(request, 'videos', queryKey(request)), async () => {
    const page = await listVideos(app, request.principal, request.query as ListQuery, mediaUrlFactory(app));
    return ok(page.items, page.meta);
  }));

  app.get('/api/v1/videos/me', {
    schema: {
      operationId: 'listMyVideos', errors: ['invalid_cursor'], tags: ['videos'], summary: 'Videos I own or co-own (drafts included)', security: AUTHENTICATED,
      querystring: ListQuerySchema, response: { 200: Envelope(Type.Array(Video), PageMeta) },
    },
  }, async (request, reply) => {
    const me = requireUser(request);
    return sendCachedJson(app, reply, answerKey(request, 'my-videos', queryKey(request)), async () => {
      const page = await listVideos(app, me, request.query as ListQuery, mediaUrlFactory(app), { editableBy: me.id });
      return ok(page.items, page.meta);
    });
  });

  app.post('/api/v1/videos', {
    schema: {
      operationId: 'createVideo', responseHeaders: { 201: ['Location'] }, errors: ['forbidden', 'owner_only', 'invalid_date_delete'], tags: ['videos'], summary: 'Create a video (metadata; the file comes through /uploads)', security: AUTHENTICATED,
      body: VideoCreate, response: { 201: Envelope(Video) },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    if (!canUpload(viewer, null, { staffOnly: app.config.UPLOAD_STAFF_ONLY })) throw forbidden('Only staff can add videos on this platform');
    const id = await db().transaction().execute((tx) => saveVideo(tx, { app, request, today: app.clock() }, viewer, request.body as VideoWrite & { title: string }, null));
    const row = (await videoByRef(db(), String(id), viewer))!;
    reply.code(201).header('location', `/api/v1/videos/${row.slug}`);
    return ok(videoJson(row, viewer, mediaUrlFactory(app)));
  });

  app.get('/api/v1/videos/:ref', {
    schema: {
      operationId: 'getVideo', errors: ['not_found'], tags: ['videos'], summary: 'One video, by id or slug (404 when the caller may not see it)', security: OPTIONAL_AUTH,
      params: VideoRefParams, querystring: VideoAccessQuery, response: { 200: Envelope(Video) },
    },
  }, async (request, reply) => {
    const { ref } = request.params as Static<typeof VideoRefParams>;
    return sendCachedJson(app, reply, answerKey(request, 'video', ref), async () => {
      const { row, grants } = await visibleVideo(app, request, ref);
      return ok(videoJson(row, request.principal, mediaUrlFactory(app), grants));
    });
  });

  const update = (partial: boolean) => async (request: FastifyRequest) => {
    const { row, viewer } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    let body = request.body as VideoWrite;
    // PUT replaces every field the caller may edit: the omitted ones get their defaults
    // (additional owners, which an additional owner does not choose, stay as they are for them).
    if (!partial) {
      body = {
        ...(mayChooseAdditionalOwners(viewer, row) ? { additional_owners: [] } : {}),
        description: '', type: null, disciplines: [], tags: [], channels: [], themes: [],
        date_evt: null, is_draft: true, is_restricted: false, restrict_access_to_groups: [], password: null,
        allow_downloading: false, disable_comment: false, disable_public_notes: false, is_360: false, licence: null, main_lang: 'fr', cursus: '0', ...body,
      };
    }
    await db().transaction().execute((tx) => saveVideo(tx, { app, request, today: app.clock() }, viewer, body, row));
    app.encodingBus.touch(row.id); // who may see it may have changed: live streams are re-checked now
    return ok(videoJson((await videoByRef(db(), String(row.id), viewer))!, viewer, mediaUrlFactory(app)));
  };

  app.patch('/api/v1/videos/:ref', {
    schema: {
      operationId: 'updateVideo', errors: ['not_found', 'forbidden', 'owner_only', 'invalid_date_delete'], tags: ['videos'], summary: 'Change some fields of a video (owners, additional owners, managers)', security: AUTHENTICATED,
      params: VideoRefParams, body: VideoPatch, response: { 200: Envelope(Video) },
    },
  }, update(true));

  app.put('/api/v1/videos/:ref', {
    schema: {
      operationId: 'replaceVideo', errors: ['not_found', 'forbidden', 'owner_only', 'invalid_date_delete'], tags: ['videos'], summary: 'Replace the editable fields of a video (omitted fields reset to defaults)', security: AUTHENTICATED,
      params: VideoRefParams, body: VideoCreate, response: { 200: Envelope(Video) },
    },
  }, update(false));

  app.delete('/api/v1/videos/:ref', {
    schema: {
      operationId: 'deleteVideo', errors: ['not_found', 'forbidden'], tags: ['videos'],
      summary: 'Delete a video (owner or manager; additional owners cannot). Soft delete: hidden at once, files purged by a later job',
      security: AUTHENTICATED, params: VideoRefParams, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    if (!canDelete(viewer, factsOf(row))) throw forbidden('Only the owner of this video can delete it');
    await db().transaction().execute(async (tx) => {
      await deleteVideo(app, tx, row.id);
      await audit(tx, request, { action: 'video.deleted', target_type: 'video', target_id: row.id, details: { slug: row.slug, title: row.title, owner: row.owner.username } });
    });
    app.encodingBus.touch(row.id);
    return ok(null);
  });
}
