// Fixture: a clip encoded once by the reference encoder (CMAF, HLS + DASH,
// storyboard), copied into any test app's storage as a video's outputs; and
// an older-style video (MPEG-TS HLS, as encoded before CMAF and as Esup-Runner
// and Pod V4 imports still are) made by ffmpeg's HLS muxer.
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encode } from '../encoder/ffmpeg.ts';
import type { EncodingOutputs } from '../encoding/state.ts';
import { makeClip } from './media.ts';
import type { TestApp } from './test-app.ts';

const PLACEHOLDER = 'encodings/0/';

export interface EncodedClip { dir: string; outputs: EncodingOutputs }

/** Encodes a generated clip (`seconds` long, `size`) into a temporary folder. */
export async function encodeClip(o: { seconds: number; size: string }): Promise<EncodedClip> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-cmaf-'));
  const clip = path.join(dir, 'source.mp4');
  makeClip(clip, o);
  const out = path.join(dir, 'out');
  await mkdir(out);
  const { outputs } = await encode(clip, out, PLACEHOLDER, () => {});
  return { dir: out, outputs };
}

/** Encodes a clip the way pod-api did before CMAF: one MPEG-TS HLS rung, version 3 playlists. */
export async function encodeMpegTsClip(o: { seconds: number; size: string }): Promise<EncodedClip> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-ts-'));
  const clip = path.join(dir, 'source.mp4');
  makeClip(clip, o);
  const out = path.join(dir, 'out');
  await mkdir(path.join(out, 'hls'), { recursive: true });
  const [w, h] = o.size.split('x').map(Number) as [number, number];
  const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', clip, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50',
    '-c:a', 'aac', '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', path.join(out, 'hls', `${h}p_%04d.ts`), path.join(out, 'hls', `${h}p.m3u8`)]);
  if (made.status !== 0) throw new Error(`ffmpeg failed: ${String(made.stderr)}`);
  await writeFile(path.join(out, 'hls', 'master.m3u8'), `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=${w}x${h},CODECS="avc1.64001f,mp4a.40.2"\n${h}p.m3u8\n`);
  return {
    dir: out,
    outputs: {
      hls_master: `${PLACEHOLDER}hls/master.m3u8`,
      renditions: [{ playlist: `${PLACEHOLDER}hls/${h}p.m3u8`, width: w, height: h, bitrate: 1_000_000, codecs: 'avc1.64001f,mp4a.40.2' }],
      mp4: [], audio: null, thumbnails: [], poster: null, duration: o.seconds, subtitles: [],
    },
  };
}

/** Stores an encoded clip as video `id`'s ready outputs in the app (its files and its database columns). */
export async function installClip(t: TestApp, id: number, clip: EncodedClip): Promise<EncodingOutputs> {
  const prefix = `encodings/${id}/`;
  const walk = async (rel: string): Promise<string[]> => (await Promise.all((await readdir(path.join(clip.dir, rel), { withFileTypes: true }))
    .map((e) => (e.isDirectory() ? walk(path.join(rel, e.name)) : [path.join(rel, e.name)])))).flat();
  for (const rel of await walk('')) {
    const file = path.join(clip.dir, rel);
    await t.app.storage.put(prefix + rel.split(path.sep).join('/'), createReadStream(file), { size: (await stat(file)).size });
  }
  const outputs = JSON.parse(JSON.stringify(clip.outputs).replaceAll(PLACEHOLDER, prefix)) as EncodingOutputs;
  await t.app.dbh.db.updateTable('videos').set({
    encoding_status: 'ready', encoding_progress: 100, ready_at: new Date(), encoding_updated_at: new Date(),
    encoding_outputs: JSON.stringify(outputs), duration: Math.round(outputs.duration), thumbnail_url: outputs.poster,
  }).where('id', '=', id).execute();
  return outputs;
}
