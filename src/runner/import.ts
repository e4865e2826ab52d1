// Importing what a runner made (a durable job per task that ended well):
// list the result files, stream each one from the manager into pod-api's
// storage under a folder of its own (encodings/<video>/r-<task>/), checked as
// it comes (size announced by the listing, sha256 when given, names confined
// to the output folder), then map them to the outputs the player config
// serves — per-rung HLS playlists with their single-file segments (byte
// ranges), a master playlist written here (the runner makes none), MP4s,
// audio, thumbnails, the overview sprite as storyboard, the duration from
// info_video.json — and switch the video to them in one transaction. The
// previous outputs are deleted after the switch, never before.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { assertKey } from '../core/storage/storage.ts';
import { QUEUES, type RunnerImportJob } from '../core/jobs.ts';
import type { RunnerManagerSetting } from '../core/config.ts';
import { applyEncodingEvent, type EncodingOutputs } from '../encoding/state.ts';
import { ManagerHttpError, resultFile, taskResult, type ManifestEntry } from './manager-client.ts';
import { managerOf } from './tasks.ts';
import { storeAutoTrack } from './transcripts.ts';
import { InvalidResult } from './invalid-result.ts';


/** Files every result has that pod-api does not keep (logs and the runner's own paths). */
const NOT_IMPORTED = new Set(['encoding.log', 'task_metadata.json']);
const SAFE_NAME = /^[\w.-]+(\/[\w.-]+)*$/;
const MAX_INFO_BYTES = 1 << 20;

interface ResultFile { name: string; sha256?: string; size?: number }

/** The listing as files, every name a plain relative path inside the output folder (else InvalidResult). */
export function parseManifest(entries: ManifestEntry[]): ResultFile[] {
  return entries.map((entry) => {
    const name = typeof entry === 'string' ? entry : entry.file_path ?? entry.path;
    if (typeof name !== 'string' || !SAFE_NAME.test(name) || name.split('/').some((s) => s === '.' || s === '..') || name.length > 500) {
      throw new InvalidResult(`The result lists a file outside its output folder: ${JSON.stringify(name)}`);
    }
    const file: ResultFile = { name };
    if (typeof entry === 'object') {
      if (typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(entry.sha256)) file.sha256 = entry.sha256.toLowerCase();
      if (Number.isSafeInteger(entry.size) && entry.size! >= 0) file.size = entry.size;
    }
    return file;
  });
}

/** Streams one result file into storage; refuses more bytes than announced and a wrong digest. Returns its size. */
async function download(app: FastifyInstance, manager: RunnerManagerSetting, taskId: string, file: ResultFile, key: string): Promise<number> {
  const res = await resultFile(manager, taskId, file.name);
  const declared = res.headers.get('content-length');
  const limit = Math.min(file.size ?? Infinity, declared !== null ? Number(declared) : Infinity);
  const hash = createHash('sha256');
  let received = 0;
  // Checked as it streams: an error (too many bytes, a transfer cut short) fails the write, never hangs it.
  async function* checked() {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      if (received > limit) throw new InvalidResult(`${file.name} is larger than announced (${limit} bytes)`);
      hash.update(chunk);
      yield chunk;
    }
  }
  await app.storage.put(assertKey(key), Readable.from(checked()));
  // The manager's own listing disagrees with its file: asking again would not help.
  if (file.size !== undefined && received !== file.size) throw new InvalidResult(`${file.name}: ${received} bytes, ${file.size} announced`);
  if (file.sha256 && hash.digest('hex') !== file.sha256) throw new InvalidResult(`${file.name}: its sha256 is not the one announced`);
  return received;
}

async function readSmall(app: FastifyInstance, manager: RunnerManagerSetting, taskId: string, file: ResultFile): Promise<string> {
  const res = await resultFile(manager, taskId, file.name);
  const text = await res.text();
  if (text.length > MAX_INFO_BYTES) throw new InvalidResult(`${file.name} is too large`);
  return text;
}

interface InfoVideo {
  duration?: number;
  video_duration?: number;
  encode_video?: { encoding_format: string; rendition?: string; filename: string }[];
  encode_audio?: { encoding_format: string; filename: string } | { encoding_format: string; filename: string }[];
  encode_thumbnail?: { filename: string }[];
  encode_overview?: { sprite_filename?: string; vtt_filename?: string };
  language?: string;
}

/**
 * The outputs of a runner's result, under `prefix`. Widths come from the
 * source's aspect ratio (the runner scales to the rung's height, keeping it;
 * the rung's `resolution` is only a label), bitrates from the segment files.
 */
