// A V4 video's encodings as pod-api outputs, without re-encoding: the
// rendition playlists and their single-file `.ts` segments (PlaylistVideo,
// EncodingVideo video/mp2t), the master V4 wrote (`livestream.m3u8`: its
// BANDWIDTH, RESOLUTION and CODECS are kept), the MP4 renditions, the audio
// (MP3 or M4A), the overview sprite and its WebVTT, the thumbnail. Every file
// is copied (or hard-linked) under encodings/<id>/v4/; the source goes to
// sources/. A video with no playable file stays `pending` (reported).
import path from 'node:path';
import type { EncodingOutputs } from '../encoding/state.ts';
import type { ImportContext } from './context.ts';
import { copyIn, readText } from './media.ts';
import { masterVariants, type MasterVariant } from '../delivery/hls-master.ts';

export interface V4Row { pk: unknown; fields: Record<string, any> }

const SAFE = (name: string) => name.replace(/[^\w.-]/g, '_');
const heightOf = (name: unknown, resolution?: string) =>
  Number(/^(\d+)p/.exec(String(name ?? ''))?.[1] ?? /x(\d+)$/.exec(resolution ?? '')?.[1] ?? 0);
const bitsOf = (rate: unknown) => {
  const m = /^(\d+(?:\.\d+)?)([kKmM])?$/.exec(String(rate ?? ''));
  return m ? Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 1e6 : m[2] ? 1e3 : 1)) : 0;
};

/** The attributes of each variant of a master playlist, by its URI's file name. */
export function masterAttributes(master: string | null): Map<string, Omit<MasterVariant, 'uri'>> {
  return new Map((master ? masterVariants(master) : []).map(({ uri, ...attributes }) => [path.basename(uri), attributes]));
}

export async function videoOutputs(ctx: ImportContext, v: V4Row, children: Map<string, Map<string, V4Row[]>>, renditions: Map<string, Record<string, any>>, videoId: number) {
  const rows = (model: string) => children.get(model)?.get(String(v.pk)) ?? [];
  const prefix = `encodings/${videoId}/v4/`;
  const copy = async (relative: string | null | undefined, name = path.basename(String(relative ?? ''))) => {
    if (!relative) return null;
    const key = prefix + SAFE(name);
    const size = await copyIn(ctx, relative, key);
    return size === null ? null : { key, size };
  };

  const playlists = rows('video_encode_transcript.playlistvideo');
  const encodings = rows('video_encode_transcript.encodingvideo');
  const masterRow = playlists.find((p) => p.fields.name === 'playlist');
  const masterText = masterRow ? await readText(ctx, masterRow.fields.source_file) : null;
  const attributes = masterAttributes(masterText);
  const master = masterRow ? await copy(masterRow.fields.source_file) : null;

  const hls: EncodingOutputs['renditions'] = [];
  for (const p of playlists.filter((x) => x.fields.name !== 'playlist')) {
    const playlist = await copy(p.fields.source_file);
    // Its segment file(s): the .ts EncodingVideo of the same rendition.
    const segments = encodings.filter((e) => e.fields.name === p.fields.name && e.fields.encoding_format === 'video/mp2t');
    const copied = await Promise.all(segments.map((s) => copy(s.fields.source_file)));
    if (!playlist || copied.some((c) => !c)) continue;
    const rendition = renditions.get(String(segments[0]?.fields.rendition ?? ''));
    const attrs = attributes.get(path.basename(String(p.fields.source_file))) ?? {};
    const label = /^(\d+)x(\d+)$/.exec(String(rendition?.resolution ?? ''));
    const height = attrs.height ?? heightOf(p.fields.name, rendition?.resolution);
    if (!height) continue;
    hls.push({
      playlist: playlist.key, height,
      width: attrs.width ?? (label ? Number(label[1]) : Math.round((height * 16) / 9 / 2) * 2),
      bitrate: attrs.bandwidth ?? (bitsOf(rendition?.video_bitrate ?? rendition?.maxrate) + bitsOf(rendition?.audio_bitrate) || 1),
      codecs: attrs.codecs ?? '',
    });
  }
  hls.sort((a, b) => a.height - b.height);

  const mp4: EncodingOutputs['mp4'] = [];
  for (const e of encodings.filter((x) => x.fields.encoding_format === 'video/mp4')) {
    const file = await copy(e.fields.source_file);
    if (file) mp4.push({ key: file.key, height: heightOf(e.fields.name, renditions.get(String(e.fields.rendition))?.resolution) || 1, size: file.size });
  }
  mp4.sort((a, b) => a.height - b.height);

  // The M4A (audio-only sources) before the MP3: it plays in every browser's <audio> and in HLS.js.
  const audios = rows('video_encode_transcript.encodingaudio').sort((a, b) => (a.fields.encoding_format === 'video/mp4' ? -1 : 1) - (b.fields.encoding_format === 'video/mp4' ? -1 : 1));
  let audio: EncodingOutputs['audio'] = null;
  for (const a of audios) {
    const file = await copy(a.fields.source_file);
    if (file) {
      audio = { key: file.key, codecs: a.fields.encoding_format === 'video/mp4' ? 'mp4a.40.2' : 'mp3' };
      break;
    }
  }

  const thumbnailPath = v.fields.thumbnail !== null && v.fields.thumbnail !== undefined ? ctx.files.get(`image:${v.fields.thumbnail}`) : undefined;
  const thumbnail = thumbnailPath ? await copy(thumbnailPath, `thumbnail-${path.basename(thumbnailPath)}`) : null;
  let storyboard: EncodingOutputs['storyboard'];
  if (typeof v.fields.overview === 'string' && v.fields.overview) {
    const vtt = await copy(v.fields.overview);
    // The sprite the VTT points at (overview.png#xywh=…) sits next to it.
    const sprite = vtt ? await copy(path.join(path.dirname(v.fields.overview), 'overview.png')) : null;
    if (vtt && sprite) storyboard = { vtt: vtt.key };
  }

  let source: { key: string; filename: string; size: number } | null = null;
  if (typeof v.fields.video === 'string' && v.fields.video) {
    const ext = (/\.([a-z0-9]{1,5})$/i.exec(v.fields.video)?.[1] ?? 'bin').toLowerCase();
    const key = `sources/v4-${videoId}.${ext}`;
    const size = await copyIn(ctx, v.fields.video, key);
    if (size !== null) source = { key, filename: path.basename(v.fields.video), size };
  }

  const playable = (master && hls.length) || mp4.length || audio;
  if (!playable) {
    ctx.report.adjust('no playable V4 encoding (missing files, or never encoded): imported as pending, encode it again from its source', String(v.pk));
    return { outputs: null, source };
  }
  const outputs: EncodingOutputs = {
    ...(master && hls.length ? { hls_master: master.key } : {}),
    renditions: master ? hls : [],
    mp4,
    audio,
    thumbnails: thumbnail ? [thumbnail.key] : [],
    poster: thumbnail?.key ?? null,
    duration: Math.max(0, Number(v.fields.duration) || 0),
    subtitles: [],
    ...(storyboard ? { storyboard } : {}),
  };
  return { outputs, source };
}
