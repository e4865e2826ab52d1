// The routes of a video's simple children (contributors, overlays, timed
// links): list for whoever may watch the video, create / change / delete for
// its editors. Children are addressed through their video, (video, id): an id
// of another video's child answers 404. One place, so the three follow the
// same access rules and error contract.
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import Type, { type Static, type TObject, type TSchema } from 'typebox';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import type { ErrorCode } from '../core/error-codes.ts';
import { badRequest, conflict, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { editableFacts, watchableFacts } from '../videos/facts.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type ChildTable = 'video_contributors' | 'video_overlays' | 'video_links';

export interface ChildSpec<Row> {
  /** URL segment under /videos/{ref}/ (plural), and the singular noun of messages. */
  path: string;
  noun: string;
  table: ChildTable;
  /** operationIds: list, create, update, delete. */
  ids: [string, string, string, string];
  model: TSchema;
  create: TObject;
  patch: TObject;
  /** Codes the checks of `values` answer (documented on create and update). */
  errors: ErrorCode[];
  /** The answer to a (video, …) uniqueness violation, if the table has one. */
  duplicate?: { code: ErrorCode; message: string; field: string };
  /** Column values from the input (the current row merged in on update), checked against the video. */
  values(video: { duration: number }, input: Record<string, unknown>): Record<string, unknown>;
  /** The row as shown: `editor` sees what viewers do not (a contributor's e-mail). */
  json(row: Row, editor: boolean): unknown;
  /** Rows in display order. */
  rows(db: Db, videoId: number): Promise<Row[]>;
}

/** Seconds as stored (numeric(10, 3)): to the millisecond, so that checks see what the database will hold. */
export const toMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** Text trimmed, and not blank (400 validation_error naming the field otherwise). */
export function trimmed(value: unknown, field: string, min = 1): string {
  const text = String(value ?? '').trim();
  if (text.length < min) throw badRequest(min > 1 ? `At least ${min} characters, spaces aside` : 'Blank', field, 'validation_error');
  return text;
}

/** Seconds inside the video: below its duration when it is known (0: not encoded yet, anything goes). */
export function withinDuration(video: { duration: number }, seconds: number) {
  return video.duration <= 0 || seconds <= video.duration;
}

export function childRoutes<Row extends { id: number }>(spec: ChildSpec<Row>) {
  return async (app: FastifyInstance) => {
    const db = () => app.dbh.db;
    const table = () => db() as unknown as Kysely<Record<ChildTable, Record<string, unknown>>>;
    const Params = Type.Object({ ...VideoRefParams.properties, id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });
    const base = `/api/v1/videos/:ref/${spec.path}`;
    const editorErrors: ErrorCode[] = ['not_found', 'forbidden', ...spec.errors, ...(spec.duplicate ? [spec.duplicate.code] : [])];
    const find = async (videoId: number, id: number) => (await spec.rows(db(), videoId)).find((r) => r.id === id);
    const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        if (spec.duplicate && (err as { code?: string }).code === '23505') throw conflict(spec.duplicate.message, spec.duplicate.field, spec.duplicate.code);
        throw err;
      }
    };

    app.get(base, {
      schema: {
        operationId: spec.ids[0], errors: ['not_found', 'password_required'], tags: ['enrichments'], security: OPTIONAL_AUTH,
        summary: `The ${spec.path} of a video (whoever may watch it; also in its player configuration)`,
        params: VideoRefParams, querystring: VideoAccessQuery, response: { 200: Envelope(Type.Array(spec.model)) },
      },
    }, async (request) => {
      const { id, editor } = await watchableFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
      return ok((await spec.rows(db(), id)).map((r) => spec.json(r, editor)));
    });

    app.post(base, {
      schema: {
        operationId: spec.ids[1], errors: editorErrors, tags: ['enrichments'], security: AUTHENTICATED, summary: `Add a ${spec.noun} (editors)`,
        params: VideoRefParams, body: spec.create, response: { 201: Envelope(spec.model) },
      },
    }, async (request, reply) => {
      const row = await editableFacts(app, request, (request.params as Static<typeof VideoRefParams>).ref);
      const values = spec.values(row, request.body as Record<string, unknown>);
      const created = await guarded(() => table().insertInto(spec.table).values({ ...values, video_id: row.id }).returning('id').executeTakeFirstOrThrow());
      reply.code(201);
      return ok(spec.json((await find(row.id, Number(created.id)))!, true));
    });

    app.patch(`${base}/:id`, {
      schema: {
        operationId: spec.ids[2], errors: editorErrors, tags: ['enrichments'], security: AUTHENTICATED, summary: `Change a ${spec.noun} (editors)`,
        params: Params, body: spec.patch, response: { 200: Envelope(spec.model) },
      },
    }, async (request) => {
      const params = request.params as Static<typeof Params>;
      const row = await editableFacts(app, request, params.ref);
      const current = await find(row.id, params.id);
      if (!current) throw notFound(`No such ${spec.noun} on this video`);
      // The merged child is checked whole: a new end before the old start is caught.
      const merged = { ...(spec.json(current, true) as Record<string, unknown>), ...(request.body as Record<string, unknown>) };
      const values = spec.values(row, merged);
      await guarded(() => table().updateTable(spec.table).set(values).where('video_id', '=', row.id).where('id', '=', params.id).execute());
      return ok(spec.json((await find(row.id, params.id))!, true));
    });

    app.delete(`${base}/:id`, {
      schema: {
        operationId: spec.ids[3], errors: ['not_found', 'forbidden'], tags: ['enrichments'], security: AUTHENTICATED, summary: `Delete a ${spec.noun} (editors)`,
        params: Params, response: { 200: Envelope(Type.Null()) },
      },
    }, async (request) => {
      const params = request.params as Static<typeof Params>;
      const row = await editableFacts(app, request, params.ref);
      const gone = await table().deleteFrom(spec.table).where('video_id', '=', row.id).where('id', '=', params.id).returning('id').executeTakeFirst();
      if (!gone) throw notFound(`No such ${spec.noun} on this video`);
      return ok(null);
    });
  };
}