export function mapOutputs(info: InfoVideo, prefix: string, sizes: Map<string, number>, playlists: Map<string, string>, source: { width?: number; height?: number } | null): EncodingOutputs {
  const duration = typeof info.video_duration === 'number' ? info.video_duration : Number(info.duration ?? 0);
  const has = (name: string | undefined): name is string => Boolean(name && sizes.has(name));
  const heightOf = (e: { filename: string; rendition?: string }) =>
    Number(/^(\d+)p_/.exec(e.filename)?.[1] ?? /x(\d+)$/.exec(e.rendition ?? '')?.[1] ?? 0);
  const widthOf = (height: number, label?: string) => {
    if (source?.width && source.height) return Math.max(2, Math.round((height * source.width) / source.height / 2) * 2);
    return Number(/^(\d+)x/.exec(label ?? '')?.[1] ?? Math.round((height * 16) / 9));
  };
  const videos = (info.encode_video ?? []).filter((e) => has(e.filename));
  const renditions = videos.filter((e) => e.encoding_format === 'video/mp2t').map((e) => {
    const height = heightOf(e);
    // The segment file the playlist points at (single-file HLS): its size over the duration.
    const segment = /^([^#\s][^\s]*)$/m.exec(playlists.get(e.filename) ?? '')?.[1];
    const bytes = (segment && sizes.get(segment)) || sizes.get(e.filename)!;
    return { playlist: prefix + e.filename, width: widthOf(height, e.rendition), height, bitrate: Math.max(1, Math.round((bytes * 8) / Math.max(duration, 1))), codecs: '' };
  }).sort((a, b) => a.height - b.height);
  const mp4 = videos.filter((e) => e.encoding_format === 'video/mp4')
    .map((e) => ({ key: prefix + e.filename, height: heightOf(e), size: sizes.get(e.filename)! })).sort((a, b) => a.height - b.height);
  const audioEntry = [info.encode_audio ?? []].flat().find((a) => has(a.filename));
  const thumbnails = (info.encode_thumbnail ?? []).map((t) => t.filename).filter(has).map((n) => prefix + n);
  const overview = info.encode_overview;
  return {
    ...(renditions.length ? { hls_master: `${prefix}master.m3u8` } : {}),
    renditions,
    mp4,
    audio: audioEntry ? { key: prefix + audioEntry.filename, codecs: audioEntry.filename.endsWith('.mp3') ? 'mp3' : 'mp4a.40.2' } : null,
    thumbnails,
    poster: thumbnails[0] ?? null,
    duration,
    subtitles: [],
    ...(has(overview?.vtt_filename) && has(overview?.sprite_filename) ? { storyboard: { vtt: prefix + overview.vtt_filename } } : {}),
  };
}

/** The master playlist over the rungs (HLS 4: the rung playlists use byte ranges). */
export function masterPlaylist(outputs: EncodingOutputs, prefix: string): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:4', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of outputs.renditions) {
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${r.bitrate},RESOLUTION=${r.width}x${r.height}${r.codecs ? `,CODECS="${r.codecs}"` : ''}`, r.playlist.slice(prefix.length));
  }
  return `${lines.join('\n')}\n`;
}

async function markTask(app: FastifyInstance, id: string, status: 'imported' | 'import_failed' | 'superseded', error?: string) {
  await app.dbh.db.updateTable('runner_tasks').set({ status, ...(error ? { error_message: error.slice(0, 2000) } : {}) }).where('id', '=', id).execute();
}

/** Ends a task whose result cannot be imported: the task and its video's encoding fail, with the reason. */
export async function failImport(app: FastifyInstance, runnerTaskId: string, message: string) {
  const row = await app.dbh.db.selectFrom('runner_tasks').selectAll().where('id', '=', runnerTaskId).executeTakeFirst();
  if (!row || row.status !== 'completed') return;
  await markTask(app, row.id, 'import_failed', message);
  if (row.kind === 'encoding') {
    await applyEncodingEvent(app, `runner:${row.id}:import_failed`, {
      type: 'encoding.error', video_id: row.video_id, job_id: row.job_id!, error: { code: 'runner_import_failed', message: message.slice(0, 2000) },
    });
  }
}

/** Imports one completed task (idempotent: a task already imported or superseded is left alone). */
export async function importRunnerTask(app: FastifyInstance, runnerTaskId: string): Promise<void> {
  const db = app.dbh.db;
  const row = await db.selectFrom('runner_tasks').selectAll().where('id', '=', runnerTaskId).executeTakeFirst();
  if (!row || row.status !== 'completed' || !row.task_id) return;
  const manager = managerOf(app, row.manager_url);
  if (!manager) throw new InvalidResult(`The Runner Manager ${row.manager_url} is no longer configured`);
  const video = await db.selectFrom('videos').select(['encoding_job_id', 'deleted_at', 'source_probe']).where('id', '=', row.video_id).executeTakeFirst();
  if (!video || video.deleted_at || (row.kind === 'encoding' && video.encoding_job_id !== row.job_id)) return markTask(app, row.id, 'superseded');

  let files: ResultFile[];
  try {
    files = parseManifest(await taskResult(manager, row.task_id));
  } catch (err) {
    if (err instanceof ManagerHttpError && err.status === 400) throw new InvalidResult(`The manager says the task failed: ${err.detail}`);
    throw err;
  }
  const infoFile = files.find((f) => f.name === 'info_video.json');
  const info = (infoFile ? JSON.parse(await readSmall(app, manager, row.task_id, infoFile)) : {}) as InfoVideo;

  if (row.kind === 'transcription') {
    const vtt = files.find((f) => f.name.endsWith('.vtt') && !f.name.includes('.source-'));
    if (!vtt) throw new InvalidResult('The transcription result has no WebVTT file');
    const language = row.language && row.language !== 'auto' ? row.language : info.language ?? 'und';
    await storeAutoTrack(app, row.video_id, language, await readSmall(app, manager, row.task_id, vtt));
    return markTask(app, row.id, 'imported');
  }

  const prefix = `encodings/${row.video_id}/r-${row.id.slice(0, 8)}/`;
  const sizes = new Map<string, number>();
  const playlists = new Map<string, string>();
  try {
    for (const file of files) {
      if (NOT_IMPORTED.has(file.name)) continue;
      sizes.set(file.name, await download(app, manager, row.task_id, file, prefix + file.name));
      if (file.name.endsWith('.m3u8')) {
        const chunks: Buffer[] = [];
        for await (const c of await app.storage.get(prefix + file.name)) chunks.push(Buffer.from(c as Uint8Array));
        playlists.set(file.name, Buffer.concat(chunks).toString('utf8'));
      }
    }
    const probe = (typeof video.source_probe === 'string' ? JSON.parse(video.source_probe) : video.source_probe) as { streams?: { type: string; width?: number; height?: number }[] } | null;
    const outputs = mapOutputs(info, prefix, sizes, playlists, probe?.streams?.find((s) => s.type === 'video') ?? null);
    if (!outputs.hls_master && !outputs.mp4.length && !outputs.audio) throw new InvalidResult('The result has no playable file');
    if (outputs.hls_master) await app.storage.put(outputs.hls_master, Buffer.from(masterPlaylist(outputs, prefix)), { contentType: 'application/vnd.apple.mpegurl' });
    const result = await applyEncodingEvent(app, `runner:${row.id}:ready`, { type: 'encoding.ready', video_id: row.video_id, job_id: row.job_id!, outputs });
    if (result.duplicate || !result.applied) {
      await app.storage.deletePrefix(prefix);
      return markTask(app, row.id, 'superseded');
    }
  } catch (err) {
    await app.storage.deletePrefix(prefix).catch(() => {}); // a half import leaves nothing behind
    throw err;
  }
  await db.updateTable('videos').set({ encoding_log: null }).where('id', '=', row.video_id).execute();
  // Switched: the previous outputs (another encoding's) go now.
  const previous: string[] = [];
  for await (const o of app.storage.list(`encodings/${row.video_id}/`)) if (!o.key.startsWith(prefix)) previous.push(o.key);
  for (const key of previous) await app.storage.delete(key).catch(() => {});
  await markTask(app, row.id, 'imported');
}

/** Runs imports as they are queued (woken at once on this node; polling covers the others). */
export function startImportWorker(app: FastifyInstance): () => void {
  return app.jobs.consume<RunnerImportJob>(QUEUES.runnerImport, async (job) => {
    try {
      await importRunnerTask(app, job.data.runner_task_id);
      await app.jobs.boss.complete(QUEUES.runnerImport, job.id);
    } catch (err) {
      const final = err instanceof InvalidResult || job.retryCount >= job.retryLimit;
      app.log.warn({ err, runner_task_id: job.data.runner_task_id, final }, 'runner result import failed');
      if (final) {
        await failImport(app, job.data.runner_task_id, (err as Error).message).catch(() => {});
        await app.jobs.boss.complete(QUEUES.runnerImport, job.id).catch(() => {});
      } else {
        await app.jobs.boss.fail(QUEUES.runnerImport, job.id, { reason: (err as Error).message }).catch(() => {});
      }
    }
  }, { idleMs: 2000 });
}
