// The reference encoder's protocol client (pull mode): register, long-poll
// for jobs, heartbeat while encoding, upload every output file, finish with a
// signed callback (retried with the same webhook-id on network errors/5xx).
// Every exchange with the API survives a restart of the API or its database:
// the source is downloaded once (resuming with Range), uploads and callbacks
// are retried; if the API stays away longer than that, the job is dropped
// without a verdict and its lease lapses, so the API re-queues it.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Webhook } from 'standardwebhooks';
import { encode } from './ffmpeg.ts';
import { redactSecrets } from '../core/log-redaction.ts';

export interface EncoderOptions {
  apiUrl: string;
  registrationToken: string;
  webhookSecret: string;
  name: string;
  workDir?: string;
  log?: (msg: string, extra?: unknown) => void;
}

export interface Job {
  job_id: string;
  /** Push mode: the token for heartbeats travels with the job. */
  encoder_token?: string;
  video_id: number;
  attempt: number;
  source: { url: string };
  outputs: { prefix: string; upload_url: string };
  heartbeat_url: string;
  callback_url: string;
  lease_s: number;
}

export async function runEncoder(opts: EncoderOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log ?? (() => {});
  const api = opts.apiUrl.replace(/\/$/, '');
  const json = jsonPoster(signal);
  const reg = await json(`${api}/api/v1/encoders/register`, { registration_token: opts.registrationToken, name: opts.name });
  if (reg.status !== 201) throw new Error(`registration refused: ${reg.status} ${JSON.stringify(reg.body)}`);
  const auth = { 'x-encoder-token': reg.body.data.token as string };
  log(`registered as ${reg.body.data.encoder_id}`);
  const processJob = jobProcessor({ webhookSecret: opts.webhookSecret, workDir: opts.workDir, log }, signal, auth);

  while (!signal.aborted) {
    try {
      const res = await json(`${api}/api/v1/encoders/jobs/claim`, { wait_s: 20 }, auth);
      if (res.status === 200 && res.body?.data) await processJob(res.body.data as Job);
      else if (res.status !== 200) await new Promise((r) => setTimeout(r, 2000));
    } catch (err) {
      if (signal.aborted) break;
      log('claim failed, retrying', err);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

function jsonPoster(signal: AbortSignal) {
  return async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
}

/** The API could not be reached (network error or 5xx) within the retry budget. */
export class ApiUnavailableError extends Error {}

const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 30000];

/**
 * fetch() again on network errors, 429 and 5xx, with backoff (≈ 1 min in
 * all); `init` is called per attempt so a streamed body can be re-opened.
 */
async function fetchRetrying(url: string, init: () => Promise<RequestInit> | RequestInit, signal: AbortSignal): Promise<Response> {
  let last = 'no attempt';
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { ...(await init()), signal });
      if (res.status < 500 && res.status !== 429) return res;
      last = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (err) {
      if (signal.aborted) throw err;
      last = (err as Error).message;
    }
    const delay = RETRY_DELAYS_MS[attempt];
    if (delay === undefined) throw new ApiUnavailableError(`${url.split('?')[0]!.slice(0, 80)}…: ${last}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Downloads the job's source to `file`, resuming where a broken transfer stopped. */
async function downloadSource(url: string, file: string, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const have = await stat(file).then((s) => s.size, () => 0);
    const res = await fetchRetrying(url, () => ({ headers: have ? { range: `bytes=${have}-` } : {} }), signal);
    if (res.status === 416) return; // nothing left to fetch
    if (res.status !== 200 && res.status !== 206) throw Object.assign(new Error(`source download refused: HTTP ${res.status}`), { code: 'source_unavailable' });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(file, { flags: res.status === 206 ? 'a' : 'w' }));
      return;
    } catch (err) {
      if (signal.aborted || attempt >= RETRY_DELAYS_MS.length) throw new ApiUnavailableError(`source download broke: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
    }
  }
}

/**
 * Processes one job (pull or push): heartbeats, ffmpeg, output uploads, the
 * signed callback. `auth` is the encoder token header (push jobs carry theirs).
 */
