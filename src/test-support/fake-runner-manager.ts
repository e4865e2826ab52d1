// A fake Esup-Runner Runner Manager for the tests: the wire messages of the
// real one (../shared/anchors/esup-runner.md, read from EsupPortail/esup-runner
// 1.7.1), with a runner behind it that really encodes with ffmpeg and leaves
// the files the real runner leaves (per-rung single-file HLS with byte
// ranges, MP4, MP3, PNG thumbnails, overview sprite + VTT, info_video.json,
// encoding.log, task_metadata.json). Tests switch its misbehaviours on: busy
// (503), silent (never notifies), failing tasks, traversal names in the
// result, a file larger than its manifest says, duplicate notifies, restarts.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeTask {
  task_id: string;
  token: string;
  request: Record<string, any>;
  status: 'running' | 'completed' | 'failed' | 'timeout';
  error: string | null;
  script_output: string | null;
  dir: string;
  created_at: string;
  updated_at: string;
}

export interface NotifySent { task_id: string; status: string; httpStatus: number }

const VIDEO_EXTENSIONS = ['3gp', 'avi', 'divx', 'flv', 'm2p', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'mts', 'wmv', 'mp3', 'ogg', 'wav', 'wma', 'webm', 'ts'];
const ENCODING_PARAMETERS = new Set(['rendition', 'cut', 'dressing', 'video_id', 'video_slug', 'video_title']);

function run(args: string[]): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-y', ...args]);
    let log = '';
    child.stderr.on('data', (c) => (log += c));
    child.once('close', (code) => resolve({ code, log }));
  });
}

const probeJson = (file: string): Promise<any> => new Promise((resolve) => {
  const child = spawn('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.once('close', () => {
    try {
      resolve(JSON.parse(out));
    } catch {
      resolve({});
    }
  });
});

