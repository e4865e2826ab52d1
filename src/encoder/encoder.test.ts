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
import { markEncoded } from '../test-support/encoded.ts';
import { openEventStream } from '../test-support/sse.ts';

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
    // CMAF: one set of fMP4 segments behind the HLS (v7) master and the DASH MPD.
    assert.equal(outputs.packaging, 'cmaf');
    const master = (await read(outputs.hls_master)).toString();
    assert.match(master, /#EXT-X-VERSION:7/);
    assert.match(master, /RESOLUTION=640x360/);
    const variant = (await read(outputs.renditions[0].playlist)).toString();
    assert.match(variant, /#EXT-X-ENDLIST/);
    // One fragmented MP4 per rendition: the init segment, then media segments, by byte range.
    assert.match(variant, /#EXT-X-MAP:URI="360p\.mp4",BYTERANGE="\d+@0"/);
    const ranges = [...variant.matchAll(/^#EXT-X-BYTERANGE:(\d+)@(\d+)\n360p\.mp4$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    assert.ok(ranges.length >= 2, variant);
    const file = await t.app.storage.stat(`encodings/${id}/cmaf/360p.mp4`);
    const [lastLength, lastOffset] = ranges.at(-1)!;
    assert.equal(file?.size, lastLength + lastOffset, 'the segments cover the file to its end');
    const mpd = (await read(outputs.dash_manifest)).toString();
    assert.match(mpd, /urn:mpeg:dash:profile:isoff-live:2011/);
    assert.deepEqual([...mpd.matchAll(/<BaseURL>([^<]+)<\/BaseURL>/g)].map((m) => m[1]), ['360p.mp4', 'audio.m4a'], 'the same files as the HLS playlists');
    const storyboard = (await read(outputs.storyboard.vtt)).toString();
    assert.match(storyboard, /^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\nstoryboard\.jpg#xywh=0,0,160,90\n/);
    assert.ok((await t.app.storage.stat(`encodings/${id}/storyboard.jpg`))!.size > 1_000);
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

  it('a video encoded before CMAF (MPEG-TS HLS, no DASH) is upgraded by POST /encode', { timeout: 120_000 }, async () => {
    const done = await tusUpload(t, clip, { headers: teacher.auth, metadata: { filename: 'ancien.mp4', title: 'Ancien cours' } });
    const id = Number(done.headers['x-video-id']);
    const slug = done.headers['x-video-slug']!;
    // As an encoding from before CMAF left it (the fixture: MPEG-TS HLS only).
    await markEncoded(t, id);
    const before = (await t.request('GET', `/api/v1/videos/${slug}/config`, { headers: teacher.auth })).body.data;
    assert.deepEqual([before.formats, before.dash, before.hls.segments], [['hls', 'mp4', 'audio'], null, 'mpegts']);

    const encoderStop = new AbortController();
    const encoder = runEncoder({ apiUrl: t.url, registrationToken: REGISTRATION, webhookSecret: SECRET, name: 'upgrade' }, encoderStop.signal).catch(() => {});
    try {
      const stream = await openEventStream(`${t.url}/api/v1/videos/${slug}/events`, teacher.auth);
      try {
        const queued = await t.request('POST', `/api/v1/videos/${slug}/encode`, { headers: teacher.auth });
        assert.equal(queued.status, 202, queued.text);
        // The stream starts with the current state (ready, MPEG-TS): wait for a ready after the re-encode's queued.
        const states = () => stream.events.filter((e) => e.event === 'encoding').map((e) => e.data.status as string);
        await stream.waitUntil(() => states().lastIndexOf('ready') > states().indexOf('queued') && states().includes('queued'), 90_000);
      } finally {
        await stream.close();
      }
    } finally {
      encoderStop.abort();
      await encoder;
    }
    const after = (await t.request('GET', `/api/v1/videos/${slug}/config`, { headers: teacher.auth })).body.data;
    assert.deepEqual(after.formats, ['hls', 'dash', 'mp4', 'audio']);
    assert.equal(after.hls.segments, 'fmp4');
    assert.match(after.dash.manifest, new RegExp(`/encodings/${id}/cmaf/manifest\\.mpd$`));
    assert.equal((await fetch(after.dash.manifest)).status, 200);
  });
});
