// Each viewer's notes on a video (Pod's notes app): text at a moment of the
// video (or about all of it), private by default; a public note is shown to
// whoever may watch the video, unless its editors turned public notes off
// (`disable_public_notes`: the notes stay their authors'). Editors may delete
// a public note (moderation); only its author changes it.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import { plainText } from '../comments/routes.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, badRequest, forbidden, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { toMs, withinDuration } from '../enrichments/child-routes.ts';
import { watchableFacts, type WatchedVideo } from '../videos/facts.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';

const Seconds = Type.Union([Type.Number({ minimum: 0, maximum: 9_999_999 }), Type.Null()], { description: 'Where in the video (seconds); null: about the whole video' });
const Text = Type.String({ minLength: 1, maxLength: 10_000, description: 'Plain text or Markdown; HTML tags are refused' });
export const Note = model('Note', Type.Object({
  id: Type.Integer(),
  author: Type.Object({ id: Type.Integer(), username: Type.String(), first_name: Type.String(), last_name: Type.String() }),
  time_start: Seconds,
  note: Type.String({ description: 'Plain text or Markdown (Pod\'s field name)' }),
  is_public: Type.Boolean(),
  is_mine: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}));
const NoteCreate = model('NoteCreate', Type.Object({
  note: Text, time_start: Type.Optional(Seconds), is_public: Type.Optional(Type.Boolean({ description: 'Shown to whoever may watch the video (default false)' })),
}, { additionalProperties: false }));
const NotePatch = model('NotePatch', Type.Object({
  note: Type.Optional(Text), time_start: Type.Optional(Seconds), is_public: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 }));
const NoteParams = Type.Object({ ...VideoRefParams.properties, id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });
const NoteListQuery = Type.Object({
  ...VideoAccessQuery.properties,
  ...PageQuery,
  scope: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('mine'), Type.Literal('public')], {
    description: 'all (default): mine and the public ones; mine; public (everyone\'s public notes)',
  })),
});

/** Notes about the whole video first (no time), then in time order: the list's order and its cursor. */
const SORT_KEY = sql<number>`coalesce(n.time_start::float8, -1)`;

