// `npm run bench:encode` — the reference encoder's ladder, two ways, on one
// generated lecture-like source (BENCH_ENCODE_SECONDS, default 600 s of
// 1080p25 H.264 High at 12 Mbit/s, as a camera filming the lecture would give: slides that
// change every 30 s, a moving talking-head inset, light sensor noise over the
// whole frame; speech-like band-limited noise with a syllable envelope):
//   - per rung (the encoder before issue L): one ffmpeg per rung, each
//     decoding the source again, MPEG-TS HLS; then the download MP4 and the
//     audio encoded again (the old encode() exactly);
//   - single decode (now): one ffmpeg, split/scale graph, CMAF + HLS + DASH +
//     storyboard, then the MP4 and audio remuxed (src/encoder/ffmpeg.ts);
//   - a decode-only pass (`-f null`): the ceiling of any method.
// Speed as × realtime, the ratio of the two, and the SSIM of each 720p rung
// against the source scaled to 720p (ffmpeg's ssim filter).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { encode } from '../src/encoder/ffmpeg.ts';
import { ratio, summary, table } from './lib.ts';

const SECONDS = Number(process.env.BENCH_ENCODE_SECONDS ?? 600);
const dir = await mkdtemp(path.join(tmpdir(), 'pod-bench-encode-'));
const source = path.join(dir, 'lecture.mp4');

function ffmpeg(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-8000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`ffmpeg ${code}: ${err.slice(-1500)}`))));
  });
}
const timed = async (fn: () => Promise<unknown>) => {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
};

console.error(`generating ${SECONDS} s of 1080p lecture…`);
const genS = await timed(() => ffmpeg(['-loglevel', 'error',
  '-f', 'lavfi', '-i', `color=c=0xf4f4f0:s=1920x1080:r=25:d=${SECONDS}`,
  '-f', 'lavfi', '-i', `testsrc2=s=1500x844:r=1/30:d=${SECONDS},fps=25`,
  '-f', 'lavfi', '-i', `testsrc=s=384x288:r=25:d=${SECONDS}`,
  '-f', 'lavfi', '-i', `anoisesrc=c=pink:r=48000:a=0.5:d=${SECONDS}`,
  // The whole frame filmed by a camera: light temporal sensor noise (what makes real captures cost more than clean synthetic frames).
  '-filter_complex', '[0:v][1:v]overlay=60:60:shortest=1[bg];[bg][2:v]overlay=W-w-60:H-h-60:shortest=1,noise=alls=3:allf=t,format=yuv420p[v];'
    + "[3:a]lowpass=f=3400,highpass=f=120,volume='0.25+0.75*abs(sin(2*PI*2.3*t)*sin(2*PI*0.37*t))':eval=frame[a]",
  '-map', '[v]', '-map', '[a]', '-c:v', 'libx264', '-preset', 'superfast', '-profile:v', 'high', '-b:v', '12M', '-maxrate', '14M', '-bufsize', '24M', '-g', '50', '-c:a', 'aac', '-b:a', '128k', source]));
console.error(`source generated in ${genS.toFixed(0)} s`);

// The ceiling: decoding the source once, nothing else.
const decodeS = await timed(() => ffmpeg(['-loglevel', 'error', '-i', source, '-f', 'null', '-']));
console.error(`decode only: ${decodeS.toFixed(1)} s`);

