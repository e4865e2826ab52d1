// The reference encoder's ladder and its one ffmpeg command: the source is
// decoded once, scaled down rung by rung (and to the storyboard), each rung
// encoded with keyframes forced at the same instants (so every rung cuts into
// segments at the same times and players switch cleanly), the audio
// encoded once as its own rendition; ffmpeg's DASH muxer packages all of it
// as CMAF and writes both the DASH MPD and the HLS (v7) playlists over the
// same bytes. One fragmented MP4 file per rendition (its init segment, then
// its media segments) addressed by byte ranges in both manifests: four files
// for a whole lecture instead of thousands of segment objects to upload,
// store and sign, and a seek is one range request.

import { availableParallelism } from 'node:os';

export const LADDER = [
  { height: 360, videoKbps: 800 },
  { height: 720, videoKbps: 2800 },
  { height: 1080, videoKbps: 5000 },
];
export const AUDIO_KBPS = 128;
export const SEGMENT_SECONDS = 4;
/** A keyframe every 2 s: every segment (4 s) starts on one, in every rung. */
export const KEYFRAME_SECONDS = 2;
/** Storyboard tiles: 160 px wide, at most 100 of them in one 10-column sprite. */
export const STORYBOARD = { width: 160, maxTiles: 100, columns: 10, sprite: 'storyboard.jpg', vtt: 'storyboard.vtt' };

export interface Rung { name: string; width: number; height: number; videoKbps: number }

export const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The rungs for a source: those not above its height, or one rung at its own height when it is smaller than all. */
export function rungsFor(video: { width: number; height: number }): Rung[] {
  const fit = LADDER.filter((r) => r.height <= video.height);
  const chosen = fit.length ? fit : [{ ...LADDER[0]!, height: even(video.height) }];
  return chosen.map((r) => ({ name: `${r.height}p`, width: even((video.width * r.height) / video.height), height: r.height, videoKbps: r.videoKbps }));
}

export interface StoryboardPlan { interval: number; tiles: number; columns: number; rows: number; tileWidth: number; tileHeight: number }

/** One tile every `interval` seconds (≥ 1 s, ≤ maxTiles tiles over the whole video). */
export function storyboardPlan(duration: number, video: { width: number; height: number }): StoryboardPlan {
  const interval = Math.max(1, Math.ceil(duration / STORYBOARD.maxTiles));
  const tiles = Math.max(1, Math.min(STORYBOARD.maxTiles, Math.ceil(duration / interval)));
  const columns = Math.min(STORYBOARD.columns, tiles);
  return { interval, tiles, columns, rows: Math.ceil(tiles / columns), tileWidth: STORYBOARD.width, tileHeight: even((STORYBOARD.width * video.height) / video.width) };
}

/** Names of the CMAF files ffmpeg writes (representation ids: the video rungs in order, then the audio). */
export const CMAF = {
  dir: 'cmaf',
  manifest: 'manifest.mpd',
  master: 'master.m3u8',
  /** ffmpeg's name for a rendition's file; packaging.ts renames them (`360p.mp4`, `audio.m4a`). */
  file: 'stream-$RepresentationID$.$ext$',
};

/**
 * The single-decode ffmpeg arguments (after the global options): `source`
 * in, the CMAF ladder to `<out>/cmaf/manifest.mpd` (+ HLS), the storyboard
 * sprite to `<out>/storyboard.jpg` when there is video.
 */
export function singleDecodeArgs(source: string, out: string, opts: { rungs: Rung[]; audio: boolean; storyboard: StoryboardPlan | null }): string[] {
  const { rungs, audio, storyboard } = opts;
  const args = ['-i', source];
  if (rungs.length) {
    // A cascade, top rung first: each rung is scaled from the one above it (360p from 720p reads
    // 2.25× fewer pixels than from 1080p: −25 % scaling time measured), the storyboard from the lowest.
    const graph: string[] = [];
    for (let i = rungs.length - 1; i >= 0; i--) {
      const r = rungs[i]!;
      const input = i === rungs.length - 1 ? '[0:v:0]' : `[c${i + 1}]`;
      const feedsMore = i > 0 || storyboard;
      graph.push(`${input}scale=${r.width}:${r.height}${feedsMore ? `,split=2[v${i}][c${i}]` : `[v${i}]`}`);
    }
    if (storyboard) graph.push(`[c0]fps=1/${storyboard.interval},scale=${storyboard.tileWidth}:${storyboard.tileHeight},tile=${storyboard.columns}x${storyboard.rows}:nb_frames=${storyboard.tiles}[sb]`);
    // The graph runs beside the encoders: let its scalers use every core.
    args.push('-filter_complex_threads', String(availableParallelism()), '-filter_complex', graph.join(';'));
    rungs.forEach((_, i) => args.push('-map', `[v${i}]`));
  }
  if (audio) args.push('-map', '0:a:0');
  if (rungs.length) {
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
      '-force_key_frames', `expr:gte(t,n_forced*${KEYFRAME_SECONDS})`, '-sc_threshold', '0');
    rungs.forEach((r, i) => args.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.07)}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`));
  }
  if (audio) args.push('-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2');
  const sets = [...(rungs.length ? ['streams=v'] : []), ...(audio ? ['streams=a'] : [])].map((s, i) => `id=${i},${s}`).join(' ');
  args.push('-f', 'dash', '-seg_duration', String(SEGMENT_SECONDS), '-use_template', '1', '-use_timeline', '1',
    '-adaptation_sets', sets, '-single_file', '1', '-single_file_name', CMAF.file,
    '-hls_playlist', '1', '-hls_master_name', CMAF.master, `${out}/${CMAF.dir}/${CMAF.manifest}`);
  if (storyboard) args.push('-map', '[sb]', '-frames:v', '1', '-q:v', '5', `${out}/${STORYBOARD.sprite}`);
  return args;
}
