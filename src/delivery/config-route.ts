// GET /api/v1/videos/{ref}/config — everything a player needs in one call:
// HLS master and renditions, the DASH MPD (CMAF encodings), mp4 and audio-only sources, subtitle tracks,
// chapters (JSON + a WebVTT chapters track), poster, thumbnails, storyboard,
// duration, overlays, timed links, documents, contributors, and when the
// signed URLs expire. Same visibility as the detail
// (404), plus the watch rule (a password needs an unlock token: 403).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { OPTIONAL_AUTH } from '../core/openapi.ts';
import type { EncodingOutputs } from '../encoding/state.ts';
import { watchableVideo } from '../videos/routes.ts';
import { VideoAccessQuery, VideoRefParams } from '../videos/schemas.ts';
import { chapterRows, CHAPTERS_VTT } from './chapters.ts';
import { mediaUrls } from './media-urls.ts';
import { trackRows } from './tracks.ts';
import { documentJson, documentRows, VideoDocument } from '../documents/routes.ts';
import { contributorRows, publicContributor, PublicContributor } from '../enrichments/contributors.ts';
import { linkRows, TimedLink } from '../enrichments/links.ts';
import { Overlay, overlayRows } from '../enrichments/overlays.ts';
import { model } from '../core/openapi-models.ts';
import type { CachedAnswer } from '../core/read-cache.ts';
import { answerKey, cachedAnswer, serialized } from '../videos/cached-answers.ts';

const Url = Type.String({ format: 'uri' });
const PlayerConfig = model('PlayerConfig', Type.Object({
  video: Type.Object({ id: Type.Integer(), slug: Type.String(), title: Type.String(), duration: Type.Integer({ description: 'seconds' }) }),
  encoding: Type.Object({ status: Type.String(), ready: Type.Boolean({ description: 'Playable outputs exist (possibly while a re-encode runs)' }) }),
  formats: Type.Array(Type.Union([Type.Literal('hls'), Type.Literal('dash'), Type.Literal('mp4'), Type.Literal('audio')]), {
    description: 'What this video can be played from: choose the first your player supports (dash only for videos encoded as CMAF)',
  }),
  hls: Type.Union([Type.Object({
    master: Url,
    type: Type.Literal('application/vnd.apple.mpegurl'),
    segments: Type.Union([Type.Literal('fmp4'), Type.Literal('mpegts')], { description: 'fmp4: CMAF segments shared with DASH (HLS v7); mpegts: older encodings, Esup-Runner and Pod V4 imports' }),
    renditions: Type.Array(Type.Object({ url: Url, width: Type.Integer(), height: Type.Integer(), bitrate: Type.Integer(), codecs: Type.String() })),
  }), Type.Null()]),
  dash: Type.Union([Type.Object({
    manifest: Url,
    type: Type.Literal('application/dash+xml'),
  }), Type.Null()], { description: 'A DASH MPD over the same CMAF segments as the HLS playlists; null for videos without CMAF (re-encode to add it)' }),
  mp4: Type.Array(Type.Object({ url: Url, height: Type.Integer(), type: Type.Literal('video/mp4') })),
  audio: Type.Union([Type.Object({ url: Url, type: Type.Union([Type.Literal('audio/mp4'), Type.Literal('audio/mpeg')]), codecs: Type.String() }), Type.Null()]),
  tracks: Type.Array(Type.Object({
    id: Type.Union([Type.Integer(), Type.Null()], { description: 'null for a track extracted by the encoder' }),
    kind: Type.Union([Type.Literal('subtitles'), Type.Literal('captions')]),
    lang: Type.String(), label: Type.String(), default: Type.Boolean(), url: Url, type: Type.Literal('text/vtt'),
  })),
  chapters: Type.Array(Type.Object({ id: Type.Integer(), title: Type.String(), time_start: Type.Number() })),
  chapters_vtt: Type.Union([Url, Type.Null()], { description: 'A <track kind="chapters"> source' }),
  poster: Type.Union([Url, Type.Null()]),
  thumbnails: Type.Array(Url),
  storyboard_vtt: Type.Union([Url, Type.Null()]),
  overlays: Type.Array(Overlay, { description: 'Sanitised HTML to show over the player from time_start to time_end' }),
  links: Type.Array(TimedLink, { description: 'Links to offer from time_start on' }),
  documents: Type.Array(VideoDocument, { description: 'Downloadable documents (signed URLs; private ones for editors only)' }),
  contributors: Type.Array(PublicContributor),
  access: Type.Object({
    public: Type.Boolean({ description: 'true: long-cached public URLs; false: signed URLs' }),
    expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Fetch the configuration again before this (signed URLs, media or documents, stop working); null: no signed URL in it' }),
  }),
}));

