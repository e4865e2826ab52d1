// Comments under a video (Pod's Comment and Vote): threaded (a reply names
// the comment it answers), one vote per user and comment, edited and deleted
// by their authors, hidden or deleted by the video's editors (moderation).
// Read and written by whoever may watch the video, while comments are open:
// COMMENTS_ENABLED on the server and not `disable_comment` on the video.
// The API keeps text (Markdown at most, rendered by the client) and refuses
// HTML. Writes are rate limited per user.
import { audit } from '../audit/log.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, badRequest, forbidden, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { HTML_TAG } from '../enrichments/sanitize.ts';
import { watchableFacts } from '../videos/facts.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';

const Person = Type.Object({ id: Type.Integer(), username: Type.String(), first_name: Type.String(), last_name: Type.String() });
export const Comment = model('Comment', Type.Object({
  id: Type.Integer(),
  parent_id: Type.Union([Type.Integer(), Type.Null()], { description: 'The comment this one answers; null for a top-level comment' }),
  author: Person,
  content: Type.String({ description: 'Plain text or Markdown (render it safely: the API refuses HTML); Pod\'s field name' }),
  votes: Type.Integer({ minimum: 0 }),
  has_voted: Type.Boolean({ description: 'The caller voted for it (false when anonymous)' }),
  reply_count: Type.Integer({ minimum: 0, description: 'Direct replies (hidden ones only counted for editors)' }),
  is_hidden: Type.Boolean({ description: 'Hidden by an editor: only editors see it' }),
  edited_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  can_edit: Type.Boolean({ description: 'The caller may change its text (its author)' }),
  can_moderate: Type.Boolean({ description: 'The caller may hide it or delete it (an editor of the video; authors may delete theirs)' }),
}));
const Text = Type.String({ minLength: 1, maxLength: 5000, description: 'Plain text or Markdown; HTML tags are refused' });
const CommentCreate = model('CommentCreate', Type.Object({
  content: Text,
  parent_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1, description: 'Answer this comment (of the same video)' })),
}, { additionalProperties: false }));
const CommentPatch = model('CommentPatch', Type.Object({
  content: Type.Optional(Text),
  is_hidden: Type.Optional(Type.Boolean({ description: 'Editors of the video only' })),
}, { additionalProperties: false, minProperties: 1 }));
const CommentParams = Type.Object({ ...VideoRefParams.properties, id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });
const SORTS = ['oldest', 'newest', 'top'] as const;
const CommentListQuery = Type.Object({
  ...VideoAccessQuery.properties,
  ...PageQuery,
  parent: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1, description: 'List the replies to this comment (default: top-level comments)' })),
  sort: Type.Optional(Type.Union(SORTS.map((s) => Type.Literal(s)), { description: 'oldest (default), newest, top (most votes first)' })),
});
const VoteState = model('CommentVote', Type.Object({ id: Type.Integer(), votes: Type.Integer({ minimum: 0 }), has_voted: Type.Boolean() }));

/** Comment and note texts: trimmed, not blank, no HTML. */
export function plainText(raw: string, field: string): string {
  const text = raw.trim();
  if (!text) throw badRequest('The text is blank', field, 'validation_error');
  if (HTML_TAG.test(text)) throw badRequest('HTML is not accepted: write plain text or Markdown', field, 'html_not_allowed');
  return text;
}

