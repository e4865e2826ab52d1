// ENCODING_BACKEND=esup-runner, the whole cycle against a fake Runner Manager
// that speaks Esup-Runner's messages and really encodes: upload → execute →
// the runner downloads the source → notify → import → player config → media
// (byte-range HLS); managers by priority; waiting when every runner is busy;
// transcription into an automatic subtitle track.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createUser, type TestUser } from '../test-support/users.ts';
import { startRunnerEnv } from '../test-support/runner-env.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

describe('encoding on Esup-Runner (fake Runner Managers)', { skip: !HAS_FFMPEG && 'ffmpeg is not installed' }, () => {
  let env: Awaited<ReturnType<typeof startRunnerEnv>>;
  let teacher: TestUser, stranger: TestUser;
  before(async () => {
    env = await startRunnerEnv();
    teacher = await createUser(env.t, 'teacher', { is_staff: true, affiliation: 'faculty' });
    stranger = await createUser(env.t, 'stranger');
  });
  after(() => env?.close());

  it('upload → execute → notify → import → config → media, as Pod drives the manager', async () => {
    const { t, managers } = env;
    const video = await env.upload(teacher);
    const encoding = await env.encodingOf(teacher, video.slug, 'ready');
    assert.deepEqual(encoding, { status: 'ready', progress: 100, error: null, log: null });

    // What pod-api asked: Pod's fields, the ladder as a JSON string, a source URL ending in the file's extension.
    const [task] = [...managers[0]!.tasks.values()];
    const request = task!.request;
    assert.equal(request.etab_name, 'Université de Test');
    assert.equal(request.app_name, 'pod-api');
    assert.equal(request.task_type, 'encoding');
    assert.equal(request.affiliation, 'faculty');
    assert.equal(typeof request.parameters.rendition, 'string');
    assert.deepEqual(Object.keys(JSON.parse(request.parameters.rendition)), ['360', '720', '1080']);
    assert.deepEqual([request.parameters.video_id, request.parameters.video_slug], [String(video.id), video.slug]);
    assert.equal(request.notify_url, `${t.config.PUBLIC_URL}/api/v1/runner/notify`);
    assert.match(request.source_url, /\/api\/v1\/runner\/sources\/[\w.-]+\/source\.mp4$/);
    assert.equal(managers[1]!.tasks.size, 0, 'the second manager (priority 2) was not needed');

    // The source URL died with the task; the manager was never asked for it again.
    const dead = await fetch(request.source_url);
    assert.equal(dead.status, 403);
    assert.equal(((await dead.json()) as any).errors[0].code, 'source_url_revoked');

    const cfg = (await t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: teacher.auth })).body.data;
    assert.equal(cfg.video.duration, 2);
    // A 4:3 source scaled to the 360 rung keeps its aspect ratio: 480x360, not the rung's 640x360 label.
    assert.deepEqual(cfg.hls.renditions.map((r: any) => [r.width, r.height]), [[480, 360]]);
    assert.deepEqual(cfg.mp4.map((m: any) => m.height), [360]);
    assert.equal(cfg.audio.type, 'audio/mpeg');
    assert.equal(cfg.thumbnails.length, 3);
    assert.match(cfg.poster, /_0\.png$/);
    assert.match(cfg.storyboard_vtt, /overview\.vtt$/);

    const master = await fetch(cfg.hls.master);
    assert.equal(master.status, 200);
    const masterText = await master.text();
    assert.match(masterText, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=480x360\n360p_source\.m3u8/);
    const rung = await fetch(new URL('360p_source.m3u8', cfg.hls.master));
    const rungText = await rung.text();
    assert.match(rungText, /#EXT-X-BYTERANGE:(\d+)@(\d+)\n360p_source\.ts/, 'single-file HLS with byte ranges');
    const [, length, offset] = /#EXT-X-BYTERANGE:(\d+)@(\d+)/.exec(rungText)!;
    const segment = await fetch(new URL('360p_source.ts', cfg.hls.master), { headers: { range: `bytes=${offset}-${Number(offset) + Number(length) - 1}` } });
    assert.equal(segment.status, 206);
    const bytes = Buffer.from(await segment.arrayBuffer());
    assert.equal(bytes.length, Number(length));
    assert.equal(bytes[0], 0x47, 'an MPEG-TS packet');
    const sprite = await fetch(new URL('overview.png', cfg.storyboard_vtt));
    assert.equal(sprite.headers.get('content-type'), 'image/png');
    // What pod-api keeps: not the runner's logs nor its metadata (absolute paths, full stdout).
    const keys: string[] = [];
    for await (const o of t.app.storage.list(`encodings/${video.id}/`)) keys.push(o.key.split('/').pop()!);
    assert.ok(!keys.includes('task_metadata.json') && !keys.includes('encoding.log'), keys.join());
    assert.ok(keys.includes('master.m3u8'));
    const row = await t.app.dbh.db.selectFrom('runner_tasks').select(['status', 'task_id']).where('video_id', '=', video.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { status: 'imported', task_id: task!.task_id });
  });

  it('a re-encode replaces the outputs at once, and the old files go', async () => {
    const { t } = env;
    const video = await env.upload(teacher);
    await env.encodingOf(teacher, video.slug, 'ready');
    const before = (await t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: teacher.auth })).body.data.hls.master as string;
    const again = await t.request('POST', `/api/v1/videos/${video.slug}/encode`, { headers: teacher.auth });
    assert.equal(again.status, 202, again.text);
    await env.encodingOf(teacher, video.slug, 'ready');
    // `imported` once the switch is made and the previous files are gone.
    const imported = async () => (await t.app.dbh.db.selectFrom('runner_tasks').select('status').where('video_id', '=', video.id)
      .orderBy('created_at', 'desc').executeTakeFirstOrThrow()).status === 'imported';
    for (let i = 0; i < 100 && !(await imported()); i++) await new Promise((r) => setTimeout(r, 100));
    const cfg = (await t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: teacher.auth })).body.data;
    assert.notEqual(cfg.hls.master, before, 'new outputs, new folder');
    assert.equal((await fetch(cfg.hls.master)).status, 200);
    const folders = new Set<string>();
    for await (const o of t.app.storage.list(`encodings/${video.id}/`)) folders.add(o.key.split('/')[2]!);
    assert.equal(folders.size, 1, `only the new outputs are left: ${[...folders].join()}`);
  });

  it('managers by priority: a busy first manager → the second; all busy → queued with the reason, then encoded', async () => {
    const { t, managers } = env;
    managers[0]!.behaviour.busy = true;
    const second = await env.upload(teacher);
    await env.encodingOf(teacher, second.slug, 'ready');
    assert.equal(managers[1]!.tasks.size, 1, 'the second manager took it');

    managers[1]!.behaviour.busy = true;
    const waiting = await env.upload(teacher);
    const stream = await t.request('GET', `/api/v1/videos/${waiting.slug}`, { headers: teacher.auth });
    assert.equal(stream.status, 200);
    let state = stream.body.data.encoding;
    for (let i = 0; i < 100 && state.error?.code !== 'no_runner_available'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await t.request('GET', `/api/v1/videos/${waiting.slug}`, { headers: teacher.auth })).body.data.encoding;
    }
    assert.equal(state.status, 'queued');
    assert.equal(state.error.code, 'no_runner_available');
    assert.match(state.error.message, /503 No runners available.*next try at/);
    managers[0]!.behaviour.busy = false;
    managers[1]!.behaviour.busy = false;
    const done = await env.encodingOf(teacher, waiting.slug, 'ready');
    assert.equal(done.error, null);
  });

  it('transcription: editors ask, the WebVTT becomes an automatic subtitle track, editable like any', async () => {
    const { t } = env;
    const video = await env.upload(teacher);
    await env.encodingOf(teacher, video.slug, 'ready');
    for (const [headers, status] of [[{}, 401], [stranger.auth, 404]] as const) {
      assert.equal((await t.request('POST', `/api/v1/videos/${video.slug}/transcribe`, { headers, json: { language: 'fr' } })).status, status);
    }
    for (const json of [{}, { language: 'french!' }, { language: 42 }, { language: 'fr', model: 'large' }]) {
      const bad = await t.request('POST', `/api/v1/videos/${video.slug}/transcribe`, { headers: teacher.auth, json });
      assert.equal(bad.status, 400, JSON.stringify(json));
      assert.equal(bad.body.errors[0].code, 'validation_error');
    }
    const asked = await t.request('POST', `/api/v1/videos/${video.slug}/transcribe`, { headers: teacher.auth, json: { language: 'fr' } });
    assert.equal(asked.status, 202, asked.text);
    let track;
    for (let i = 0; i < 200 && !track; i++) {
      await new Promise((r) => setTimeout(r, 100));
      track = (await t.request('GET', `/api/v1/videos/${video.slug}/tracks`, { headers: teacher.auth })).body.data[0];
    }
    assert.ok(track, 'the track arrived');
    assert.deepEqual([track.kind, track.lang, track.is_auto, track.label], ['subtitles', 'fr', true, 'français (auto)']);
    const list = (await t.request('GET', `/api/v1/videos/${video.slug}/transcriptions`, { headers: teacher.auth })).body.data;
    assert.deepEqual(list.map((x: any) => [x.language, x.status]), [['fr', 'imported']]);
    const edited = await t.request('PATCH', `/api/v1/videos/${video.slug}/tracks/${track.id}`, {
      headers: teacher.auth, json: { content: 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nBonjour à toutes et à tous.\n' },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.data.is_auto, false, 'a person edited it');
    const cfg = (await t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: teacher.auth })).body.data;
    assert.equal(cfg.tracks[0].lang, 'fr');
  });
});