export async function playerConfigRoute(app: FastifyInstance) {
  app.get('/api/v1/videos/:ref/config', {
    schema: {
      operationId: 'getVideoConfig', errors: ['not_found', 'password_required'], tags: ['delivery'], summary: 'Player configuration: sources, tracks, chapters, poster, URL expiry (ETag; 403 password_required)',
      security: OPTIONAL_AUTH, params: VideoRefParams, querystring: VideoAccessQuery,
      response: { 200: Envelope(PlayerConfig), 304: Type.String({ description: 'Not modified (If-None-Match)' }) },
      responseHeaders: { 200: ['ETag', 'Cache-Control'], 304: ['ETag', 'Cache-Control'] },
    },
  }, async (request, reply) => {
    const { ref } = request.params as Static<typeof VideoRefParams>;
    const answer = await cachedAnswer(app, answerKey(request, 'config', ref), () => playerConfig(ref, request, reply));
    reply.header('etag', answer.etag).header('vary', 'authorization, cookie, x-video-token').header('cache-control', answer.cacheControl!);
    if (request.headers['if-none-match'] === answer.etag) return reply.code(304).send('');
    return reply.type('application/json; charset=utf-8').send(answer.body);
  });

  /** The configuration as sent: body, ETag and Cache-Control. */
  async function playerConfig(ref: string, request: FastifyRequest, reply: FastifyReply): Promise<CachedAnswer> {
    const { row, facts, editor } = await watchableVideo(app, request, ref);
    const db = app.dbh.db;
    const enc = await db.selectFrom('videos').select(['encoding_outputs']).where('id', '=', row.id).executeTakeFirstOrThrow();
    const outputs = (typeof enc.encoding_outputs === 'string' ? JSON.parse(enc.encoding_outputs) : enc.encoding_outputs) as EncodingOutputs | null;
    const media = mediaUrls(app, { id: row.id, facts, version: row.encoding_updated_at });
    const [tracks, chapters, overlays, links, documents, contributors] = await Promise.all([
      trackRows(db, row.id), chapterRows(db, row.id), overlayRows(db, row.id), linkRows(db, row.id), documentRows(db, row.id, editor), contributorRows(db, row.id),
    ]);
    const docs = documentJson(app, documents);

    // Uploaded tracks first; a subtitle the encoder extracted shows only if no uploaded track has its language.
    const extracted = (outputs?.subtitles ?? []).filter((s) => !tracks.some((t) => t.kind === 'subtitles' && t.lang === s.lang));
    const data: Static<typeof PlayerConfig> = {
      video: { id: row.id, slug: row.slug, title: row.title, duration: row.duration },
      encoding: { status: row.encoding_status, ready: Boolean(outputs) },
      formats: [
        ...(outputs?.hls_master ? ['hls' as const] : []), ...(outputs?.dash_manifest ? ['dash' as const] : []),
        ...(outputs?.mp4.length ? ['mp4' as const] : []), ...(outputs?.audio ? ['audio' as const] : []),
      ],
      hls: outputs?.hls_master ? {
        master: media.url(outputs.hls_master),
        type: 'application/vnd.apple.mpegurl' as const,
        segments: outputs.packaging === 'cmaf' ? 'fmp4' as const : 'mpegts' as const,
        renditions: outputs.renditions.map((r) => ({ url: media.url(r.playlist), width: r.width, height: r.height, bitrate: r.bitrate, codecs: r.codecs })),
      } : null,
      dash: outputs?.dash_manifest ? { manifest: media.url(outputs.dash_manifest), type: 'application/dash+xml' as const } : null,
      mp4: (outputs?.mp4 ?? []).map((m) => ({ url: media.url(m.key), height: m.height, type: 'video/mp4' as const })),
      audio: outputs?.audio ? { url: media.url(outputs.audio.key), type: outputs.audio.key.endsWith('.mp3') ? 'audio/mpeg' : 'audio/mp4', codecs: outputs.audio.codecs } : null,
      tracks: [
        ...tracks.map((t) => ({ id: t.id, kind: t.kind, lang: t.lang, label: t.label, default: t.is_default, url: media.url(t.storage_key), type: 'text/vtt' as const })),
        ...extracted.map((s) => ({ id: null, kind: 'subtitles' as const, lang: s.lang, label: s.label ?? s.lang, default: false, url: media.url(s.key), type: 'text/vtt' as const })),
      ],
      chapters,
      chapters_vtt: chapters.length ? media.url(CHAPTERS_VTT(row.id, chapters)) : null,
      poster: outputs?.poster ? media.url(outputs.poster) : null,
      thumbnails: (outputs?.thumbnails ?? []).map((k) => media.url(k)),
      storyboard_vtt: outputs?.storyboard ? media.url(outputs.storyboard.vtt) : null,
      overlays,
      links,
      documents: docs,
      contributors: contributors.map(publicContributor),
      access: { public: media.public, expires_at: media.expires_at?.toISOString() ?? docs[0]?.url_expires_at ?? null },
    };
    const body = serialized(reply, ok(data));
    // Signed URLs change every 5 minutes (expiry step), so the ETag does too.
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    return { body, etag, cacheControl: media.public ? 'public, max-age=60' : 'private, no-cache' };
  }
}
