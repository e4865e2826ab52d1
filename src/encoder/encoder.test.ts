// The whole lifecycle on one machine: a generated 10 s clip uploaded with
// tus → the reference encoder (pull protocol, ffmpeg) picks it up → signed
// callbacks → the video is `ready` with its renditions, and the live stream
// showed queued → processing (progress) → ready. Needs ffmpeg (skipped with
// a reason without it; .ci/run installs it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { tusUpload } from '../test-support/tus.ts';
import { runEncoder } from './worker.ts';
import { makeClip } from '../test-support/media.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'e2e-registration-token-0123456789';

describe('upload → reference encoder → ready (end to end)', { skip: !HAS_FFMPEG && 'ffmpeg is not installed (apt-get install ffmpeg)' }, () => {
  let t: TestApp;
  let teacher: TestUser;
  let dir: string;
  let clip: Buffer;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-e2e-'));
    const file = path.join(dir, 'clip.mp4');
    makeClip(file, { seconds: 10, size: '640x360' });
    clip = await readFile(file);
    t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION } });
    teacher = await createUser(t, 'teacher', { is_staff: true });
  });
  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends ready with HLS, mp4, audio and images; the SSE stream showed every step', { timeout: 120_000 }, async () => {
    const done = await tusUpload(t, clip, { headers: teacher.auth, metadata: { filename: 'amphi.mp4', title: 'Amphi' }, chunkSize: 256 * 1024 });
    assert.equal(done.status, 204, done.body);
    const id = Number(done.headers['x-video-id']);
    const slug = done.headers['x-video-slug']!;

    // Live stream first, then the encoder: the stream must see the whole story.
    const controller = new AbortController();
    const events: { status: string; progress: number | null }[] = [];
    const res = await fetch(`${t.url}/api/v1/videos/${slug}/events`, { headers: teacher.auth, signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const encoderStop = new AbortController();
    const encoder = runEncoder({ apiUrl: t.url, registrationToken: REGISTRATION, webhookSecret: SECRET, name: 'e2e' }, encoderStop.signal).catch(() => {});
    let buffer = '';
    const deadline = Date.now() + 90_000;
    while (!events.some((e) => e.status === 'ready' || e.status === 'error') && Date.now() < deadline) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += decoder.decode(value, { stream: true });
      for (let cut; (cut = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(cut + 2)) {
        const data = /^data: (.*)$/m.exec(buffer.slice(0, cut))?.[1];
        if (data) events.push(JSON.parse(data));
      }
    }
    controller.abort();
    encoderStop.abort();
    await encoder;

    const statuses = events.map((e) => e.status);
    assert.equal(statuses[0], 'queued');
    assert.ok(events.some((e) => e.status === 'processing' && (e.progress ?? 0) > 0), JSON.stringify(events));
    assert.equal(statuses.at(-1), 'ready', JSON.stringify(events));

    const video = await t.request('GET', `/api/v1/videos/${slug}`, { headers: teacher.auth });
    assert.deepEqual(video.body.data.encoding, { status: 'ready', progress: 100, error: null, log: null });
    assert.equal(video.body.data.duration, 10);
    const { encoding_outputs: outputs } = await t.app.dbh.db.selectFrom('videos').select('encoding_outputs').where('id', '=', id).executeTakeFirstOrThrow() as { encoding_outputs: any };
    assert.deepEqual(outputs.renditions.map((r: any) => `${r.width}x${r.height}`), ['640x360'], 'ladder capped at the source height');
    const read = async (key: string) => {
      const chunks: Buffer[] = [];
      for await (const c of await t.app.storage.get(key)) chunks.push(Buffer.from(c as Uint8Array));
      return Buffer.concat(chunks);
    };
    const master = (await read(outputs.hls_master)).toString();
    assert.match(master, /#EXTM3U/);
    assert.match(master, /RESOLUTION=640x360/);
    assert.match(master, /360p\.m3u8/);
    const variant = (await read(outputs.renditions[0].playlist)).toString();
    assert.match(variant, /#EXT-X-ENDLIST/);
    const segments = [...variant.matchAll(/^(360p_\d+\.ts)$/gm)].map((m) => m[1]);
    assert.ok(segments.length >= 2, variant);
    for (const s of segments) assert.ok((await t.app.storage.stat(`encodings/${id}/hls/${s}`))?.size, s);
    assert.equal(outputs.mp4[0].height, 360);
    assert.ok((await t.app.storage.stat(outputs.mp4[0].key))!.size > 10_000);
    assert.ok((await t.app.storage.stat(outputs.audio.key))!.size > 1_000);
    assert.ok((await t.app.storage.stat(outputs.poster))!.size > 1_000);
    assert.equal(outputs.thumbnails.length, 3);
    assert.ok(video.body.data.thumbnail.endsWith(`/${outputs.poster}`), video.body.data.thumbnail);
    const poster = await fetch(video.body.data.thumbnail);
    assert.equal(poster.status, 200);
    assert.equal(poster.headers.get('content-type'), 'image/jpeg');
  });
});
