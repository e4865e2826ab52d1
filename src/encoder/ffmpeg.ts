// The reference encoder's media work, with the system ffmpeg/ffprobe
// (Debian: apt-get install ffmpeg): an HLS ladder (360p/720p/1080p, capped at
// the source height; MPEG-TS segments; master playlist), one mp4 for
// download/LMS, an m4a audio track, a poster and thumbnails, embedded
// subtitles as WebVTT. Works on a local copy of the source (worker.ts
// downloads it once; ffmpeg would otherwise re-read it over HTTP per output).
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { probe, type ProbeSummary } from '../uploads/media-check.ts';

const LADDER = [
  { height: 360, videoKbps: 800, audioKbps: 96 },
  { height: 720, videoKbps: 2800, audioKbps: 128 },
  { height: 1080, videoKbps: 5000, audioKbps: 160 },
];

export interface EncodedFile {
  path: string; // relative to the work directory (= to the output prefix)
}

export interface EncodeResult {
  files: string[];
  outputs: {
    hls_master: string;
    renditions: { playlist: string; width: number; height: number; bitrate: number; codecs: string }[];
    mp4: { key: string; height: number }[];
    audio: { key: string; codecs: string } | null;
    thumbnails: string[];
    poster: string | null;
    duration: number;
    subtitles: { key: string; lang: string }[];
  };
}

function run(args: string[], onProgress?: (seconds: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.stdout.on('data', (c: Buffer) => {
      const m = /out_time_us=(\d+)/.exec(c.toString());
      if (m && onProgress) onProgress(Number(m[1]) / 1e6);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`))));
  });
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

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
  await mkdir(path.join(workDir, 'hls'), { recursive: true });

  const rungs = video
    ? (() => {
      const fit = LADDER.filter((r) => r.height <= video.height!);
      return fit.length ? fit : [{ ...LADDER[0]!, height: even(video.height!) }];
    })()
    : [];
  const steps = rungs.length + 3; // renditions, mp4, audio, images
  let done = 0;
  const report = (seconds = 0) => progress(Math.min(99, Math.floor(((done + (duration ? Math.min(seconds / duration, 1) : 0)) / steps) * 100)));

  const renditions: EncodeResult['outputs']['renditions'] = [];
  for (const r of rungs) {
    const width = even((video!.width! * r.height) / video!.height!);
    const name = `${r.height}p`;
    await run([
      '-i', source, '-map', '0:v:0', ...(audio ? ['-map', '0:a:0'] : []),
      '-vf', `scale=${width}:${r.height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main',
      '-b:v', `${r.videoKbps}k`, '-maxrate', `${Math.round(r.videoKbps * 1.07)}k`, '-bufsize', `${r.videoKbps * 2}k`,
      '-g', '48', '-keyint_min', '48', '-sc_threshold', '0',
      ...(audio ? ['-c:a', 'aac', '-b:a', `${r.audioKbps}k`, '-ac', '2'] : []),
      '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_type', 'mpegts',
      '-hls_segment_filename', path.join(workDir, 'hls', `${name}_%04d.ts`), path.join(workDir, 'hls', `${name}.m3u8`),
    ], report);
    renditions.push({
      playlist: `${prefix}hls/${name}.m3u8`, width, height: r.height, bitrate: (r.videoKbps + (audio ? r.audioKbps : 0)) * 1000,
      codecs: audio ? 'avc1.4d401f,mp4a.40.2' : 'avc1.4d401f',
    });
    done++;
  }
  if (!video) {
    // Audio only: a one-variant HLS of AAC.
    await run(['-i', source, '-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-f', 'hls', '-hls_time', '6', '-hls_playlist_type', 'vod',
      '-hls_segment_filename', path.join(workDir, 'hls', 'audio_%04d.ts'), path.join(workDir, 'hls', 'audio.m3u8')], report);
  }
  const master = ['#EXTM3U', '#EXT-X-VERSION:3',
    ...(video
      ? renditions.flatMap((r) => [`#EXT-X-STREAM-INF:BANDWIDTH=${r.bitrate},RESOLUTION=${r.width}x${r.height},CODECS="${r.codecs}"`, path.basename(r.playlist)])
      : ['#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"', 'audio.m3u8'])].join('\n') + '\n';
  await writeFile(path.join(workDir, 'hls', 'master.m3u8'), master);

  const mp4: EncodeResult['outputs']['mp4'] = [];
  if (video) {
    const h = Math.min(720, rungs.at(-1)!.height);
    await run(['-i', source, '-map', '0:v:0', ...(audio ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k'] : []),
      '-vf', `scale=-2:${h}`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-movflags', '+faststart', path.join(workDir, `${h}p.mp4`)], report);
    mp4.push({ key: `${prefix}${h}p.mp4`, height: h });
  }
  done++;
  let audioOut: EncodeResult['outputs']['audio'] = null;
  if (audio) {
    await run(['-i', source, '-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', path.join(workDir, 'audio.m4a')], report);
    audioOut = { key: `${prefix}audio.m4a`, codecs: 'mp4a.40.2' };
  }
  done++;
  const thumbnails: string[] = [];
  let poster: string | null = null;
  if (video) {
    for (const [i, at] of [0.25, 0.5, 0.75].entries()) {
      await run(['-ss', String(duration * at), '-i', source, '-frames:v', '1', '-vf', 'scale=-2:360', path.join(workDir, `thumb-${i + 1}.jpg`)]);
      thumbnails.push(`${prefix}thumb-${i + 1}.jpg`);
    }
    await run(['-ss', String(duration * 0.1), '-i', source, '-frames:v', '1', '-vf', 'scale=-2:720', path.join(workDir, 'poster.jpg')]);
    poster = `${prefix}poster.jpg`;
  }
  const subtitles: EncodeResult['outputs']['subtitles'] = [];
  for (const [i, s] of info.streams.filter((x) => x.type === 'subtitle').entries()) {
    const lang = /^[a-z]{2,3}$/.test(s.language ?? '') ? s.language! : 'und';
    try {
      await run(['-i', source, '-map', `0:s:${i}`, '-f', 'webvtt', path.join(workDir, `subtitles-${i}-${lang}.vtt`)]);
      subtitles.push({ key: `${prefix}subtitles-${i}-${lang}.vtt`, lang: lang === 'und' ? 'fr' : lang.slice(0, 2) });
    } catch {
      // Bitmap subtitles (DVD/PGS) cannot become WebVTT: skipped.
    }
  }
  done++;
  report();

  const relative = (k: string) => k.slice(prefix.length);
  const files = [
    'hls/master.m3u8',
    ...(video ? renditions.map((r) => relative(r.playlist)) : ['hls/audio.m3u8']),
    ...mp4.map((m) => relative(m.key)), ...(audioOut ? [relative(audioOut.key)] : []),
    ...thumbnails.map(relative), ...(poster ? [relative(poster)] : []), ...subtitles.map((s) => relative(s.key)),
  ];
  return {
    files,
    outputs: { hls_master: `${prefix}hls/master.m3u8`, renditions, mp4, audio: audioOut, thumbnails, poster, duration, subtitles },
  };
}