export async function startFakeRunnerManager(opts: { tokens: string[]; taskTypes?: string[] }) {
  const root = await mkdtemp(path.join(tmpdir(), 'pod-fake-rm-'));
  const tasks = new Map<string, FakeTask>();
  const notifies: NotifySent[] = [];
  const calls: { method: string; path: string }[] = [];
  const behaviour = {
    /** execute answers 503 "No runners available". */
    busy: false,
    /** Tasks finish but the manager never calls notify_url (a lost notify). */
    silent: false,
    /** The next tasks end in this state instead of being encoded. */
    failWith: null as null | { status: 'failed' | 'timeout'; error: string },
    /** Every notify is sent twice; with `reorder`, a stale `failed` one goes after the real one. */
    duplicateNotify: false,
    reorder: false,
    /** The result listing names a file outside the output folder. */
    traversal: false,
    /** The result listing says a file is smaller than it is (`size`), or gives a wrong sha256. */
    oversize: false,
    badSha: false,
    /** How long a task "runs" before it ends (ms). */
    delayMs: 0,
    /** GET /task/status says `running` whatever the task's state (the reconciler then leaves it alone). */
    statusSaysRunning: false,
  };
  const taskTypes = opts.taskTypes ?? ['encoding'];

  const authorized = (req: IncomingMessage) => {
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer ?? (typeof req.headers['x-api-token'] === 'string' ? req.headers['x-api-token'] : undefined);
    return token && opts.tokens.includes(token) ? token : null;
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  async function sendNotify(task: FakeTask, status: string, error: string | null, output: string | null) {
    const body = JSON.stringify({ task_id: task.task_id, status, error_message: error, script_output: output });
    // The real manager retries a non-2xx answer (60 s × 1.5ⁿ, 5 times); here 3 times, 100 ms apart.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await fetch(task.request.notify_url, {
          method: 'POST', body, signal: AbortSignal.timeout(15_000),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${task.token}` },
        });
        notifies.push({ task_id: task.task_id, status, httpStatus: res.status });
        if (res.ok) return;
      } catch {
        notifies.push({ task_id: task.task_id, status, httpStatus: 0 });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function finish(task: FakeTask) {
    task.updated_at = new Date().toISOString();
    // A task of a manager that restarted since is lost with it: nobody reports on it.
    if (behaviour.silent || tasks.get(task.task_id) !== task) return;
    await sendNotify(task, task.status, task.error, task.script_output);
    if (behaviour.duplicateNotify) await sendNotify(task, task.status, task.error, task.script_output);
    if (behaviour.reorder) await sendNotify(task, 'failed', 'a stale report', null);
  }

  /** What the runner does for an `encoding` task, with the runner's file names. */
  async function encode(task: FakeTask) {
    const url = new URL(task.request.source_url);
    const ext = path.extname(url.pathname).slice(1).toLowerCase();
    if (!VIDEO_EXTENSIONS.includes(ext)) throw new Error(`The source URL does not name a video file (.${ext})`);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`The ${url} file was not found on the server (${res.status}).`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const declared = Number(res.headers.get('content-length'));
    if (declared !== bytes.length) throw new Error(`Content-Length ${declared} but ${bytes.length} bytes received`);
    const source = path.join(task.dir, `source.${ext}`);
    const out = path.join(task.dir, 'output');
    await mkdir(out, { recursive: true });
    await writeFile(source, bytes);
    const base = path.basename(url.pathname, `.${ext}`).replace(/[^\w-]/g, '_');
    const probe = await probeJson(source);
    const video = (probe.streams ?? []).find((s: any) => s.codec_type === 'video');
    const duration = Number(probe.format?.duration ?? 0);
    const info: Record<string, any> = {
      duration: Math.round(duration), video_duration: duration, has_stream_video: Boolean(video), has_stream_audio: (probe.streams ?? []).some((s: any) => s.codec_type === 'audio'),
      has_stream_thumbnail: false, height: video?.height ?? 0, video_id: String(task.request.parameters?.video_id ?? ''),
      video_slug: task.request.parameters?.video_slug ?? '', video_title: task.request.parameters?.video_title ?? '',
      encode_video: [], encode_audio: [], encode_thumbnail: [],
    };
    let log = '';
    if (video) {
      // The lowest rung always, higher ones when the source is tall enough (default ladder 360/720/1080).
      const ladder = JSON.parse(task.request.parameters?.rendition ?? '{}') as Record<string, { resolution: string; encode_mp4?: boolean } | null>;
      const rungs = Object.entries({ 360: { resolution: '640x360', encode_mp4: true }, ...ladder }).filter(([, v]) => v)
        .map(([k, v]) => [Number(k), v!] as const).sort((a, b) => a[0] - b[0])
        .filter(([h], i) => i === 0 || video.height >= h);
      for (const [h, cfg] of rungs) {
        const hls = await run(['-i', source, '-vf', `scale=-2:${h}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'hls',
          '-hls_playlist_type', 'vod', '-hls_list_size', '0', '-hls_time', '2', '-hls_flags', 'single_file+independent_segments', path.join(out, `${h}p_${base}.m3u8`)]);
        log += hls.log;
        if (hls.code !== 0) throw new Error(`hls ${h}p failed`);
        info.encode_video.push({ encoding_format: 'video/mp2t', rendition: cfg.resolution, filename: `${h}p_${base}.m3u8` });
        if (cfg.encode_mp4 !== false) {
          const mp4 = await run(['-i', source, '-vf', `scale=-2:${h}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-movflags', 'faststart', path.join(out, `${h}p_${base}.mp4`)]);
          log += mp4.log;
          info.encode_video.push({ encoding_format: 'video/mp4', rendition: cfg.resolution, filename: `${h}p_${base}.mp4` });
        }
      }
      for (const [i, pct] of [0.25, 0.5, 0.75].entries()) {
        await run(['-ss', String(Math.floor(duration * pct)), '-i', source, '-frames:v', '1', path.join(out, `${base}_${i}.png`)]);
        info.encode_thumbnail.push({ filename: `${base}_${i}.png`, timestamp: Math.floor(duration * pct), percentage: pct * 100 });
      }
      await run(['-i', source, '-vf', 'fps=1,scale=160:90,tile=10x1', '-frames:v', '1', path.join(out, 'overview.png')]);
      const cues = Array.from({ length: Math.max(1, Math.ceil(duration)) }, (_, i) =>
        `00:00:${String(i).padStart(2, '0')}.000 --> 00:00:${String(i + 1).padStart(2, '0')}.000\noverview.png#xywh=${i * 160},0,160,90\n`);
      await writeFile(path.join(out, 'overview.vtt'), `WEBVTT\n\n${cues.join('\n')}`);
      info.encode_overview = { sprite_filename: 'overview.png', vtt_filename: 'overview.vtt' };
      const mp3 = await run(['-i', source, '-vn', '-c:a', 'libmp3lame', '-b:a', '192k', path.join(out, `audio_192k_${base}.mp3`)]);
      log += mp3.log;
      info.encode_audio = [{ encoding_format: 'audio/mp3', filename: `audio_192k_${base}.mp3` }];
    } else {
      const m4a = await run(['-i', source, '-vn', '-c:a', 'aac', '-b:a', '192k', path.join(out, `audio_192k_${base}.m4a`)]);
      log += m4a.log;
      if (m4a.code !== 0) throw new Error('audio encoding failed');
      info.encode_audio = { encoding_format: 'video/mp4', filename: `audio_192k_${base}.m4a` };
    }
    await writeFile(path.join(out, 'info_video.json'), JSON.stringify(info));
    await writeFile(path.join(out, 'encoding.log'), log);
    await writeFile(path.join(out, 'task_metadata.json'), JSON.stringify({ task_id: task.task_id, output_dir: out, stdout: log }));
    return log;
  }

  /** What the runner does for a `transcription` task: one WebVTT (Whisper is not run here). */
  async function transcribe(task: FakeTask) {
    const out = path.join(task.dir, 'output');
    await mkdir(out, { recursive: true });
    const res = await fetch(task.request.source_url);
    if (!res.ok) throw new Error(`source ${res.status}`);
    await res.arrayBuffer();
    const language = task.request.parameters?.language ?? 'auto';
    await writeFile(path.join(out, 'source.vtt'), `WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nBonjour et bienvenue (${language}).\n\n00:00:01.500 --> 00:00:03.000\nPremier cours.\n`);
    await writeFile(path.join(out, 'info_video.json'), JSON.stringify({ language: language === 'auto' ? 'fr' : language }));
    return 'transcribed';
  }

  async function work(task: FakeTask) {
    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
    const failure = behaviour.failWith;
    if (failure) {
      task.status = failure.status;
      task.error = failure.error;
      task.script_output = `${'ffmpeg log line\n'.repeat(2000)}Error: ${failure.error}\n`;
    } else {
      try {
        task.script_output = task.request.task_type === 'transcription' ? await transcribe(task) : await encode(task);
        task.status = 'completed';
      } catch (err) {
        task.status = 'failed';
        task.error = (err as Error).message;
      }
    }
    await finish(task);
  }

  async function manifest(task: FakeTask) {
    const out = path.join(task.dir, 'output');
    // Like the runner: every file of the output folder, logs and metadata included, in no set order.
    const names = await readdir(out);
    const entries: (string | Record<string, unknown>)[] = [];
    for (const name of names) {
      const size = (await stat(path.join(out, name))).size;
      if (behaviour.oversize && name.endsWith('.ts')) entries.push({ file_path: name, size: Math.floor(size / 2) });
      else if (behaviour.badSha && name.endsWith('.mp4')) entries.push({ file_path: name, sha256: createHash('sha256').update('not it').digest('hex') });
      else entries.push(name);
    }
    if (behaviour.traversal) entries.push('../../secrets.txt');
    return entries;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    calls.push({ method: req.method ?? '', path: url.pathname });
    const token = authorized(req);
    if (!token) return json(res, 401, { detail: 'Invalid or missing token' });
    try {
      if (req.method === 'POST' && url.pathname === '/task/execute') {
        let body: Record<string, any>;
        try {
          body = JSON.parse(await readBody(req));
        } catch {
          return json(res, 422, { detail: [{ type: 'json_invalid', msg: 'JSON decode error' }] });
        }
        const missing = ['etab_name', 'app_name', 'task_type', 'source_url', 'notify_url'].filter((k) => typeof body[k] !== 'string');
        if (missing.length) return json(res, 422, { detail: missing.map((k) => ({ type: 'missing', loc: ['body', k], msg: 'Field required' })) });
        if (/^https?:\/\/localhost[:/]/.test(body.notify_url)) return json(res, 400, { detail: 'notify_url host not allowed' });
        if (behaviour.busy || !taskTypes.includes(body.task_type)) return json(res, 503, { detail: 'No runners available' });
        // An identical request still running gets the same task (as the real manager).
        for (const t of tasks.values()) {
          if (t.status === 'running' && t.token === token && JSON.stringify(t.request) === JSON.stringify(body)) return json(res, 200, { task_id: t.task_id, status: 'running' });
        }
        const invalid = body.task_type === 'encoding' ? Object.keys(body.parameters ?? {}).filter((k) => !ENCODING_PARAMETERS.has(k)) : [];
        const task: FakeTask = {
          task_id: randomUUID(), token, request: body, status: 'running', error: null, script_output: null,
          dir: path.join(root, randomUUID()), created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
        };
        await mkdir(task.dir, { recursive: true });
        tasks.set(task.task_id, task);
        json(res, 200, { task_id: task.task_id, status: 'running' });
        if (invalid.length) {
          task.status = 'failed';
          task.error = `Invalid parameters for task type: encoding (invalid fields: ${invalid.join(', ')})`;
          void finish(task);
        } else void work(task);
        return;
      }
      const status = /^\/task\/status\/([\w-]+)$/.exec(url.pathname);
      if (req.method === 'GET' && status) {
        const t = tasks.get(status[1]!);
        if (!t) return json(res, 404, { detail: 'Task not found' });
        return json(res, 200, {
          task_id: t.task_id, runner_id: 'fake-runner-127.0.0.1-8081', status: behaviour.statusSaysRunning ? 'running' : t.status, etab_name: t.request.etab_name, app_name: t.request.app_name,
          app_version: t.request.app_version ?? null, task_type: t.request.task_type, source_url: t.request.source_url, affiliation: t.request.affiliation ?? null,
          parameters: t.request.parameters ?? {}, notify_url: t.request.notify_url, client_token: '***', completion_callback: null, run_id: randomUUID(),
          created_at: t.created_at.replace('Z', ''), updated_at: t.updated_at.replace('Z', ''), error: t.error, script_output: t.script_output,
        });
      }
      const result = /^\/task\/result\/([\w-]+)$/.exec(url.pathname);
      if (req.method === 'GET' && result) {
        const t = tasks.get(result[1]!);
        if (!t) return json(res, 404, { detail: 'Task not found' });
        if (t.status === 'running') return json(res, 425, { detail: 'Task not completed. Status: running' });
        if (t.status !== 'completed') return json(res, 400, { detail: `Task failed: ${t.error}` });
        return json(res, 200, { task_id: t.task_id, files: await manifest(t) });
      }
      const file = /^\/task\/result\/([\w-]+)\/file\/(.+)$/.exec(url.pathname);
      if (req.method === 'GET' && file) {
        const t = tasks.get(file[1]!);
        const name = decodeURIComponent(file[2]!);
        if (!t || name.includes('..')) return json(res, 404, { detail: 'File not found' });
        const full = path.join(t.dir, 'output', name);
        const info = await stat(full).catch(() => null);
        if (!info) return json(res, 404, { detail: 'File not found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
        createReadStream(full).pipe(res);
        return;
      }
      json(res, 404, { detail: 'Not Found' });
    } catch (err) {
      json(res, 500, { detail: (err as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tasks,
    notifies,
    calls,
    behaviour,
    /** A manager restart without persisted state: every task is forgotten (status → 404). */
    forget() {
      tasks.clear();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

export type FakeRunnerManager = Awaited<ReturnType<typeof startFakeRunnerManager>>;
