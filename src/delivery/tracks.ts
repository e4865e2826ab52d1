// Subtitle and caption tracks of a video (Pod's completion.Track). Editors
// upload WebVTT or SRT as text; it is parsed by the W3C WebVTT parser
// (webvtt-parser), refused with the line of the first error, and stored
// normalised as WebVTT. Children are always looked up as (video, id): a
// track id of another video answers 404 (V4 fetched children by global id).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import webvtt from 'webvtt-parser';
import type { Database } from '../core/db/database.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { editableVideo, visibleVideo } from '../videos/routes.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import { model } from '../core/openapi-models.ts';

type Db = Kysely<Database> | Transaction<Database>;
const MAX_TRACK_CHARS = 4_000_000;

const Kind = Type.Union([Type.Literal('subtitles'), Type.Literal('captions')]);
const Lang = Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$', maxLength: 12, description: 'BCP 47 language, e.g. fr, en, pt-BR' });
const Content = Type.String({ minLength: 1, maxLength: MAX_TRACK_CHARS, description: 'WebVTT or SRT text; stored as WebVTT' });
const Track = model('Track', Type.Object({
  id: Type.Integer(), kind: Kind, lang: Type.String(), label: Type.String(), is_default: Type.Boolean(), cue_count: Type.Integer(),
  is_auto: Type.Boolean({ description: 'Made by a transcription (POST /videos/{ref}/transcribe) and not edited by a person since' }),
  created_at: Type.String({ format: 'date-time' }), updated_at: Type.String({ format: 'date-time' }),
}));
const TrackWithContent = model('TrackWithContent', Type.Object({ ...Track.properties, content: Type.String({ description: 'The normalised WebVTT' }) }));
const TrackCreate = model('TrackCreate', Type.Object({
  kind: Type.Optional(Kind), lang: Lang, label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  is_default: Type.Optional(Type.Boolean()), content: Content,
}, { additionalProperties: false }));
const TrackPatch = model('TrackPatch', Type.Object({
  kind: Type.Optional(Kind), lang: Type.Optional(Lang), label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  is_default: Type.Optional(Type.Boolean()), content: Type.Optional(Content),
}, { additionalProperties: false, minProperties: 1 }));
const TrackParams = Type.Object({ ...VideoRefParams.properties, trackId: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

/** SRT → WebVTT text (comma decimal separators, the signature line), then strict WebVTT parsing. */
export function normaliseSubtitles(text: string, field = 'content'): { vtt: string; cues: number } {
  let source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!/^WEBVTT/.test(source)) {
    if (!/^\s*\d+\n\d{1,2}:\d{2}:\d{2}[,.]\d{3} --> /.test(source)) {
      throw new AppError(400, 'invalid_subtitles', 'Not WebVTT (no WEBVTT line) nor SRT (no numbered cue with a time range)', { field });
    }
    source = `WEBVTT\n\n${source.trim().replace(/(\d{1,2}:\d{2}:\d{2}),(\d{3})/g, '$1.$2')}\n`;
  }
  const tree = new webvtt.WebVTTParser().parse(source, 'subtitles');
  const error = tree.errors[0];
  if (error) throw new AppError(400, 'invalid_subtitles', `Line ${error.line}: ${error.message}`, { field });
  if (tree.cues.length === 0) throw new AppError(400, 'invalid_subtitles', 'The file has no cue', { field });
  return { vtt: new webvtt.WebVTTSerializer().serialize(tree.cues, tree.styles), cues: tree.cues.length };
}

export function trackRows(db: Db, videoId: number) {
  return db.selectFrom('video_tracks').selectAll().where('video_id', '=', videoId).orderBy('is_default', 'desc').orderBy('lang').orderBy('kind').execute();
}

type TrackRow = Awaited<ReturnType<typeof trackRows>>[number];
const trackJson = (t: TrackRow) => ({
  id: t.id, kind: t.kind, lang: t.lang, label: t.label, is_default: t.is_default, cue_count: t.cue_count, is_auto: t.is_auto,
  created_at: t.created_at.toISOString(), updated_at: t.updated_at.toISOString(),
});
export const defaultLabel = (lang: string, kind: string) => {
  let name = lang;
  try {
    name = new Intl.DisplayNames([lang], { type: 'language' }).of(lang) ?? lang;
  } catch {
    // an unknown tag keeps its code
  }
  return kind === 'captions' ? `${name} (CC)` : name;
};
const isUniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' && String((err as { constraint?: string; message?: string }).constraint ?? (err as Error).message).includes(constraint);

export async function trackRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const newKey = (videoId: number, trackId: number) => `tracks/${videoId}/${trackId}-${randomBytes(6).toString('hex')}.vtt`;

  async function trackOf(videoId: number, trackId: number) {
    const row = await db().selectFrom('video_tracks').selectAll().where('video_id', '=', videoId).where('id', '=', trackId).executeTakeFirst();
    if (!row) throw notFound('No such track on this video');
    return row;
  }
  async function readText(key: string) {
    const chunks: Buffer[] = [];
    for await (const c of await app.storage.get(key)) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  }
  /** Runs a track write; turns the (video, kind, lang) and one-default constraints into 409s. */
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isUniqueViolation(err, 'video_tracks_video_id_kind_lang')) throw conflict('This video already has a track of this kind in this language', 'lang', 'track_exists');
      throw err;
    }
  }

  app.get('/api/v1/videos/:ref/tracks', {
    schema: { operationId: 'listTracks', errors: ['not_found'], tags: ['delivery'], summary: 'Subtitle and caption tracks of a video (metadata; URLs come with the player config)', security: OPTIONAL_AUTH,
      params: VideoRefParams, querystring: VideoAccessQuery, response: { 200: Envelope(Type.Array(Track)) } },
  }, async (request) => {
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    return ok((await trackRows(db(), row.id)).map(trackJson));
  });

  app.get('/api/v1/videos/:ref/tracks/:trackId', {
    schema: { operationId: 'getTrack', errors: ['not_found', 'forbidden'], tags: ['delivery'], summary: 'One track with its WebVTT text (editors)', security: AUTHENTICATED,
      params: TrackParams, response: { 200: Envelope(TrackWithContent) } },
  }, async (request) => {
    const params = request.params as Static<typeof TrackParams>;
    const { row } = await editableVideo(app, request, params.ref);
    const track = await trackOf(row.id, params.trackId);
    return ok({ ...trackJson(track), content: await readText(track.storage_key) });
  });

  app.post('/api/v1/videos/:ref/tracks', {
    schema: { operationId: 'createTrack', responseHeaders: { 201: ['Location'] }, errors: ['not_found', 'forbidden', 'invalid_subtitles', 'track_exists'], tags: ['delivery'], summary: 'Add a track from WebVTT or SRT text (editors); one per kind and language', security: AUTHENTICATED,
      params: VideoRefParams, body: TrackCreate, response: { 201: Envelope(Track) } },
    bodyLimit: MAX_TRACK_CHARS * 2,
  }, async (request, reply) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const body = request.body as Static<typeof TrackCreate>;
    const kind = body.kind ?? 'subtitles';
    const { vtt, cues } = normaliseSubtitles(body.content);
    const track = await guarded(() => db().transaction().execute(async (tx) => {
      if (body.is_default) await tx.updateTable('video_tracks').set({ is_default: false }).where('video_id', '=', row.id).execute();
      const created = await tx.insertInto('video_tracks').values({
        video_id: row.id, kind, lang: body.lang, label: body.label ?? defaultLabel(body.lang, kind), is_default: body.is_default ?? false,
        storage_key: 'pending', cue_count: cues,
      }).returningAll().executeTakeFirstOrThrow();
      const key = newKey(row.id, created.id);
      await app.storage.put(key, Buffer.from(vtt), { contentType: 'text/vtt' });
      return tx.updateTable('video_tracks').set({ storage_key: key }).where('id', '=', created.id).returningAll().executeTakeFirstOrThrow();
    }));
    reply.code(201).header('location', `/api/v1/videos/${row.slug}/tracks/${track.id}`);
    return ok(trackJson(track));
  });

  app.patch('/api/v1/videos/:ref/tracks/:trackId', {
    schema: { operationId: 'updateTrack', errors: ['not_found', 'forbidden', 'invalid_subtitles', 'track_exists'], tags: ['delivery'], summary: 'Change a track: label, language, kind, default, or its text (editors)', security: AUTHENTICATED,
      params: TrackParams, body: TrackPatch, response: { 200: Envelope(Track) } },
    bodyLimit: MAX_TRACK_CHARS * 2,
  }, async (request) => {
    const params = request.params as Static<typeof TrackParams>;
    const { row } = await editableVideo(app, request, params.ref);
    const track = await trackOf(row.id, params.trackId);
    const body = request.body as Static<typeof TrackPatch>;
    const text = body.content === undefined ? undefined : normaliseSubtitles(body.content);
    // A new text gets a new key: cached copies of the old URL never mask it.
    const key = text ? newKey(row.id, track.id) : track.storage_key;
    if (text) await app.storage.put(key, Buffer.from(text.vtt), { contentType: 'text/vtt' });
    const updated = await guarded(() => db().transaction().execute(async (tx) => {
      if (body.is_default) await tx.updateTable('video_tracks').set({ is_default: false }).where('video_id', '=', row.id).where('id', '!=', track.id).execute();
      return tx.updateTable('video_tracks').set({
        ...(body.kind ? { kind: body.kind } : {}), ...(body.lang ? { lang: body.lang } : {}), ...(body.label ? { label: body.label } : {}),
        ...(body.is_default !== undefined ? { is_default: body.is_default } : {}),
        // A person's text: no longer an automatic transcription.
        ...(text ? { storage_key: key, cue_count: text.cues, is_auto: false } : {}),
      }).where('id', '=', track.id).returningAll().executeTakeFirstOrThrow();
    })).catch(async (err: unknown) => {
      if (text) await app.storage.delete(key);
      throw err;
    });
    if (text) await app.storage.delete(track.storage_key);
    return ok(trackJson(updated));
  });

  app.delete('/api/v1/videos/:ref/tracks/:trackId', {
    schema: { operationId: 'deleteTrack', errors: ['not_found', 'forbidden'], tags: ['delivery'], summary: 'Delete a track (editors)', security: AUTHENTICATED, params: TrackParams, response: { 200: Envelope(Type.Null()) } },
  }, async (request) => {
    const params = request.params as Static<typeof TrackParams>;
    const { row } = await editableVideo(app, request, params.ref);
    const track = await trackOf(row.id, params.trackId);
    await db().deleteFrom('video_tracks').where('id', '=', track.id).execute();
    await app.storage.delete(track.storage_key);
    return ok(null);
  });
}