// Before issue L: one ffmpeg per rung (the same arguments the encoder used), then the MP4 and the audio.
const perRung = path.join(dir, 'per-rung');
await mkdir(path.join(perRung, 'hls'), { recursive: true });
const RUNGS = [{ h: 360, w: 640, v: 800, a: 96 }, { h: 720, w: 1280, v: 2800, a: 128 }, { h: 1080, w: 1920, v: 5000, a: 160 }];
const perRungLadderS = await timed(async () => {
  for (const r of RUNGS) {
    await ffmpeg(['-loglevel', 'error', '-i', source, '-map', '0:v:0', '-map', '0:a:0',
      '-vf', `scale=${r.w}:${r.h}`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main',
      '-b:v', `${r.v}k`, '-maxrate', `${Math.round(r.v * 1.07)}k`, '-bufsize', `${r.v * 2}k`, '-g', '48', '-keyint_min', '48', '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', `${r.a}k`, '-ac', '2', '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_type', 'mpegts',
      '-hls_segment_filename', path.join(perRung, 'hls', `${r.h}p_%04d.ts`), path.join(perRung, 'hls', `${r.h}p.m3u8`)]);
  }
});
const perRungExtrasS = await timed(async () => {
  await ffmpeg(['-loglevel', 'error', '-i', source, '-map', '0:v:0', '-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-vf', 'scale=-2:720',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-movflags', '+faststart', path.join(perRung, '720p.mp4')]);
  await ffmpeg(['-loglevel', 'error', '-i', source, '-map', '0:a:0', '-vn', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', path.join(perRung, 'audio.m4a')]);
});
console.error(`per rung: ladder ${perRungLadderS.toFixed(1)} s, + MP4 and audio ${perRungExtrasS.toFixed(1)} s`);

// Now: the reference encoder itself.
const single = path.join(dir, 'single');
await mkdir(single);
const singleS = await timed(() => encode(source, single, 'encodings/1/', () => {}));
console.error(`single decode (whole encode): ${singleS.toFixed(1)} s`);

const ssim = async (distorted: string[]) => {
  const log = await ffmpeg(['-loglevel', 'info', ...distorted, '-i', source,
    '-lavfi', '[1:v]scale=1280:720:flags=bicubic[ref];[0:v][ref]ssim', '-f', 'null', '-']);
  return Number(/SSIM .*All:([\d.]+)/.exec(log)?.[1] ?? NaN);
};
const ssimPerRung = await ssim(['-i', path.join(perRung, 'hls', '720p.m3u8')]);
const ssimSingle = await ssim(['-i', path.join(single, 'cmaf', '720p.mp4')]);
await rm(dir, { recursive: true, force: true });

const x = (s: number) => `${(SECONDS / s).toFixed(2)}×`;
const perRungTotal = perRungLadderS + perRungExtrasS;
summary(`encode ${SECONDS} s of 1080p (ladder + MP4 + audio), single decode vs per rung`, `${singleS.toFixed(0)} s (${x(singleS)} realtime)`,
  `${perRungTotal.toFixed(0)} s (${x(perRungTotal)} realtime)`, perRungTotal / singleS);
summary('720p rung SSIM against the source, single decode vs per rung', ssimSingle.toFixed(6), ssimPerRung.toFixed(6), ssimSingle / ssimPerRung);
summary('single decode against a decode-only pass (the ceiling)', `${singleS.toFixed(0)} s`, `${decodeS.toFixed(0)} s`, decodeS / singleS);
console.log(table([
  ['decode only (`-f null`, the ceiling)', decodeS.toFixed(1), x(decodeS), '-', '-'],
  ['per rung: 3 ffmpeg runs, MPEG-TS HLS (ladder only)', perRungLadderS.toFixed(1), x(perRungLadderS), ssimPerRung.toFixed(6), '-'],
  ['per rung: ladder + MP4 + audio encoded again (old encoder)', perRungTotal.toFixed(1), x(perRungTotal), '-', '1.00'],
  ['single decode: CMAF HLS + DASH + storyboard, MP4 + audio remuxed (encoder now)', singleS.toFixed(1), x(singleS), ssimSingle.toFixed(6), ratio(perRungTotal / singleS)],
], ['run', 'seconds', '× realtime', '720p SSIM', 'speed-up vs old encoder']));
console.log(`\n${SECONDS} s source of 1920x1080 at 25 fps, ${cpus().length} cores; ffmpeg's libx264 preset veryfast for both.`);
