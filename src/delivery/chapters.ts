// Chapters of a video (Pod's chapter.Chapter): title + start time, no two at
// the same moment, inside the video's duration. Besides the JSON list, a
// WebVTT chapters track is kept in storage for <track kind="chapters">; its
// key carries a hash of the list, so a changed list is a new URL (caches of
// public media never serve an old one). Children are addressed as (video, id).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import webvtt from 'webvtt-parser';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, badRequest, conflict, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import type { VideoRow } from '../videos/queries.ts';
import { editableVideo, visibleVideo } from '../videos/routes.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import { model } from '../core/openapi-models.ts';

type Db = Kysely<Database> | Transaction<Database>;
export interface ChapterJson { id: number; title: string; time_start: number }

const Title = Type.String({ minLength: 1, maxLength: 100 });
const TimeStart = Type.Number({ minimum: 0, maximum: 9_999_999, description: 'Seconds from the start (millisecond precision)' });
const Chapter = model('Chapter', Type.Object({ id: Type.Integer(), title: Type.String(), time_start: Type.Number() }));
const ChapterCreate = model('ChapterCreate', Type.Object({ title: Title, time_start: TimeStart }, { additionalProperties: false }));
const ChapterPatch = model('ChapterPatch', Type.Object({ title: Type.Optional(Title), time_start: Type.Optional(TimeStart) }, { additionalProperties: false, minProperties: 1 }));
const ChaptersReplace = Type.Object({
  chapters: Type.Optional(Type.Array(ChapterCreate, { maxItems: 500 })),
  vtt: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000_000, description: 'A WebVTT chapters file to import instead of the list' })),
}, { additionalProperties: false, minProperties: 1, maxProperties: 1 });
const ChapterParams = Type.Object({ ...VideoRefParams.properties, chapterId: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

const listHash = (chapters: ChapterJson[]) =>
  createHash('sha256').update(JSON.stringify(chapters.map((c) => [c.title, c.time_start]))).digest('hex').slice(0, 12);

/** Storage key of the chapters track for this list. */
export function CHAPTERS_VTT(videoId: number, chapters: ChapterJson[] = []): string {
  return `tracks/${videoId}/chapters-${listHash(chapters)}.vtt`;
}

export async function chapterRows(db: Db, videoId: number): Promise<ChapterJson[]> {
  const rows = await db.selectFrom('video_chapters').select(['id', 'title', sql<number>`time_start::float8`.as('time_start')])
    .where('video_id', '=', videoId).orderBy('time_start').execute();
  return rows.map((r) => ({ id: r.id, title: r.title, time_start: Number(r.time_start) }));
}

const stamp = (s: number) => {
  const ms = Math.round(s * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)}.${p(ms % 1000, 3)}`;
};

export function chaptersVtt(chapters: ChapterJson[], duration: number): string {
  const cues = chapters.map((c, i) => {
    const end = chapters[i + 1]?.time_start ?? Math.max(duration, c.time_start + 1);
    return `${i + 1}\n${stamp(c.time_start)} --> ${stamp(end)}\n${c.title.replace(/-->/g, '→').replace(/\n/g, ' ')}`;
  });
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

function importVtt(text: string): { title: string; time_start: number }[] {
  const tree = new webvtt.WebVTTParser().parse(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'), 'chapters');
  const error = tree.errors[0];
  if (error) throw new AppError(400, 'invalid_chapters', `Line ${error.line}: ${error.message}`, { field: 'vtt' });
  return tree.cues.map((c) => ({ title: c.text.trim().slice(0, 100) || `Chapter ${c.id}`, time_start: Math.round(c.startTime * 1000) / 1000 }));
}

export async function chapterRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;

  function checkTimes(row: VideoRow, chapters: { time_start: number }[], field: string) {
    const seen = new Set<number>();
    for (const [i, c] of chapters.entries()) {
      const f = chapters.length > 1 ? `${field}.${i}.time_start` : 'time_start';
      if (row.duration > 0 && c.time_start >= row.duration) throw badRequest(`A chapter must start before the end of the video (${row.duration} s)`, f, 'chapter_after_end');
      const ms = Math.round(c.time_start * 1000);
      if (seen.has(ms)) throw conflict('Two chapters cannot start at the same time', f, 'chapter_time_taken');
      seen.add(ms);
    }
  }
  /** Writes the chapters track for the current list and removes the superseded ones. */
  async function publishVtt(row: VideoRow) {
    const chapters = await chapterRows(db(), row.id);
    const keep = chapters.length ? CHAPTERS_VTT(row.id, chapters) : null;
    if (keep) await app.storage.put(keep, Buffer.from(chaptersVtt(chapters, row.duration)), { contentType: 'text/vtt' });
    for await (const o of app.storage.list(`tracks/${row.id}/`)) {
      if (/\/chapters-[0-9a-f]+\.vtt$/.test(o.key) && o.key !== keep) await app.storage.delete(o.key);
    }
    return chapters;
  }
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict('Another chapter already starts at this time', 'time_start', 'chapter_time_taken');
      throw err;
    }
  }

  app.get('/api/v1/videos/:ref/chapters', {
    schema: { operationId: 'listChapters', errors: ['not_found'], tags: ['delivery'], summary: 'Chapters of a video, in time order', security: OPTIONAL_AUTH,
      params: VideoRefParams, querystring: VideoAccessQuery, response: { 200: Envelope(Type.Array(Chapter)) } },
  }, async (request) => {
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    return ok(await chapterRows(db(), row.id));
  });

  app.post('/api/v1/videos/:ref/chapters', {
    schema: { operationId: 'createChapter', errors: ['not_found', 'forbidden', 'chapter_after_end', 'chapter_time_taken'], tags: ['delivery'], summary: 'Add a chapter (editors)', security: AUTHENTICATED,
      params: VideoRefParams, body: ChapterCreate, response: { 201: Envelope(Chapter) } },
  }, async (request, reply) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const body = request.body as Static<typeof ChapterCreate>;
    checkTimes(row, [body], 'time_start');
    const created = await guarded(() => db().insertInto('video_chapters').values({ video_id: row.id, title: body.title, time_start: body.time_start })
      .returning('id').executeTakeFirstOrThrow());
    const chapters = await publishVtt(row);
    reply.code(201);
    return ok(chapters.find((c) => c.id === created.id)!);
  });

  app.put('/api/v1/videos/:ref/chapters', {
    schema: { operationId: 'replaceChapters', errors: ['not_found', 'forbidden', 'invalid_chapters', 'chapter_after_end', 'chapter_time_taken'], tags: ['delivery'], summary: 'Replace every chapter: a JSON list, or a WebVTT chapters file to import (editors)', security: AUTHENTICATED,
      params: VideoRefParams, body: ChaptersReplace, response: { 200: Envelope(Type.Array(Chapter)) } },
    bodyLimit: 2_100_000,
  }, async (request) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const body = request.body as Static<typeof ChaptersReplace>;
    const list = body.vtt !== undefined ? importVtt(body.vtt) : body.chapters!;
    checkTimes(row, list, body.vtt !== undefined ? 'vtt' : 'chapters');
    await db().transaction().execute(async (tx) => {
      await tx.deleteFrom('video_chapters').where('video_id', '=', row.id).execute();
      if (list.length) await tx.insertInto('video_chapters').values(list.map((c) => ({ video_id: row.id, title: c.title, time_start: c.time_start }))).execute();
    });
    return ok(await publishVtt(row));
  });

  app.patch('/api/v1/videos/:ref/chapters/:chapterId', {
    schema: { operationId: 'updateChapter', errors: ['not_found', 'forbidden', 'chapter_after_end', 'chapter_time_taken'], tags: ['delivery'], summary: 'Rename or move a chapter (editors)', security: AUTHENTICATED,
      params: ChapterParams, body: ChapterPatch, response: { 200: Envelope(Chapter) } },
  }, async (request) => {
    const params = request.params as Static<typeof ChapterParams>;
    const { row } = await editableVideo(app, request, params.ref);
    const body = request.body as Static<typeof ChapterPatch>;
    if (body.time_start !== undefined) checkTimes(row, [{ time_start: body.time_start }], 'time_start');
    const updated = await guarded(() => db().updateTable('video_chapters').set({ ...(body.title ? { title: body.title } : {}), ...(body.time_start !== undefined ? { time_start: body.time_start } : {}) })
      .where('video_id', '=', row.id).where('id', '=', params.chapterId).returning('id').executeTakeFirst());
    if (!updated) throw notFound('No such chapter on this video');
    return ok((await publishVtt(row)).find((c) => c.id === updated.id)!);
  });

  app.delete('/api/v1/videos/:ref/chapters/:chapterId', {
    schema: { operationId: 'deleteChapter', errors: ['not_found', 'forbidden'], tags: ['delivery'], summary: 'Delete a chapter (editors)', security: AUTHENTICATED, params: ChapterParams, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    const params = request.params as Static<typeof ChapterParams>;
    const { row } = await editableVideo(app, request, params.ref);
    const gone = await db().deleteFrom('video_chapters').where('video_id', '=', row.id).where('id', '=', params.chapterId).returning('id').executeTakeFirst();
    if (!gone) throw notFound('No such chapter on this video');
    await publishVtt(row);
    return ok(null);
  });
}
