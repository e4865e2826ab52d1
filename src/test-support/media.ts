// Media fixtures: PCM WAV files of any size generated in JS (no ffmpeg
// needed; real audio that ffprobe reads), impostors, and real video clips
// made by ffmpeg (makeClip).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

function wavHeader(dataBytes: number, sampleRate = 48_000, channels = 2) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A WAV of exactly `totalBytes` (a tone with pseudo-random noise, so chunks differ). */
export function wavBuffer(totalBytes: number): Buffer {
  const data = totalBytes - 44;
  const buf = Buffer.alloc(totalBytes);
  wavHeader(data).copy(buf, 0);
  let x = 12345;
  for (let i = 44; i + 1 < totalBytes; i += 2) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    buf.writeInt16LE((Math.sin(i / 40) * 8000 + (x % 2000) - 1000) | 0, i);
  }
  return buf;
}

/** Writes a large WAV to disk in 1 MiB slices; returns its sha256. */
export async function writeWavFile(file: string, totalBytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const header = wavHeader(totalBytes - 44);
  hash.update(header);
  out.write(header);
  const slice = 1024 * 1024;
  let x = 987654;
  for (let written = 44; written < totalBytes; written += slice) {
    const n = Math.min(slice, totalBytes - written);
    const b = Buffer.alloc(n);
    for (let i = 0; i + 3 < n; i += 4) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      b.writeUInt32LE(x, i);
    }
    hash.update(b);
    if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return hash.digest('hex');
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const sha256File = async (file: string) => sha256(await readFile(file));

export const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), Buffer.alloc(8192, 0x20)]);
export const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(8192, 0)]);
export const HTML = Buffer.from(`<!DOCTYPE html><html><body><script>alert(1)</script>${' '.repeat(8192)}</body></html>`);

/**
 * Writes a real H.264 clip (test pattern, plus an AAC tone unless audio is
 * false) with Debian's ffmpeg, for the tests and scripts that encode or play.
 */
export function makeClip(file: string, o: { seconds: number; size: string; frequency?: number; audio?: boolean; bitrate?: string }): void {
  const audio = o.audio === false ? [] : ['-f', 'lavfi', '-i', `sine=frequency=${o.frequency ?? 440}:duration=${o.seconds}`];
  const gen = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=duration=${o.seconds}:size=${o.size}:rate=25`, ...audio,
    '-c:v', 'libx264', '-preset', 'ultrafast', ...(o.bitrate ? ['-b:v', o.bitrate] : []), '-pix_fmt', 'yuv420p',
    ...(o.audio === false ? [] : ['-c:a', 'aac', '-shortest']), file]);
  if (gen.status !== 0) throw new Error(`ffmpeg failed: ${String(gen.stderr)}`);
}
