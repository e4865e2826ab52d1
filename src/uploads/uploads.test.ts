// Resumable uploads with a real tus client (tus-js-client) against the
// running app: completion, resume after abort, byte-level validation,
// limits, rights, checksums, expiry.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { EXE, HTML, PDF, sha256, wavBuffer } from '../test-support/media.ts';
import { startS3 } from '../test-support/s3.ts';
import { tusUpload } from '../test-support/tus.ts';

const HAS_FFPROBE = spawnSync('ffprobe', ['-version']).status === 0;

for (const backend of ['local', 's3'] as const) describe(`uploads (tus 1.0, ${backend} storage)`, () => {
  let t: TestApp;
  let s3: Awaited<ReturnType<typeof startS3>> | undefined;
  let teacher: TestUser, other: TestUser;
  before(async () => {
    if (backend === 's3') s3 = await startS3();
    t = await startTestApp({ env: { UPLOAD_MAX_BYTES: String(8 * 1024 * 1024), UPLOAD_QUOTA_BYTES: String(12 * 1024 * 1024), ...s3?.env } });
    teacher = await createUser(t, 'teacher', { is_staff: true });
    other = await createUser(t, 'other');
  });
  after(async () => {
    await t?.close();
    await s3?.close();
  });

  const storedSha = async (videoId: number) => {
    const v = await t.app.dbh.db.selectFrom('videos').select(['source_key', 'source_size', 'source_mime', 'encoding_status']).where('id', '=', videoId).executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const c of await t.app.storage.get(v.source_key!)) chunks.push(Buffer.from(c as Uint8Array));
    return { ...v, sha: sha256(Buffer.concat(chunks)) };
  };
  /** Objects of uploads in progress (tus staging), whatever the backend. */
  const staging = async () => {
    const keys: string[] = [];
    for await (const o of t.app.storage.list(backend === 'local' ? 'uploads/' : '')) {
      if (!o.key.startsWith('sources/')) keys.push(o.key);
    }
    return keys;
  };

  it('uploads a file in chunks; completion creates a draft, stores the bytes intact and queues encoding in one go', async () => {
    const data = wavBuffer(1_000_000 + 7);
    const done = await tusUpload(t, data, { headers: teacher.auth, metadata: { filename: 'Amphi 3 - cours 1.wav', title: 'Cours 1' } });
    assert.equal(done.status, 204, done.body);
    const id = Number(done.headers['x-video-id']);
    assert.ok(id > 0);
    const stored = await storedSha(id);
    assert.equal(stored.sha, sha256(data));
    assert.equal(stored.source_size, data.length);
    assert.equal(stored.source_mime, 'audio/wav');
    const video = await t.request('GET', `/api/v1/videos/${done.headers['x-video-slug']}`, { headers: teacher.auth });
    assert.equal(video.body.data.title, 'Cours 1');
    assert.equal(video.body.data.is_draft, true);
    assert.equal(video.body.data.encoding.status, 'queued');
    const { encoding_job_id } = await t.app.dbh.db.selectFrom('videos').select('encoding_job_id').where('id', '=', id).executeTakeFirstOrThrow();
    const job = await t.app.jobs.encodingJob(encoding_job_id!);
    assert.equal(job?.state, 'created', 'a durable encoding job waits in the queue');
    assert.equal(job?.data.video_id, id);
    assert.deepEqual(await staging(), [], 'staging area is empty');
  });

  it('creation-with-upload: the whole file in the creation request completes at once', async () => {
    const data = wavBuffer(150_000);
    const res = await fetch(`${t.url}/api/v1/uploads/`, {
      method: 'POST', body: data,
      headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-length': String(data.length), 'content-type': 'application/offset+octet-stream',
        'upload-metadata': `filename ${Buffer.from('one-shot.wav').toString('base64')}` },
    });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(res.headers.get('upload-offset'), String(data.length));
    const id = Number(res.headers.get('x-video-id'));
    assert.ok(id > 0);
    assert.equal((await storedSha(id)).sha, sha256(data));
    const head = await fetch(new URL(res.headers.get('location')!, t.url), { method: 'HEAD', headers: { ...teacher.auth, 'tus-resumable': '1.0.0' } });
    assert.ok([200, 404].includes(head.status), 'a completed upload is complete or gone, never an error');
  });

  it('resumes after the client aborts mid-way', async () => {
    const data = wavBuffer(3 * 1024 * 1024 + 123);
    const first = await tusUpload(t, data, { headers: teacher.auth, chunkSize: 512 * 1024, abortAfter: 1024 * 1024 });
    assert.equal(first.aborted, true);
    const head = await fetch(first.url, { method: 'HEAD', headers: { ...teacher.auth, 'tus-resumable': '1.0.0' } });
    const offset = Number(head.headers.get('upload-offset'));
    assert.ok(offset >= 1024 * 1024 && offset < data.length, `offset ${offset}`);
    const resumed = await tusUpload(t, data, { headers: teacher.auth, chunkSize: 512 * 1024, uploadUrl: first.url });
    assert.equal(resumed.status, 204);
    assert.equal((await storedSha(Number(resumed.headers['x-video-id']))).sha, sha256(data));
  });

  it('replaces the source of an existing video (metadata video=slug); others get 404', async () => {
    const created = await t.request('POST', '/api/v1/videos', { headers: teacher.auth, json: { title: 'Existante' } });
    const slug = created.body.data.slug;
    const denied = await tusUpload(t, wavBuffer(100_000), { headers: other.auth, metadata: { filename: 'x.wav', video: slug } });
    assert.equal(denied.status, 404);
    assert.equal(JSON.parse(denied.body).errors[0].code, 'not_found');
    const data = wavBuffer(200_000);
    const ok = await tusUpload(t, data, { headers: teacher.auth, metadata: { filename: 'x.wav', video: slug } });
    assert.equal(ok.status, 204, ok.body);
    assert.equal(ok.headers['x-video-slug'], slug);
    assert.equal((await storedSha(created.body.data.id)).sha, sha256(data));
  });

  it('refuses impostors on the bytes: PDF, executable or HTML named .mp4, WAV named .mp4; the bytes are deleted', async () => {
    for (const [name, bytes, code] of [
      ['slides.mp4', PDF, 'unsupported_media_type'], ['setup.mp4', EXE, 'unsupported_media_type'],
      ['page.mp4', HTML, 'unsupported_media_type'], ['audio.mp4', wavBuffer(10_000), 'unsupported_media_type'],
    ] as const) {
      const res = await tusUpload(t, bytes, { headers: teacher.auth, metadata: { filename: name } });
      assert.equal(res.status, 415, `${name}: ${res.body}`);
      assert.equal(JSON.parse(res.body).errors[0].code, code);
    }
    assert.deepEqual(await staging(), [], 'rejected bytes are gone');
    const videos = await t.app.dbh.db.selectFrom('videos').select('title').where('title', 'in', ['slides', 'setup', 'page', 'audio']).execute();
    assert.deepEqual(videos, []);
  });

  it('refuses a forbidden extension before any byte (valid WAV bytes named .exe / no extension)', async () => {
    for (const filename of ['cours.exe', 'cours', 'cours.wav.html']) {
      const res = await tusUpload(t, wavBuffer(10_000), { headers: teacher.auth, metadata: { filename } });
      assert.equal(res.status, 415, filename);
      assert.equal(JSON.parse(res.body).errors[0].field, 'filename');
    }
    const none = await tusUpload(t, wavBuffer(10_000), { headers: teacher.auth, metadata: {} });
    assert.equal(none.status, 400);
  });

  it('over-size → 413 payload_too_large; over-quota → 413 quota_exceeded (checked at creation)', async () => {
    const big = await fetch(`${t.url}/api/v1/uploads/`, {
      method: 'POST', headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-length': String(9 * 1024 * 1024), 'upload-metadata': `filename ${Buffer.from('big.wav').toString('base64')}` },
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as any).errors[0].code, 'payload_too_large');
    // teacher already stores ~4.2 MiB; 12 MiB quota: 7.9 MiB more is too much.
    const quota = await fetch(`${t.url}/api/v1/uploads/`, {
      method: 'POST', headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-length': String(8 * 1024 * 1024 - 1000), 'upload-metadata': `filename ${Buffer.from('q.wav').toString('base64')}` },
    });
    assert.equal(quota.status, 413);
    assert.equal(((await quota.json()) as any).errors[0].code, 'quota_exceeded');
  });

  it('anonymous → 401; another user cannot see, resume or delete my upload', async () => {
    const anon = await fetch(`${t.url}/api/v1/uploads/`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '100' } });
    assert.equal(anon.status, 401);
    assert.equal(((await anon.json()) as any).errors[0].code, 'not_authenticated');
    const mine = await tusUpload(t, wavBuffer(2 * 1024 * 1024), { headers: teacher.auth, chunkSize: 512 * 1024, abortAfter: 512 * 1024 });
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const res = await fetch(mine.url, {
        method, headers: { ...other.auth, 'tus-resumable': '1.0.0', 'upload-offset': '524288', 'content-type': 'application/offset+octet-stream' },
        body: method === 'PATCH' ? Buffer.alloc(10) : undefined,
      });
      assert.equal(res.status, 404, method);
      // An error is the JSON envelope, in type too, even for HEAD (no body).
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, method);
      if (method !== 'HEAD') assert.equal(((await res.json()) as any).errors[0].code, 'not_found', method);
    }
    const del = await fetch(mine.url, { method: 'DELETE', headers: { ...teacher.auth, 'tus-resumable': '1.0.0' } });
    assert.equal(del.status, 204);
  });

  it('checksum extension: a chunk with a wrong digest is refused (460) and the offset does not move', async () => {
    const data = wavBuffer(300_000);
    const create = await fetch(`${t.url}/api/v1/uploads/`, {
      method: 'POST', headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-length': String(data.length), 'upload-metadata': `filename ${Buffer.from('c.wav').toString('base64')}` },
    });
    assert.equal(create.status, 201);
    const url = new URL(create.headers.get('location')!, t.url).href;
    const patch = (body: Buffer, offset: number, digest: string) => fetch(url, {
      method: 'PATCH', body,
      headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'upload-checksum': digest },
    });
    const sha1 = async (b: Buffer) => `sha1 ${createHash('sha1').update(b).digest('base64')}`;
    const first = data.subarray(0, 100_000);
    const bad = await patch(first, 0, await sha1(Buffer.from('something else')));
    assert.equal(bad.status, 460);
    assert.equal(((await bad.json()) as any).errors[0].code, 'checksum_mismatch');
    const head = await fetch(url, { method: 'HEAD', headers: { ...teacher.auth, 'tus-resumable': '1.0.0' } });
    assert.equal(head.headers.get('upload-offset'), '0');
    const good = await patch(first, 0, await sha1(first));
    assert.equal(good.status, 204);
    assert.equal(good.headers.get('upload-offset'), '100000');
    const rest = data.subarray(100_000);
    const last = await patch(rest, 100_000, await sha1(rest));
    assert.equal(last.status, 204);
    assert.ok(last.headers.get('x-video-slug'));
    const unsupported = await patch(Buffer.alloc(1), 0, 'crc32 AAAA');
    assert.equal(unsupported.status, 400);
    const options = await fetch(`${t.url}/api/v1/uploads/`, { method: 'OPTIONS' });
    assert.match(options.headers.get('tus-extension') ?? '', /checksum/);
    assert.match(options.headers.get('tus-checksum-algorithm') ?? '', /sha1/);
  });

  it('ffprobe: reads the duration and streams; refuses a damaged file with a valid signature', { skip: !HAS_FFPROBE && 'ffprobe is not installed (apt-get install ffmpeg)' }, async () => {
    // 48 kHz, stereo, 16-bit: 192,000 bytes per second → 960,044 bytes ≈ 5 s.
    const ok = await tusUpload(t, wavBuffer(960_044), { headers: teacher.auth, metadata: { filename: 'five-seconds.wav' } });
    assert.equal(ok.status, 204, ok.body);
    const v = await t.app.dbh.db.selectFrom('videos').select(['duration', 'source_probe']).where('id', '=', Number(ok.headers['x-video-id'])).executeTakeFirstOrThrow();
    assert.equal(v.duration, 5);
    assert.equal((v.source_probe as { streams: { type: string }[] }).streams[0]!.type, 'audio');
    // A RIFF/WAVE signature (file-type says wav) over a nonsensical format chunk.
    const damaged = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0xff, 0xff, 0, 0]), Buffer.from('WAVEfmt '), Buffer.from([2, 0, 0, 0]), Buffer.alloc(20_000, 0xab)]);
    const bad = await tusUpload(t, damaged, { headers: teacher.auth, metadata: { filename: 'damaged.wav' } });
    assert.equal(bad.status, 415, bad.body);
    assert.ok(['unreadable_media', 'no_media_stream'].includes(JSON.parse(bad.body).errors[0].code), bad.body);
  });

  it('expired unfinished uploads are cleaned (bytes and bookkeeping)', { skip: backend === 's3' && 'the S3 store expires uploads through bucket lifecycle rules' }, async () => {
    const partial = await tusUpload(t, wavBuffer(1024 * 1024), { headers: teacher.auth, chunkSize: 256 * 1024, abortAfter: 256 * 1024 });
    const id = partial.url.split('/').pop()!;
    const infoFile = path.join(t.config.MEDIA_DIR, 'uploads', `${id}.json`);
    const info = JSON.parse(await readFile(infoFile, 'utf8'));
    // Age the upload past UPLOAD_EXPIRATION_S (fixture: tus keeps creation_date in its info file).
    info.creation_date = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await writeFile(infoFile, JSON.stringify(info));
    await t.app.dbh.db.updateTable('uploads').set({ created_at: new Date(Date.now() - 3 * 86_400_000) }).where('id', '=', id).execute();
    assert.ok((await t.app.maintenance.cleanExpiredUploads()) >= 1);
    const files = await readdir(path.join(t.config.MEDIA_DIR, 'uploads'));
    assert.ok(!files.some((f) => f.startsWith(id)), files.join(','));
    const row = await t.app.dbh.db.selectFrom('uploads').select('id').where('id', '=', id).executeTakeFirst();
    assert.equal(row, undefined);
  });
});
