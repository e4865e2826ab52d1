// Is this file really audio/video, and of the kind its name says? The first
// bytes are sniffed with `file-type` (magic numbers) and must belong to the
// container family of the file's extension; then ffprobe (when installed)
// must find an audio or video stream. A `.mp4` holding a PDF, an executable
// or HTML is refused whatever its name.
import { execFile } from 'node:child_process';
import { fileTypeFromBuffer } from 'file-type';

/** Container families: extension → file-type `ext` values accepted for it. */
const FAMILIES: Record<string, string[]> = {
  isobmff: ['mp4', 'm4v', 'mov', '3gp', '3g2', 'm4a', 'm4b', 'f4v'],
  matroska: ['mkv', 'webm'],
  avi: ['avi'],
  flv: ['flv'],
  mpegps: ['mpg'],
  mpegts: ['mts'],
  asf: ['asf'],
  mp3: ['mp3'],
  ogg: ['ogg', 'oga', 'ogv', 'opus', 'ogx'],
  wav: ['wav'],
  flac: ['flac'],
};

const EXTENSION_FAMILY: Record<string, keyof typeof FAMILIES> = {
  mp4: 'isobmff', m4v: 'isobmff', mov: 'isobmff', '3gp': 'isobmff', m4a: 'isobmff',
  mkv: 'matroska', webm: 'matroska',
  avi: 'avi', divx: 'avi',
  flv: 'flv',
  mpg: 'mpegps', mpeg: 'mpegps', m2p: 'mpegps',
  ts: 'mpegts', mts: 'mpegts',
  wmv: 'asf', wma: 'asf',
  mp3: 'mp3',
  ogg: 'ogg', opus: 'ogg',
  wav: 'wav',
  flac: 'flac',
};

export const SNIFF_BYTES = 4100;

export function extensionOf(filename: string): string {
  const m = /\.([a-z0-9]{1,8})$/i.exec(filename.trim());
  return m ? m[1]!.toLowerCase() : '';
}

export type MediaVerdict =
  | { ok: true; mime: string; detected: string }
  | { ok: false; code: 'unsupported_media_type'; message: string };

/** Checks the extension against the allowlist (before any byte arrives). */
export function checkExtension(filename: string, allowed: string[]): MediaVerdict | null {
  const ext = extensionOf(filename);
  if (!ext || !allowed.includes(ext) || !EXTENSION_FAMILY[ext]) {
    return { ok: false, code: 'unsupported_media_type', message: `Files with extension ".${ext}" are not accepted; allowed: ${allowed.join(', ')}` };
  }
  return null;
}

/** Checks the first bytes of a file against its extension. */
export async function checkBytes(filename: string, head: Uint8Array, allowed: string[]): Promise<MediaVerdict> {
  const bad = checkExtension(filename, allowed);
  if (bad) return bad;
  const ext = extensionOf(filename);
  const type = await fileTypeFromBuffer(head);
  if (!type) return { ok: false, code: 'unsupported_media_type', message: 'The file content is not a recognised audio or video container' };
  const family = FAMILIES[EXTENSION_FAMILY[ext]!]!;
  const isMedia = /^(video|audio)\//.test(type.mime) || type.ext === 'asf' || type.ext === 'ogx';
  if (!isMedia || !family.includes(type.ext)) {
    return { ok: false, code: 'unsupported_media_type', message: `The content is ${type.mime} (.${type.ext}), which does not match a .${ext} file` };
  }
  return { ok: true, mime: type.mime, detected: type.ext };
}

export interface ProbeSummary {
  duration: number | null;
  format: string | null;
  streams: { index: number; type: string; codec: string | null; width?: number; height?: number; language?: string }[];
}

/**
 * ffprobe summary of a file path or URL; `undefined` when ffprobe is not
 * installed; throws when ffprobe cannot read the media.
 */
export function probe(input: string, timeoutMs = 120_000): Promise<ProbeSummary | undefined> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
          return reject(Object.assign(new Error('ffprobe could not read the media'), { cause: err }));
        }
        try {
          const data = JSON.parse(stdout) as { format?: { duration?: string; format_name?: string }; streams?: Record<string, unknown>[] };
          const duration = Number(data.format?.duration);
          resolve({
            duration: Number.isFinite(duration) ? duration : null,
            format: data.format?.format_name ?? null,
            streams: (data.streams ?? []).map((s) => ({
              index: Number(s.index),
              type: String(s.codec_type),
              codec: typeof s.codec_name === 'string' ? s.codec_name : null,
              ...(typeof s.width === 'number' ? { width: s.width, height: s.height as number } : {}),
              ...(typeof (s.tags as { language?: string } | undefined)?.language === 'string' ? { language: (s.tags as { language: string }).language } : {}),
            })),
          });
        } catch (parseErr) {
          reject(parseErr);
        }
      });
  });
}
