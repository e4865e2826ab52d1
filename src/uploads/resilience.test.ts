// The upload survives what campus Wi-Fi and servers do to it: a 200 MB
// lecture sent by tus-js-client in 8 MB chunks to the real server process;
// the client aborts mid-way and resumes; the server is SIGKILLed mid-way,
// restarted, and the upload resumes. The stored file's SHA-256 must equal the
// source's, on local disk and on S3.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';
import { freePort } from '../../bench/lib.ts';
import { S3Storage } from '../core/storage/s3.ts';
import { LocalStorage } from '../core/storage/local.ts';
import { writeWavFile } from '../test-support/media.ts';
import { startS3 } from '../test-support/s3.ts';
import { createTestDatabase, TEST_POSTGRES_URL } from '../test-support/test-app.ts';

const SIZE = Number(process.env.RESILIENCE_BYTES ?? 200 * 1024 * 1024);
const CHUNK = 8 * 1024 * 1024;
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const CREATE_SUPERUSER = fileURLToPath(new URL('../users/create-superuser-cli.ts', import.meta.url));

async function waitHealthy(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${log()}`);
    try {
      if ((await fetch(`${url}/api/v1/ready`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready: ${log()}`);
}

for (const backend of ['local', 's3'] as const) {
  describe(`resilient 200 MB upload (${backend})`, () => {
    let dir: string;
    let file: string;
    let sourceSha: string;
    let env: Record<string, string>;
    let url: string;
    let s3: Awaited<ReturnType<typeof startS3>> | undefined;
    let dropDb: (() => Promise<void>) | undefined;
    let server: ChildProcess | undefined;
    let serverLog = '';

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'pod-resilience-'));
      file = path.join(dir, 'amphi.wav');
      sourceSha = await writeWavFile(file, SIZE);
      if (backend === 's3') s3 = await startS3();
      let databaseUrl = '';
      if (TEST_POSTGRES_URL) ({ url: databaseUrl, drop: dropDb } = await createTestDatabase(TEST_POSTGRES_URL));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      env = {
        ...process.env as Record<string, string>, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, LOG_LEVEL: 'warn',
        SECRET_KEY: 'resilience-secret-key-0123456789-abcdefgh', DATABASE_URL: databaseUrl,
        PGLITE_DATA_DIR: path.join(dir, 'pgdata'), MEDIA_DIR: path.join(dir, 'media'), ...s3?.env,
      };
      const cli = spawnSync(process.execPath, [CREATE_SUPERUSER, '--username', 'lecturer', '--password', 'lecture password'], { env, encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
    });
    after(async () => {
      server?.kill('SIGKILL');
      await dropDb?.();
      await s3?.close();
      await rm(dir, { recursive: true, force: true });
    });

    async function startServer() {
      serverLog = '';
      server = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      server.stdout!.on('data', (c: Buffer) => (serverLog += c.toString()));
      server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
      await waitHealthy(url, server, () => serverLog);
    }

    /** One tus-js-client run; `onProgressBytes` may abort or kill mid-way. */
    function run(opts: { token: string; uploadUrl?: string; stopAt?: number; onStop?: (u: tus.Upload) => void }) {
      return new Promise<{ outcome: 'success' | 'stopped' | 'error'; url: string; videoSlug?: string; error?: unknown }>((resolve) => {
        let stopped = false;
        const upload: tus.Upload = new tus.Upload(createReadStream(file), {
          endpoint: `${url}/api/v1/uploads/`,
          uploadUrl: opts.uploadUrl,
          uploadSize: SIZE,
          chunkSize: CHUNK,
          retryDelays: [],
          headers: { authorization: `Bearer ${opts.token}` },
          metadata: { filename: 'amphi.wav', title: 'Amphi A, 8h' },
          onChunkComplete(_n, sent) {
            if (!stopped && opts.stopAt !== undefined && sent >= opts.stopAt) {
              stopped = true;
              opts.onStop?.(upload);
              resolve({ outcome: 'stopped', url: upload.url! });
            }
          },
          onSuccess(payload) {
            resolve({ outcome: 'success', url: upload.url!, videoSlug: payload.lastResponse.getHeader('x-video-slug') });
          },
          onError(error) {
            if (!stopped) resolve({ outcome: 'error', url: upload.url ?? '', error });
          },
        });
        upload.start();
      });
    }

    async function offsetOf(uploadUrl: string, token: string) {
      const head = await fetch(uploadUrl, { method: 'HEAD', headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' } });
      assert.equal(head.status, 200);
      return Number(head.headers.get('upload-offset'));
    }

    it('client abort + resume, server SIGKILL + restart + resume → byte-identical source', { timeout: 600_000 }, async () => {
      await startServer();
      const login = await fetch(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'lecturer', password: 'lecture password' }) });
      const token = ((await login.json()) as { data: { access_token: string } }).data.access_token;

      // 1. The client gives up after ~5 chunks (Wi-Fi drop), then resumes.
      const first = await run({ token, stopAt: 5 * CHUNK, onStop: (u) => void u.abort() });
      assert.equal(first.outcome, 'stopped');
      const afterAbort = await offsetOf(first.url, token);
      assert.ok(afterAbort >= 5 * CHUNK && afterAbort < SIZE, `offset after abort ${afterAbort}`);

      // 2. Resumed; mid-way the server is killed without warning.
      const second = await run({ token, uploadUrl: first.url, stopAt: Math.floor(SIZE * 0.6), onStop: () => server!.kill('SIGKILL') });
      assert.equal(second.outcome, 'stopped');
      await new Promise<void>((resolve) => (server!.exitCode !== null ? resolve() : server!.once('exit', () => resolve())));

      // 3. Restarted on the same data; the upload resumes from the server's offset.
      await startServer();
      const afterKill = await offsetOf(first.url, token);
      assert.ok(afterKill > afterAbort && afterKill < SIZE, `offset after restart ${afterKill}`);
      const third = await run({ token, uploadUrl: first.url });
      assert.equal(third.outcome, 'success', String(third.error));
      assert.ok(third.videoSlug);

      const id = first.url.split('/').pop()!;
      const storage = backend === 's3'
        ? new S3Storage({ endpoint: s3!.endpoint, region: 'us-east-1', bucket: s3!.bucket, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })
        : new LocalStorage(env.MEDIA_DIR!);
      const hash = createHash('sha256');
      let size = 0;
      for await (const c of await storage.get(`sources/${id}.wav`)) {
        hash.update(c as Buffer);
        size += (c as Buffer).length;
      }
      assert.equal(size, SIZE);
      assert.equal(hash.digest('hex'), sourceSha, 'stored bytes equal the source');

      const video = await fetch(`${url}/api/v1/videos/${third.videoSlug}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await video.json()) as { data: { encoding: { status: string }; title: string } };
      assert.equal(body.data.encoding.status, 'queued');
      assert.equal(body.data.title, 'Amphi A, 8h');
      server!.kill('SIGTERM');
    });
  });
}
