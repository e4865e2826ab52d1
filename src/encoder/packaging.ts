// After the single-decode ffmpeg run: renditions named, HLS playlists made
// VOD playlists, the master read back into renditions, and the storyboard's
// WebVTT written.
import { readFile, rename as rename_, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { masterVariants } from '../delivery/hls-master.ts';
import { CMAF, type StoryboardPlan } from './ladder.ts';

export interface Rendition { playlist: string; width: number; height: number; bitrate: number; codecs: string }

/**
 * Gives each rendition its name (`names[id]`, e.g. `360p`, `audio`): its
 * file becomes `<name>.mp4` (`.m4a` for the audio) and its HLS playlist
 * `<name>.m3u8`, in the files and in both manifests. Media playlists become
 * VOD ones (version 7, no wall-clock dates). Returns the master's variants
 * (playlist names relative to the CMAF folder).
 */
export async function finishCmaf(cmafDir: string, names: string[]): Promise<Rendition[]> {
  const fileOf = (id: number) => renditionFile(names[id]!);
  const rename = (text: string) => text
    .replace(/\bstream-(\d+)\.mp4\b/g, (_, id: string) => fileOf(Number(id)))
    .replace(/\bmedia_(\d+)\.m3u8\b/g, (_, id: string) => `${names[Number(id)]}.m3u8`);
  for (const [id] of names.entries()) {
    await rename_(path.join(cmafDir, `stream-${id}.mp4`), path.join(cmafDir, fileOf(id)));
    const playlist = path.join(cmafDir, `media_${id}.m3u8`);
    const text = (await readFile(playlist, 'utf8')).split('\n')
      .filter((l) => !l.startsWith('#EXT-X-PROGRAM-DATE-TIME'))
      .map((l) => (l.startsWith('#EXT-X-VERSION:') ? '#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS' : l));
    await writeFile(path.join(cmafDir, `${names[id]}.m3u8`), rename(text.join('\n')));
    await rm(playlist);
  }
  const manifest = path.join(cmafDir, CMAF.manifest);
  await writeFile(manifest, rename(await readFile(manifest, 'utf8')));
  const masterFile = path.join(cmafDir, CMAF.master);
  const master = rename(await readFile(masterFile, 'utf8'));
  await writeFile(masterFile, master);

  return masterVariants(master).map((v) => ({ playlist: v.uri, width: v.width ?? 0, height: v.height ?? 0, bitrate: v.bandwidth ?? 0, codecs: v.codecs ?? '' }));
}

/** A rendition's file in the CMAF folder, as finishCmaf named it. */
export const renditionFile = (name: string) => `${name}${name === 'audio' ? '.m4a' : '.mp4'}`;

const clock = (s: number) => {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000), m = Math.floor(ms / 60_000) % 60, sec = Math.floor(ms / 1000) % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
};

/** The WebVTT thumbnails track: one cue per tile, pointing into the sprite with a media fragment (`#xywh=`). */
export function storyboardVtt(plan: StoryboardPlan, duration: number, sprite: string): string {
  const cues = ['WEBVTT', ''];
  for (let i = 0; i < plan.tiles; i++) {
    const start = i * plan.interval;
    if (start >= duration && i > 0) break;
    const end = Math.min(duration, (i + 1) * plan.interval) || plan.interval;
    const x = (i % plan.columns) * plan.tileWidth, y = Math.floor(i / plan.columns) * plan.tileHeight;
    cues.push(`${clock(start)} --> ${clock(end)}`, `${sprite}#xywh=${x},${y},${plan.tileWidth},${plan.tileHeight}`, '');
  }
  return cues.join('\n');
}
