// The encoding state machine of a video:
//   pending (no source) → queued → processing (progress %) → ready | error
// and back to queued when a new source (or a re-encode) starts a new job.
// Encoder reports may arrive late, twice or out of order: each is applied at
// most once (by event id), only for the video's current job, and never moves
// the state backwards (a late `processing` never overwrites `ready`).
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { notFound } from '../core/errors.ts';
import { notifyEncodingEnded } from '../notifications/notify.ts';
import { assertKey } from '../core/storage/storage.ts';

export type EncodingStatus = 'pending' | 'queued' | 'processing' | 'ready' | 'error';

const Key = Type.String({ minLength: 1, maxLength: 1024, pattern: '^[\\w.-]+(/[\\w.-]+)*$', description: 'Storage key' });

export const EncodingOutputs = Type.Object({
  // Absent for an audio-only result without HLS (Esup-Runner makes an m4a only).
  hls_master: Type.Optional(Key),
  // A DASH MPD over the same CMAF segments as the HLS playlists (reference encoder since issue L).
  dash_manifest: Type.Optional(Key),
  packaging: Type.Optional(Type.Union([Type.Literal('cmaf'), Type.Literal('mpegts')], {
    description: 'Segment format behind the manifests: cmaf (fMP4, HLS v7 + DASH) or mpegts (HLS only; the default when absent)',
  })),
  renditions: Type.Array(Type.Object({
    playlist: Key,
    width: Type.Integer({ minimum: 1, maximum: 16_384 }),
    height: Type.Integer({ minimum: 1, maximum: 16_384 }),
    bitrate: Type.Integer({ minimum: 1, description: 'bits per second' }),
    codecs: Type.String({ maxLength: 200, description: 'RFC 6381 codecs string' }),
  }), { maxItems: 20 }),
  mp4: Type.Array(Type.Object({ key: Key, height: Type.Integer({ minimum: 1 }), size: Type.Optional(Type.Integer({ minimum: 0 })) }), { maxItems: 20 }),
  audio: Type.Union([Type.Object({ key: Key, codecs: Type.String({ maxLength: 200, description: 'RFC 6381 (mp4a.40.2), or mp3 for an MP3 file' }) }), Type.Null()]),
  thumbnails: Type.Array(Key, { maxItems: 50 }),
  poster: Type.Union([Key, Type.Null()]),
  duration: Type.Number({ minimum: 0, maximum: 1e7 }),
  subtitles: Type.Array(Type.Object({ key: Key, lang: Type.String({ pattern: '^[a-z]{2,3}$' }), label: Type.Optional(Type.String({ maxLength: 100 })) }), { maxItems: 50 }),
  storyboard: Type.Optional(Type.Object({ vtt: Key }, { description: 'Scrub previews: a WebVTT of image (sprite#xywh) cues' })),
}, { additionalProperties: false });
export type EncodingOutputs = Static<typeof EncodingOutputs>;

export const EncodingEvent = Type.Object({
  type: Type.Union([Type.Literal('encoding.processing'), Type.Literal('encoding.ready'), Type.Literal('encoding.error')]),
  video_id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }),
  job_id: Type.String({ format: 'uuid' }),
  progress: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  error: Type.Optional(Type.Object({ code: Type.String({ pattern: '^[a-z0-9_]{1,64}$' }), message: Type.String({ maxLength: 2000 }) })),
  outputs: Type.Optional(EncodingOutputs),
}, { additionalProperties: false });
export type EncodingEvent = Static<typeof EncodingEvent>;

export interface EncodingState {
  status: EncodingStatus;
  progress: number | null;
  error: { code: string; message: string } | null;
}

type Decision = { apply: true } | { apply: false; reason: 'other_job' | 'already_final' | 'older_progress' };

/** Whether an encoder event moves a video forward. Pure: the whole rulebook is here. */
export function decide(current: { status: EncodingStatus; progress: number | null; job_id: string | null }, event: Pick<EncodingEvent, 'type' | 'job_id' | 'progress'>): Decision {
  if (event.job_id !== current.job_id) return { apply: false, reason: 'other_job' };
  if (current.status === 'ready' || current.status === 'error') return { apply: false, reason: 'already_final' };
  if (event.type === 'encoding.processing' && current.status === 'processing' && (event.progress ?? 0) < (current.progress ?? 0)) {
    return { apply: false, reason: 'older_progress' };
  }
  return { apply: true };
}

/**
 * The first output key (with its field) that is not a plain storage key under
 * this video's encoding prefix: another video's files, or a key that starts
 * with the prefix but leaves it once normalised (`encodings/18/../3/…`), or
 * has `.` or empty segments. Null when every key is safe.
 */