describe('encoding on Esup-Runner, results stored on S3', { skip: !HAS_FFMPEG && 'ffmpeg is not installed' }, () => {
  it('the import streams every file into the bucket; the player config and byte ranges work from there', async () => {
    const { startS3 } = await import('../test-support/s3.ts');
    const s3 = await startS3();
    const env = await startRunnerEnv(s3.env);
    try {
      const teacher = await createUser(env.t, 'teacher', { is_staff: true });
      const video = await env.upload(teacher);
      assert.equal((await env.encodingOf(teacher, video.slug, 'ready')).status, 'ready');
      const cfg = (await env.t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: teacher.auth })).body.data;
      const rung = await (await fetch(new URL('360p_source.m3u8', cfg.hls.master))).text();
      const [, length, offset] = /#EXT-X-BYTERANGE:(\d+)@(\d+)/.exec(rung)!;
      const segment = await fetch(new URL('360p_source.ts', cfg.hls.master), { headers: { range: `bytes=${offset}-${Number(offset) + Number(length) - 1}` } });
      assert.equal(segment.status, 206);
      assert.equal((await segment.arrayBuffer()).byteLength, Number(length));
      const keys: string[] = [];
      for await (const o of env.t.app.storage.list(`encodings/${video.id}/`)) keys.push(o.key);
      assert.ok(keys.some((k) => k.endsWith('/master.m3u8')) && keys.some((k) => k.endsWith('.ts')), keys.join());
    } finally {
      await env.close();
      await s3.close();
    }
  });
});
