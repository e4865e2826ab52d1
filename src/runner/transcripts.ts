// Automatic subtitles from Esup-Runner's `transcription` task (Whisper on the
// runner): editors ask for one, the WebVTT it makes becomes a subtitle track
// marked automatic (is_auto), editable like any track — editing its text
// makes it a person's track. A track a person uploaded in that language is
// never overwritten.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, conflict } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { defaultLabel, normaliseSubtitles } from '../delivery/tracks.ts';
import { editableVideo } from '../videos/routes.ts';
import { VideoRefParams } from '../videos/schemas.ts';
import { handOut } from './tasks.ts';
import { InvalidResult } from './invalid-result.ts';
import { model } from '../core/openapi-models.ts';

/** Stores a transcription as the video's automatic track in that language (replacing an earlier automatic one). */
export async function storeAutoTrack(app: FastifyInstance, videoId: number, lang: string, text: string) {
  const { vtt, cues } = normaliseSubtitles(text);
  const key = `tracks/${videoId}/auto-${lang}-${randomBytes(6).toString('hex')}.vtt`;
  await app.storage.put(key, Buffer.from(vtt), { contentType: 'text/vtt' });
  const replaced = await app.dbh.db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('video_tracks').select(['id', 'is_auto', 'storage_key'])
      .where('video_id', '=', videoId).where('kind', '=', 'subtitles').where('lang', '=', lang).forUpdate().executeTakeFirst();
    if (existing && !existing.is_auto) throw new InvalidResult(`A subtitle track in "${lang}" uploaded by a person exists: it is kept`);
    if (existing) {
      await tx.updateTable('video_tracks').set({ storage_key: key, cue_count: cues }).where('id', '=', existing.id).execute();
      return existing.storage_key;
    }
    await tx.insertInto('video_tracks').values({
      video_id: videoId, kind: 'subtitles', lang, label: `${defaultLabel(lang, 'subtitles')} (auto)`, storage_key: key, cue_count: cues, is_auto: true,
    }).execute();
    return null;
  }).catch(async (err: unknown) => {
    await app.storage.delete(key);
    throw err;
  });
  if (replaced) await app.storage.delete(replaced);
}

const TranscribeBody = Type.Object({
  language: Type.String({ pattern: '^(auto|[a-z]{2,3})$', description: 'Language of the subtitles to make (fr, en…), or auto (the spoken one)' }),
}, { additionalProperties: false });
const Transcription = model('Transcription', Type.Object({
  id: Type.String({ format: 'uuid' }),
  language: Type.String(),
  status: Type.String({ description: 'running, completed, imported (the track exists), failed, timeout, import_failed, lost' }),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
}));

export async function transcriptionRoutes(app: FastifyInstance) {
  app.post('/api/v1/videos/:ref/transcribe', {
    schema: {
      operationId: 'transcribeVideo', errors: ['not_found', 'forbidden', 'transcription_unavailable', 'no_source', 'transcription_in_progress', 'no_runner_available'], tags: ['delivery'],
      summary: 'Ask a runner for subtitles (Esup-Runner transcription; editors). The WebVTT becomes an automatic subtitle track',
      description: '202 with the task; 409 `transcription_unavailable` when pod-api does not encode on Esup-Runner; 503 `no_runner_available` (Retry-After) when no runner offering transcription is free.',
      security: AUTHENTICATED, params: VideoRefParams, body: TranscribeBody, response: { 202: Envelope(Transcription) },
    },
  }, async (request, reply) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const { language } = request.body as Static<typeof TranscribeBody>;
    if (app.config.ENCODING_BACKEND !== 'esup-runner') {
      throw new AppError(409, 'transcription_unavailable', 'Transcription needs Esup-Runner (ENCODING_BACKEND=esup-runner) with a runner offering the transcription task');
    }
    const video = await app.dbh.db.selectFrom('videos as v').innerJoin('users as u', 'u.id', 'v.owner_id')
      .select(['v.id', 'v.slug', 'v.title', 'v.source_key', 'v.source_filename', 'u.affiliation as owner_affiliation']).where('v.id', '=', row.id).executeTakeFirstOrThrow();
    if (!video.source_key) throw conflict('This video has no source file to transcribe', undefined, 'no_source');
    const running = await app.dbh.db.selectFrom('runner_tasks').select('id').where('video_id', '=', row.id).where('kind', '=', 'transcription')
      .where('language', '=', language).where('status', 'in', ['dispatching', 'running', 'completed']).executeTakeFirst();
    if (running) throw conflict('A transcription in this language is already under way', 'language', 'transcription_in_progress');
    const outcome = await handOut(app, video, { kind: 'transcription', language });
    if (!outcome.accepted) {
      throw new AppError(503, 'no_runner_available', `No runner offering transcription is free now (${outcome.refusals.join('; ')})`, { headers: { 'retry-after': '60' } });
    }
    const task = await app.dbh.db.selectFrom('runner_tasks').selectAll().where('id', '=', outcome.id).executeTakeFirstOrThrow();
    reply.code(202);
    return ok({ id: task.id, language, status: task.status, error: null, created_at: task.created_at.toISOString() });
  });

  app.get('/api/v1/videos/:ref/transcriptions', {
    schema: {
      operationId: 'listTranscriptions', errors: ['not_found', 'forbidden'], tags: ['delivery'], summary: 'Transcriptions asked for this video, newest first (editors)', security: AUTHENTICATED,
      params: VideoRefParams, response: { 200: Envelope(Type.Array(Transcription)) },
    },
  }, async (request) => {
    const { row } = await editableVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    const rows = await app.dbh.db.selectFrom('runner_tasks').select(['id', 'language', 'status', 'error_message', 'created_at'])
      .where('video_id', '=', row.id).where('kind', '=', 'transcription').orderBy('created_at', 'desc').limit(50).execute();
    return ok(rows.map((t) => ({ id: t.id, language: t.language ?? 'auto', status: t.status, error: t.error_message, created_at: t.created_at.toISOString() })));
  });
}