export function outputsOutsidePrefix(videoId: number, o: EncodingOutputs): { field: string; key: string } | null {
  const prefix = `encodings/${videoId}/`;
  const keys: [string, string][] = [
    ...(o.hls_master ? [['hls_master', o.hls_master] as [string, string]] : []), ...(o.dash_manifest ? [['dash_manifest', o.dash_manifest] as [string, string]] : []), ...o.renditions.map((r, i): [string, string] => [`renditions.${i}.playlist`, r.playlist]),
    ...o.mp4.map((m, i): [string, string] => [`mp4.${i}.key`, m.key]), ...(o.audio ? [['audio.key', o.audio.key] as [string, string]] : []),
    ...o.thumbnails.map((k, i): [string, string] => [`thumbnails.${i}`, k]), ...(o.poster ? [['poster', o.poster] as [string, string]] : []),
    ...o.subtitles.map((s, i): [string, string] => [`subtitles.${i}.key`, s.key]), ...(o.storyboard ? [['storyboard.vtt', o.storyboard.vtt] as [string, string]] : []),
  ];
  const bad = keys.find(([, key]) => {
    try {
      assertKey(key);
    } catch {
      return true; // '.', '..' or empty segments, unsafe characters
    }
    return !key.startsWith(prefix) || key.length === prefix.length;
  });
  return bad ? { field: `outputs.${bad[0]}`, key: bad[1] } : null;
}

/**
 * In-process fan-out of what happens to videos, for live listeners (SSE):
 * a new encoding state, or `null` when something else about the video changed
 * (its access settings, its deletion) and whoever watches it must be re-checked.
 */
export class EncodingBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  publish(videoId: number, state: EncodingState) {
    this.#emitter.emit(String(videoId), state);
  }
  /** The video changed in a way that may change who may see it. */
  touch(videoId: number) {
    this.#emitter.emit(String(videoId), null);
  }
  subscribe(videoId: number, listener: (state: EncodingState | null) => void): () => void {
    this.#emitter.on(String(videoId), listener);
    return () => this.#emitter.off(String(videoId), listener);
  }
}

export type ApplyResult = { duplicate: true } | { duplicate: false; applied: boolean; reason?: string; state: EncodingState };

/** Applies one encoder event exactly once (by its id), atomically, then tells live listeners. */
export async function applyEncodingEvent(app: FastifyInstance, eventId: string, event: EncodingEvent): Promise<ApplyResult> {
  const result = await app.dbh.db.transaction().execute(async (tx): Promise<ApplyResult> => {
    const video = await tx.selectFrom('videos').select(['id', 'encoding_status', 'encoding_progress', 'encoding_job_id', 'encoding_error_code', 'encoding_error_message'])
      .where('id', '=', event.video_id).forUpdate().executeTakeFirst();
    if (!video) throw notFound('No such video');
    const first = await tx.insertInto('encoding_events')
      .values({ id: eventId, video_id: event.video_id, job_id: event.job_id, type: event.type, applied: false })
      .onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
    if (!first) return { duplicate: true };
    const current = { status: video.encoding_status as EncodingStatus, progress: video.encoding_progress, job_id: video.encoding_job_id };
    const verdict = decide(current, event);
    if (!verdict.apply) {
      const error = video.encoding_error_code ? { code: video.encoding_error_code, message: video.encoding_error_message ?? '' } : null;
      return { duplicate: false, applied: false, reason: verdict.reason, state: { status: current.status, progress: current.progress, error } };
    }
    const now = new Date();
    let state: EncodingState;
    if (event.type === 'encoding.processing') {
      state = { status: 'processing', progress: event.progress ?? 0, error: null };
      await tx.updateTable('videos').set({ encoding_status: 'processing', encoding_progress: state.progress, encoding_updated_at: now }).where('id', '=', event.video_id).execute();
    } else if (event.type === 'encoding.ready') {
      const o = event.outputs!;
      state = { status: 'ready', progress: 100, error: null };
      await tx.updateTable('videos').set({
        encoding_status: 'ready', encoding_progress: 100, encoding_error_code: null, encoding_error_message: null,
        encoding_outputs: JSON.stringify(o), encoding_updated_at: now, duration: Math.round(o.duration),
        thumbnail_url: o.poster, ready_at: (eb) => eb.fn.coalesce('ready_at', eb.val(now)),
      }).where('id', '=', event.video_id).execute();
    } else {
      const error = event.error ?? { code: 'encoding_failed', message: 'The encoder reported a failure' };
      state = { status: 'error', progress: null, error };
      await tx.updateTable('videos').set({
        encoding_status: 'error', encoding_progress: null, encoding_error_code: error.code, encoding_error_message: error.message, encoding_updated_at: now,
      }).where('id', '=', event.video_id).execute();
    }
    if (state.status === 'ready' || state.status === 'error') {
      await notifyEncodingEnded(app, tx, event.video_id, state.status === 'ready' ? { status: 'ready' } : { status: 'error', message: state.error!.message });
    }
    await tx.updateTable('encoding_events').set({ applied: true }).where('id', '=', eventId).execute();
    return { duplicate: false, applied: true, state };
  });
  if (!result.duplicate && result.applied) app.encodingBus.publish(event.video_id, result.state);
  return result;
}

declare module 'fastify' {
  interface FastifyInstance {
    encodingBus: EncodingBus;
  }
}