export function jobProcessor(opts: { webhookSecret: string; workDir?: string; log?: (msg: string, extra?: unknown) => void }, signal: AbortSignal, auth?: Record<string, string>) {
  const log = opts.log ?? (() => {});
  const webhook = new Webhook(opts.webhookSecret);
  const json = jsonPoster(signal);

  async function callback(callbackUrl: string, event: Record<string, unknown>) {
    const id = `evt_${randomUUID()}`;
    const body = JSON.stringify(event);
    // Same webhook-id on every attempt (the API applies it once); a fresh
    // timestamp and signature each time.
    await fetchRetrying(callbackUrl, () => {
      const now = new Date();
      return {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': webhook.sign(id, now, body) },
      };
    }, signal);
  }

  async function uploadAll(dir: string, uploadUrl: string) {
    const walk = async (rel: string): Promise<string[]> => {
      const out: string[] = [];
      for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) out.push(...(await walk(r)));
        else out.push(r);
      }
      return out;
    };
    for (const rel of await walk('')) {
      const file = path.join(dir, rel);
      const res = await fetchRetrying(`${uploadUrl}/${rel.split('/').map(encodeURIComponent).join('/')}`, async () => ({
        method: 'PUT', body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        headers: { 'content-length': String((await stat(file)).size) }, duplex: 'half',
      } as RequestInit & { duplex: 'half' }), signal);
      if (res.status !== 200) throw new Error(`upload of ${rel} failed: ${res.status}`);
    }
  }

  return async function processJob(job: Job) {
    const headers = job.encoder_token ? { 'x-encoder-token': job.encoder_token } : auth ?? {};
    log(`job ${job.job_id} (video ${job.video_id}, attempt ${job.attempt})`);
    let progress = 0;
    let lost = false;
    let sent = -1;
    let lastBeat = 0;
    const beat = async () => {
      lastBeat = Date.now();
      sent = progress;
      const res = await json(job.heartbeat_url, { progress }, headers).catch(() => ({ status: 0 }));
      if (res.status === 409) lost = true;
    };
    await beat();
    // Progress at most once a second when it moves; the lease well before it lapses.
    const leaseEvery = Math.max(500, (job.lease_s * 1000) / 3);
    const timer = setInterval(() => {
      if (progress !== sent || Date.now() - lastBeat >= leaseEvery) void beat();
    }, Math.min(1000, leaseEvery));
    const work = await mkdtemp(path.join(opts.workDir ?? tmpdir(), 'pod-encode-'));
    const out = path.join(work, 'out');
    try {
      await mkdir(out);
      const source = path.join(work, 'source');
      await downloadSource(job.source.url, source, signal);
      const result = await encode(source, out, job.outputs.prefix, (p) => (progress = p));
      if (lost) return log(`job ${job.job_id} was taken back; dropping its result`);
      await uploadAll(out, job.outputs.upload_url);
      await callback(job.callback_url, { type: 'encoding.ready', video_id: job.video_id, job_id: job.job_id, outputs: result.outputs });
      log(`job ${job.job_id} ready`);
    } catch (err) {
      if (err instanceof ApiUnavailableError) {
        // No verdict: the lease lapses and the API re-queues the job.
        return log(`job ${job.job_id} abandoned, the API is unreachable: ${err.message}`);
      }
      const raw = (err as { code?: unknown }).code;
      const code = typeof raw === 'string' && /^[a-z0-9_]{1,64}$/.test(raw) ? raw : 'encoding_failed';
      log(`job ${job.job_id} failed: ${(err as Error).message}`);
      if (!lost && !signal.aborted) {
        await callback(job.callback_url, { type: 'encoding.error', video_id: job.video_id, job_id: job.job_id, error: { code, message: redactSecrets((err as Error).message).slice(0, 1900) } })
          .catch((e: unknown) => log(`job ${job.job_id}: its error could not be reported (the lease will lapse)`, e));
      }
    } finally {
      clearInterval(timer);
      await rm(work, { recursive: true, force: true });
    }
  };
}