export async function commentRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const limited = {
    rateLimit: {
      max: app.config.COMMENT_RATE_LIMIT_MAX, timeWindow: app.config.COMMENT_RATE_LIMIT_WINDOW_MS, groupId: 'comments', hook: 'preHandler' as const,
      keyGenerator: (request: FastifyRequest) => `user:${request.principal?.id ?? request.ip}`,
    },
  };

  /** The video, if the caller may watch it and comments are open on it. */
  async function commentable(request: FastifyRequest, ref: string) {
    const video = await watchableFacts(app, request, ref);
    if (!app.config.COMMENTS_ENABLED) throw new AppError(403, 'comments_disabled', 'Comments are disabled on this server');
    if (video.disable_comment) throw new AppError(403, 'comments_disabled', 'Comments are closed on this video');
    return video;
  }

  function selectComments(videoId: number, viewerId: number | null, editor: boolean) {
    return db().selectFrom('video_comments as c').innerJoin('users as u', 'u.id', 'c.author_id')
      .select([
        'c.id', 'c.parent_id', 'c.text', 'c.votes', 'c.hidden_at', 'c.edited_at', 'c.created_at', 'c.author_id',
        sql<{ id: number; username: string; first_name: string; last_name: string }>`json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name, 'last_name', u.last_name)`.as('author'),
        sql<boolean>`${viewerId === null ? sql`false` : sql`exists (select 1 from video_comment_votes cv where cv.comment_id = c.id and cv.user_id = ${viewerId})`}`.as('has_voted'),
        sql<number>`(select count(*)::int from video_comments r where r.parent_id = c.id ${editor ? sql`` : sql`and r.hidden_at is null`})`.as('reply_count'),
      ])
      .where('c.video_id', '=', videoId)
      .$if(!editor, (q) => q.where('c.hidden_at', 'is', null));
  }
  type Row = Awaited<ReturnType<ReturnType<typeof selectComments>['executeTakeFirstOrThrow']>>;
  const json = (c: Row, viewerId: number | null, editor: boolean) => ({
    id: c.id, parent_id: c.parent_id, author: c.author, content: c.text, votes: c.votes, has_voted: Boolean(c.has_voted),
    reply_count: Number(c.reply_count), is_hidden: c.hidden_at !== null, edited_at: c.edited_at ? new Date(c.edited_at).toISOString() : null,
    created_at: new Date(c.created_at).toISOString(), can_edit: viewerId === c.author_id, can_moderate: editor || viewerId === c.author_id,
  });
  async function one(videoId: number, id: number, viewerId: number | null, editor: boolean) {
    const row = await selectComments(videoId, viewerId, editor).where('c.id', '=', id).executeTakeFirst();
    if (!row) throw notFound('No such comment on this video');
    return row;
  }

  app.get('/api/v1/videos/:ref/comments', {
    schema: {
      operationId: 'listComments', errors: ['not_found', 'password_required', 'comments_disabled', 'invalid_cursor'], tags: ['comments'], security: OPTIONAL_AUTH,
      summary: 'Comments of a video: top-level ones, or the replies to one (?parent=); cursor pagination',
      params: VideoRefParams, querystring: CommentListQuery, response: { 200: Envelope(Type.Array(Comment), PageMeta) },
    },
  }, async (request) => {
    const row = await commentable(request, (request.params as Static<typeof VideoRefParams>).ref);
    const { editor } = row;
    const q = request.query as Static<typeof CommentListQuery>;
    const limit = q.limit ?? 20;
    const sort = (q.sort ?? 'oldest') as (typeof SORTS)[number];
    const viewerId = request.principal?.id ?? null;
    let query = selectComments(row.id, viewerId, editor)
      .where((eb) => (q.parent === undefined ? eb('c.parent_id', 'is', null) : eb('c.parent_id', '=', q.parent!)));
    if (sort === 'top') {
      const after = decodeCursor(q.cursor, ['int', 'id']) as [number, number] | undefined;
      if (after) query = query.where((eb) => eb.or([eb('c.votes', '<', after[0]), eb.and([eb('c.votes', '=', after[0]), eb('c.id', '>', after[1])])]));
      query = query.orderBy('c.votes', 'desc').orderBy('c.id', 'asc');
    } else {
      const after = decodeCursor(q.cursor, ['id']) as [number] | undefined;
      if (after) query = query.where('c.id', sort === 'oldest' ? '>' : '<', after[0]);
      query = query.orderBy('c.id', sort === 'oldest' ? 'asc' : 'desc');
    }
    const rows = await query.limit(limit + 1).execute();
    const page = pageOf(rows, limit, (c) => (sort === 'top' ? [c.votes, c.id] : [c.id]));
    return ok(page.items.map((c) => json(c, viewerId, editor)), page.meta);
  });

  app.post('/api/v1/videos/:ref/comments', {
    schema: {
      operationId: 'createComment', errors: ['not_found', 'password_required', 'comments_disabled', 'html_not_allowed'], tags: ['comments'], security: AUTHENTICATED,
      summary: 'Comment on a video, or reply to a comment (signed-in viewers; rate limited)',
      params: VideoRefParams, querystring: VideoAccessQuery, body: CommentCreate, response: { 201: Envelope(Comment) },
    },
    config: limited,
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const row = await commentable(request, (request.params as Static<typeof VideoRefParams>).ref);
    const { editor } = row;
    const body = request.body as Static<typeof CommentCreate>;
    const text = plainText(body.content, 'content');
    if (body.parent_id !== undefined) {
      // A reply goes under a comment of the same video that the caller can see.
      await one(row.id, body.parent_id, viewer.id, editor).catch(() => {
        throw new AppError(404, 'not_found', 'No such comment to reply to on this video', { field: 'parent_id' });
      });
    }
    const created = await db().insertInto('video_comments').values({ video_id: row.id, author_id: viewer.id, parent_id: body.parent_id ?? null, text })
      .returning('id').executeTakeFirstOrThrow();
    reply.code(201);
    return ok(json(await one(row.id, created.id, viewer.id, editor), viewer.id, editor));
  });

  app.patch('/api/v1/videos/:ref/comments/:id', {
    schema: {
      operationId: 'updateComment', errors: ['not_found', 'password_required', 'comments_disabled', 'html_not_allowed', 'not_comment_author', 'forbidden'], tags: ['comments'],
      security: AUTHENTICATED, summary: 'Edit my comment\'s text; hide or show a comment (editors of the video)',
      params: CommentParams, querystring: VideoAccessQuery, body: CommentPatch, response: { 200: Envelope(Comment) },
    },
    config: limited,
  }, async (request) => {
    const viewer = requireUser(request);
    const params = request.params as Static<typeof CommentParams>;
    const row = await commentable(request, params.ref);
    const { editor } = row;
    const body = request.body as Static<typeof CommentPatch>;
    const current = await one(row.id, params.id, viewer.id, editor);
    const set: { text?: string; edited_at?: Date; hidden_at?: Date | null } = {};
    if (body.content !== undefined) {
      if (current.author_id !== viewer.id) throw forbidden('Only its author changes the text of a comment', 'not_comment_author');
      set.text = plainText(body.content, 'content');
      set.edited_at = new Date();
    }
    if (body.is_hidden !== undefined) {
      if (!editor) throw forbidden('Only the editors of the video hide or show comments');
      set.hidden_at = body.is_hidden ? (current.hidden_at ?? new Date()) : null;
    }
    await db().updateTable('video_comments').set(set).where('video_id', '=', row.id).where('id', '=', params.id).execute();
    return ok(json(await one(row.id, params.id, viewer.id, editor), viewer.id, editor));
  });

  app.delete('/api/v1/videos/:ref/comments/:id', {
    schema: {
      operationId: 'deleteComment', errors: ['not_found', 'password_required', 'forbidden'], tags: ['comments'], security: AUTHENTICATED,
      summary: 'Delete a comment and its replies (its author, or an editor of the video; also when comments are closed)',
      params: CommentParams, querystring: VideoAccessQuery, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const params = request.params as Static<typeof CommentParams>;
    // Closing comments does not stop anyone removing what they wrote, nor editors cleaning up.
    const row = await watchableFacts(app, request, params.ref);
    const { editor } = row;
    const current = await one(row.id, params.id, viewer.id, editor);
    if (!editor && current.author_id !== viewer.id) throw forbidden('Only its author or an editor of the video deletes a comment');
    await db().transaction().execute(async (tx) => {
      await tx.deleteFrom('video_comments').where('video_id', '=', row.id).where('id', '=', params.id).execute();
      // A moderator's deletion is on the record; an author taking their own words back is not.
      if (current.author_id !== viewer.id) {
        await audit(tx, request, { action: 'comment.deleted', target_type: 'comment', target_id: params.id, details: { video_id: row.id, author_id: current.author_id } });
      }
    });
    return ok(null);
  });

  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({
      method, url: '/api/v1/videos/:ref/comments/:id/vote',
      schema: {
        operationId: method === 'PUT' ? 'voteComment' : 'unvoteComment', errors: ['not_found', 'password_required', 'comments_disabled'], tags: ['comments'],
        security: AUTHENTICATED, summary: method === 'PUT' ? 'Vote for a comment (once; again changes nothing)' : 'Take my vote back',
        params: CommentParams, querystring: VideoAccessQuery, response: { 200: Envelope(VoteState) },
      },
      config: limited,
      handler: async (request) => {
        const viewer = requireUser(request);
        const params = request.params as Static<typeof CommentParams>;
        const row = await commentable(request, params.ref);
        const { editor } = row;
        await one(row.id, params.id, viewer.id, editor);
        // The count moves by the vote actually added or removed, under the comment's row lock: a
        // recount here would not see a concurrent vote not yet committed, and lose it.
        const votes = await db().transaction().execute(async (tx) => {
          const changed = method === 'PUT'
            ? await tx.insertInto('video_comment_votes').values({ comment_id: params.id, user_id: viewer.id }).onConflict((oc) => oc.doNothing()).returning('comment_id').executeTakeFirst()
            : await tx.deleteFrom('video_comment_votes').where('comment_id', '=', params.id).where('user_id', '=', viewer.id).returning('comment_id').executeTakeFirst();
          const delta = changed ? (method === 'PUT' ? 1 : -1) : 0;
          const updated = await tx.updateTable('video_comments').set((eb) => ({ votes: eb('votes', '+', delta) }))
            .where('id', '=', params.id).returning('votes').executeTakeFirstOrThrow();
          return updated.votes;
        });
        return ok({ id: params.id, votes, has_voted: method === 'PUT' });
      },
    });
  }
}
