// The reference encoder's media work, with the system ffmpeg/ffprobe
// (Debian: apt-get install ffmpeg). One ffmpeg process decodes the source
// once and makes the whole ladder as CMAF, with both a DASH MPD and HLS (v7)
// playlists over the same files, plus the storyboard sprite (ladder.ts). The
// download MP4 and the audio file are then remuxed from those files
// (packaging.ts names them), so nothing is encoded twice; the poster and
// thumbnails are taken from the 720p rung; embedded subtitles become WebVTT.
// Works on a local copy of the source (worker.ts downloads it once).
import { spawn } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { probe, type ProbeSummary } from '../uploads/media-check.ts';
import { CMAF, rungsFor, singleDecodeArgs, STORYBOARD, storyboardPlan } from './ladder.ts';
import { finishCmaf, renditionFile, storyboardVtt } from './packaging.ts';
import type { EncodingOutputs } from '../encoding/state.ts';

export interface EncodeResult {
  outputs: EncodingOutputs;
}

/**
 * Runs ffmpeg. Progress comes from `-progress`, and, when `statsFile` is given, from `-vstats_file`:
 * ffmpeg prints no progress at all until every output has written its header, and the storyboard
 * output writes its only image at the very end (measured: none for 19 s of a 120 s 720p encode, then
 * 89 % at once), while the video statistics get a line per encoded frame (`time=` its position).
 */
function run(args: string[], onProgress?: (seconds: number) => void, statsFile?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stats = statsFile ? ['-vstats_file', statsFile] : [];
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', ...stats, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.stdout.on('data', (c: Buffer) => {
      const m = /out_time_us=(\d+)/.exec(c.toString());
      if (m && onProgress) onProgress(Number(m[1]) / 1e6);
    });
    const timer = statsFile && onProgress ? setInterval(() => void lastStatsTime(statsFile).then((t) => t !== undefined && onProgress(t)), 1000) : undefined;
    child.once('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** The position (`time=`, seconds) of the last frame in a -vstats_file, reading only its end (it grows a line per frame). */
async function lastStatsTime(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 4096);
    const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length);
    const times = [...buffer.toString().matchAll(/time=\s*([\d.]+)/g)];
    return times.length ? Number(times.at(-1)![1]) : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Encodes `source` (a URL or path) into `workDir`; `prefix` is prepended to
 * every output key; `progress` receives 0–99 as the work advances.
 */
export async function encode(source: string, workDir: string, prefix: string, progress: (percent: number) => void): Promise<EncodeResult> {
  const info: ProbeSummary | undefined = await probe(source);
  if (!info) throw Object.assign(new Error('ffprobe is not installed'), { code: 'ffmpeg_missing' });
  const video = info.streams.find((s) => s.type === 'video' && s.width && s.height);
  const audio = info.streams.find((s) => s.type === 'audio');
  if (!video && !audio) throw Object.assign(new Error('no audio or video stream'), { code: 'no_media_stream' });
  const duration = info.duration ?? 0;
  const cmafDir = path.join(workDir, CMAF.dir);
  await mkdir(cmafDir, { recursive: true });
  const statsFile = path.join(workDir, '.vstats.log');

  const size = video ? { width: video.width!, height: video.height! } : null;
  const rungs = size ? rungsFor(size) : [];
  const storyboard = size && duration > 0 ? storyboardPlan(duration, size) : null;
  // The single decode is nearly all the work: 0–90 %.
  await run(singleDecodeArgs(source, workDir, { rungs, audio: Boolean(audio), storyboard }),
    (seconds) => progress(Math.min(90, Math.floor(duration ? (seconds / duration) * 90 : 0))), video ? statsFile : undefined)
    .finally(() => rm(statsFile, { force: true })); // a line per frame: not an output to upload
  const variants = await finishCmaf(cmafDir, [...rungs.map((r) => r.name), ...(audio ? ['audio'] : [])]);
  const cmafFile = (name: string) => path.join(cmafDir, renditionFile(name));

  // The rung up to 720p: the download MP4, and where the images are taken from (a keyframe every
  // 2 s: a seek decodes at most 2 s of 720p, where the source may have 10 s GOPs of 1080p or more).
  const medium = rungs.reduce((best, r) => (r.height <= 720 ? r : best), rungs[0]);
  const mp4: EncodingOutputs['mp4'] = [];
  if (medium) {
    await run(['-i', cmafFile(medium.name), ...(audio ? ['-i', cmafFile('audio')] : []),
      '-map', '0:v:0', ...(audio ? ['-map', '1:a:0'] : []), '-c', 'copy', '-movflags', '+faststart', path.join(workDir, `${medium.name}.mp4`)]);
    mp4.push({ key: `${prefix}${medium.name}.mp4`, height: medium.height });
  }
  let audioOut: EncodingOutputs['audio'] = null;
  if (audio) {
    await run(['-i', cmafFile('audio'), '-map', '0:a:0', '-c', 'copy', '-movflags', '+faststart', path.join(workDir, 'audio.m4a')]);
    audioOut = { key: `${prefix}audio.m4a`, codecs: 'mp4a.40.2' };
  }
  progress(93);
  const thumbnails: string[] = [];
  let poster: string | null = null;
  if (medium) {
    const frame = (at: number, scale: string, file: string) =>
      run(['-ss', String(duration * at), '-i', cmafFile(medium.name), '-frames:v', '1', '-vf', scale, path.join(workDir, file)]);
    for (const [i, at] of [0.25, 0.5, 0.75].entries()) {
      await frame(at, 'scale=-2:360', `thumb-${i + 1}.jpg`);
      thumbnails.push(`${prefix}thumb-${i + 1}.jpg`);
    }
    await frame(0.1, 'null', 'poster.jpg');
    poster = `${prefix}poster.jpg`;
  }
  if (storyboard) await writeFile(path.join(workDir, STORYBOARD.vtt), storyboardVtt(storyboard, duration, STORYBOARD.sprite));
  const subtitles: EncodingOutputs['subtitles'] = [];
  for (const [i, s] of info.streams.filter((x) => x.type === 'subtitle').entries()) {
    const lang = /^[a-z]{2,3}$/.test(s.language ?? '') ? s.language! : 'und';
    try {
      await run(['-i', source, '-map', `0:s:${i}`, '-f', 'webvtt', path.join(workDir, `subtitles-${i}-${lang}.vtt`)]);
      subtitles.push({ key: `${prefix}subtitles-${i}-${lang}.vtt`, lang: lang === 'und' ? 'fr' : lang.slice(0, 2) });
    } catch {
      // Bitmap subtitles (DVD/PGS) cannot become WebVTT: skipped.
    }
  }
  progress(99);
  const cmaf = `${prefix}${CMAF.dir}/`;
  return {
    outputs: {
      hls_master: `${cmaf}${CMAF.master}`,
      dash_manifest: `${cmaf}${CMAF.manifest}`,
      packaging: 'cmaf',
      renditions: variants.filter((v) => v.width > 0).map((v) => ({ ...v, playlist: `${cmaf}${v.playlist}` })),
      mp4, audio: audioOut, thumbnails, poster, duration, subtitles,
      ...(storyboard ? { storyboard: { vtt: `${prefix}${STORYBOARD.vtt}` } } : {}),
    },
  };
}