export async function noteRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  function selectNotes(videoId: number) {
    return db().selectFrom('video_notes as n').innerJoin('users as u', 'u.id', 'n.user_id')
      .select([
        'n.id', 'n.user_id', 'n.text', 'n.is_public', 'n.created_at', 'n.updated_at',
        sql<number | null>`n.time_start::float8`.as('time_start'),
        SORT_KEY.as('sort_key'),
        sql<{ id: number; username: string; first_name: string; last_name: string }>`json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name, 'last_name', u.last_name)`.as('author'),
      ])
      .where('n.video_id', '=', videoId);
  }
  type Row = Awaited<ReturnType<ReturnType<typeof selectNotes>['executeTakeFirstOrThrow']>>;
  const json = (n: Row, viewerId: number | null) => ({
    id: n.id, author: n.author, time_start: n.time_start === null ? null : Number(n.time_start), note: n.text, is_public: n.is_public,
    is_mine: n.user_id === viewerId, created_at: new Date(n.created_at).toISOString(), updated_at: new Date(n.updated_at).toISOString(),
  });
  async function one(videoId: number, id: number) {
    const row = await selectNotes(videoId).where('n.id', '=', id).executeTakeFirst();
    if (!row) throw notFound('No such note on this video');
    return row;
  }
  function checked(video: WatchedVideo, input: { note?: string; time_start?: number | null; is_public?: boolean }) {
    if (input.is_public && video.disable_public_notes) throw new AppError(403, 'public_notes_disabled', 'Public notes are turned off on this video: keep it private', { field: 'is_public' });
    if (input.time_start != null && !withinDuration(video, input.time_start)) {
      throw badRequest(`The note must be inside the video (${video.duration} s)`, 'time_start', 'time_beyond_duration');
    }
    return {
      ...(input.note !== undefined ? { text: plainText(input.note, 'note') } : {}),
      ...(input.time_start !== undefined ? { time_start: input.time_start === null ? null : toMs(input.time_start) } : {}),
      ...(input.is_public !== undefined ? { is_public: input.is_public } : {}),
    };
  }

  app.get('/api/v1/videos/:ref/notes', {
    schema: {
      operationId: 'listNotes', errors: ['not_found', 'password_required', 'invalid_cursor'], tags: ['notes'], security: OPTIONAL_AUTH,
      summary: 'My notes on a video and its viewers\' public notes, in time order (anonymous callers: the public ones)',
      params: VideoRefParams, querystring: NoteListQuery, response: { 200: Envelope(Type.Array(Note), PageMeta) },
    },
  }, async (request) => {
    const row = await watchableFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const q = request.query as Static<typeof NoteListQuery>;
    const scope = q.scope ?? 'all';
    const limit = q.limit ?? 20;
    const viewerId = request.principal?.id ?? null;
    const publicShown = !row.disable_public_notes;
    let query = selectNotes(row.id).where((eb) => {
      const mine = viewerId === null ? eb.lit(false) : eb('n.user_id', '=', viewerId);
      const shared = publicShown ? eb('n.is_public', '=', true) : eb.lit(false);
      if (scope === 'mine') return eb.and([mine]);
      if (scope === 'public') return eb.and([shared]);
      return eb.or([mine, shared]);
    });
    const after = decodeCursor(q.cursor, ['float', 'id']) as [number, number] | undefined;
    if (after) {
      query = query.where((eb) => eb.or([
        eb(SORT_KEY, '>', after[0]),
        eb.and([eb(SORT_KEY, '=', after[0]), eb('n.id', '>', after[1])]),
      ]));
    }
    const rows = await query.orderBy(SORT_KEY).orderBy('n.id').limit(limit + 1).execute();
    const page = pageOf(rows, limit, (n) => [Number(n.sort_key), n.id]);
    return ok(page.items.map((n) => json(n, viewerId)), page.meta);
  });

  app.post('/api/v1/videos/:ref/notes', {
    schema: {
      operationId: 'createNote', errors: ['not_found', 'password_required', 'html_not_allowed', 'time_beyond_duration', 'public_notes_disabled'], tags: ['notes'],
      security: AUTHENTICATED, summary: 'Take a note on a video (signed-in viewers); private unless is_public',
      params: VideoRefParams, querystring: VideoAccessQuery, body: NoteCreate, response: { 201: Envelope(Note) },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const row = await watchableFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const values = checked(row, request.body as Static<typeof NoteCreate>);
    const created = await db().insertInto('video_notes').values({ time_start: null, ...values, text: values.text!, video_id: row.id, user_id: viewer.id })
      .returning('id').executeTakeFirstOrThrow();
    reply.code(201);
    return ok(json(await one(row.id, created.id), viewer.id));
  });

  app.patch('/api/v1/videos/:ref/notes/:id', {
    schema: {
      operationId: 'updateNote', errors: ['not_found', 'password_required', 'html_not_allowed', 'time_beyond_duration', 'public_notes_disabled'], tags: ['notes'],
      security: AUTHENTICATED, summary: 'Change one of my notes', params: NoteParams, querystring: VideoAccessQuery, body: NotePatch, response: { 200: Envelope(Note) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const params = request.params as Static<typeof NoteParams>;
    const row = await watchableFacts(app, request, params.ref);
    // Someone else's note does not exist for the caller (even a public one: it is not theirs to change).
    const current = await one(row.id, params.id);
    if (current.user_id !== viewer.id) throw notFound('No such note of yours on this video');
    await db().updateTable('video_notes').set(checked(row, request.body as Static<typeof NotePatch>)).where('id', '=', params.id).execute();
    return ok(json(await one(row.id, params.id), viewer.id));
  });

  app.delete('/api/v1/videos/:ref/notes/:id', {
    schema: {
      operationId: 'deleteNote', errors: ['not_found', 'password_required', 'forbidden'], tags: ['notes'], security: AUTHENTICATED,
      summary: 'Delete one of my notes, or (editors of the video) a public note', params: NoteParams, querystring: VideoAccessQuery, response: { 200: Envelope(Type.Null()) },
    },
  }, async (request) => {
    const viewer = requireUser(request);
    const params = request.params as Static<typeof NoteParams>;
    const row = await watchableFacts(app, request, params.ref);
    const current = await one(row.id, params.id);
    const mine = current.user_id === viewer.id;
    if (!mine && !(current.is_public && !row.disable_public_notes)) throw notFound('No such note on this video');
    if (!mine && !row.editor) throw forbidden('Only its author or an editor of the video deletes a note');
    await db().deleteFrom('video_notes').where('id', '=', params.id).execute();
    return ok(null);
  });
}
