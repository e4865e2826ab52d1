// A test app whose encoding backend is Esup-Runner, driving fake Runner
// Managers (fake-runner-manager.ts), and what its tests share.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeRunnerManager, type FakeRunnerManager } from './fake-runner-manager.ts';
import { makeClip } from './media.ts';
import { openEventStream } from './sse.ts';
import { startTestApp, type TestApp } from './test-app.ts';
import { tusUpload } from './tus.ts';
import type { TestUser } from './users.ts';

export const TOKENS = ['manager-one-token-0123', 'manager-two-token-4567'];

export async function startRunnerEnv(env: Record<string, string> = {}) {
  const managers: FakeRunnerManager[] = [
    await startFakeRunnerManager({ tokens: [TOKENS[0]!], taskTypes: ['encoding', 'transcription'] }),
    await startFakeRunnerManager({ tokens: [TOKENS[1]!] }),
  ];
  const t = await startTestApp({
    env: {
      ENCODING_BACKEND: 'esup-runner',
      RUNNER_MANAGERS: JSON.stringify(managers.map((m, i) => ({ url: m.url, token: TOKENS[i], priority: i + 1 }))),
      RUNNER_ETAB_NAME: 'Université de Test', RUNNER_RETRY_MAX_DELAY_S: '1', RUNNER_RECONCILE_AFTER_S: '2',
      ...env,
    },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-runner-clip-'));
  makeClip(path.join(dir, 'clip.mp4'), { seconds: 2, size: '320x240' });
  const clip = await readFile(path.join(dir, 'clip.mp4'));
  await rm(dir, { recursive: true, force: true });
  return {
    t, managers, clip,
    async upload(user: TestUser, filename = 'clip.mp4') {
      const done = await tusUpload(t, clip, { headers: user.auth, metadata: { filename } });
      assert.equal(done.status, 204, done.body);
      return { id: Number(done.headers['x-video-id']), slug: done.headers['x-video-slug']! };
    },
    /** Waits (SSE) until the video's encoding reaches `status`; returns the last state. */
    async encodingOf(user: TestUser, slug: string, status: string, ms = 60_000) {
      const stream = await openEventStream(`${t.url}/api/v1/videos/${slug}/events`, user.auth);
      try {
        await stream.waitFor((e) => e.event === 'encoding' && e.data.status === status, ms);
      } finally {
        await stream.close();
      }
      return (await t.request('GET', `/api/v1/videos/${slug}`, { headers: user.auth })).body.data.encoding;
    },
    async close() {
      await t.close();
      for (const m of managers) await m.close();
    },
  };
}

/** POSTs a notify as a manager would. */
export function notify(t: TestApp, body: unknown, token: string | null, headers: Record<string, string> = {}) {
  return t.request('POST', '/api/v1/runner/notify', {
    json: body, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}
