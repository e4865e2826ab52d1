// What the upload endpoint checks before it reads a byte: a checksummed PATCH
// (the bytes are spooled to be hashed) to an unknown or foreign upload, at a
// wrong offset or longer than the rest of the file is answered at once,
// while its body is still coming; nothing past the upload's length is ever
// spooled. Also: Upload-Metadata with a NUL, and what Tus-Extension claims.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { wavBuffer } from '../test-support/media.ts';

interface Answer { status: number; body: any; bodySent: number }

/**
 * A PATCH whose body starts (64 KiB) and then stalls, never ending: a server
 * that reads the whole body before checking never answers it. Resolves with
 * the answer, or rejects after `ms`.
 */
function stalledPatch(t: TestApp, path: string, headers: Record<string, string>, opts: { declared?: number; chunks?: Buffer[] } = {}, ms = 5000): Promise<Answer> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    let bodySent = 0;
    const req = httpRequest({
      hostname, port, path, method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream',
        ...(opts.declared !== undefined ? { 'content-length': String(opts.declared) } : {}), ...headers,
      },
    }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, bodySent });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${ms} ms while the body was still coming (${bodySent} bytes sent): the server waits for the whole body`));
    }, ms);
    req.on('error', () => {}); // the server may close the connection once it has answered
    for (const chunk of opts.chunks ?? [Buffer.alloc(64 * 1024, 1)]) {
      req.write(chunk);
      bodySent += chunk.length;
    }
    req.flushHeaders();
  });
}

const sha1 = (b: Buffer) => `sha1 ${createHash('sha1').update(b).digest('base64')}`;

describe('upload guards', () => {
  let t: TestApp;
  let teacher: TestUser, other: TestUser;
  before(async () => {
    t = await startTestApp();
    teacher = await createUser(t, 'teacher', { is_staff: true });
    other = await createUser(t, 'other');
  });
  after(() => t.close());

  async function create(user: TestUser, length: number, metadata = `filename ${Buffer.from('c.wav').toString('base64')}`) {
    return fetch(`${t.url}/api/v1/uploads/`, {
      method: 'POST', headers: { ...user.auth, 'tus-resumable': '1.0.0', 'upload-length': String(length), 'upload-metadata': metadata },
    });
  }
  const offsetOf = async (path: string) =>
    (await fetch(t.url + path, { method: 'HEAD', headers: { ...teacher.auth, 'tus-resumable': '1.0.0' } })).headers.get('upload-offset');

  it('a checksummed PATCH to an unknown or foreign upload is refused before its body is read', async () => {
    const huge = 50 * 1024 * 1024;
    const unknown = await stalledPatch(t, '/api/v1/uploads/0123456789abcdef0123456789abcdef', { ...teacher.auth, 'upload-offset': '0', 'upload-checksum': 'sha1 AAAA' }, { declared: huge });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errors[0].code, 'not_found');

    const mine = await create(teacher, 300_000);
    assert.equal(mine.status, 201);
    const path = new URL(mine.headers.get('location')!, t.url).pathname;
    const foreign = await stalledPatch(t, path, { ...other.auth, 'upload-offset': '0', 'upload-checksum': 'sha1 AAAA' }, { declared: huge });
    assert.equal(foreign.status, 404, 'another user cannot even make the server spool bytes');
    assert.equal(await offsetOf(path), '0');
  });

  it('a checksummed PATCH at a wrong offset, or longer than the rest of the file, is refused before its body is read', async () => {
    const res = await create(teacher, 300_000);
    const path = new URL(res.headers.get('location')!, t.url).pathname;
    const wrongOffset = await stalledPatch(t, path, { ...teacher.auth, 'upload-offset': '1000', 'upload-checksum': 'sha1 AAAA' }, { declared: 100_000 });
    assert.equal(wrongOffset.status, 409);
    assert.equal(wrongOffset.body.errors[0].code, 'offset_mismatch');
    const tooLong = await stalledPatch(t, path, { ...teacher.auth, 'upload-offset': '0', 'upload-checksum': 'sha1 AAAA' }, { declared: 300_001 });
    assert.equal(tooLong.status, 413);
    assert.equal(tooLong.body.errors[0].code, 'payload_too_large');
    assert.equal(await offsetOf(path), '0');
  });

  it('a chunked checksummed PATCH is cut as soon as it passes the upload length; the offset does not move', async () => {
    const res = await create(teacher, 100_000);
    const path = new URL(res.headers.get('location')!, t.url).pathname;
    // No Content-Length (chunked): 150 KB sent, then the body stalls. A server spooling the whole body
    // would wait forever; this one stops reading at 100,000 bytes.
    const answer = await stalledPatch(t, path, { ...teacher.auth, 'upload-offset': '0', 'upload-checksum': sha1(Buffer.alloc(150_000, 2)) },
      { chunks: [Buffer.alloc(150_000, 2)] });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.errors[0].code, 'payload_too_large');
    assert.equal(await offsetOf(path), '0');
    // The upload still works.
    const data = wavBuffer(100_000);
    const ok = await fetch(t.url + path, {
      method: 'PATCH', body: data,
      headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'upload-checksum': sha1(data) },
    });
    assert.equal(ok.status, 204, await ok.text());
    assert.ok(ok.headers.get('x-video-slug'));
  });

  it('Upload-Metadata with a NUL (or another control character) is refused with 400', async () => {
    for (const [key, value] of [['filename', 'a\u0000.wav'], ['title', 'Cours\u0000 1'], ['filename', 'a\u001b[31m.wav']] as const) {
      const res = await create(teacher, 1000, `filename ${Buffer.from(key === 'filename' ? value : 'ok.wav').toString('base64')}${key === 'title' ? `,title ${Buffer.from(value).toString('base64')}` : ''}`);
      assert.equal(res.status, 400, `${key}=${JSON.stringify(value)}`);
      const body = (await res.json()) as any;
      assert.equal(body.errors[0].code, 'validation_error');
      assert.equal(body.errors[0].field, `metadata.${key}`);
    }
  });

  it('Tus-Extension lists only what the server does: deferred length is refused, so not advertised', async () => {
    const options = await fetch(`${t.url}/api/v1/uploads/`, { method: 'OPTIONS', headers: { 'tus-resumable': '1.0.0' } });
    const extensions = (options.headers.get('tus-extension') ?? '').split(',');
    assert.ok(extensions.includes('creation') && extensions.includes('checksum') && extensions.includes('termination'), extensions.join());
    assert.ok(!extensions.includes('creation-defer-length'), extensions.join());
    const deferred = await fetch(`${t.url}/api/v1/uploads/`, {
      method: 'POST', headers: { ...teacher.auth, 'tus-resumable': '1.0.0', 'upload-defer-length': '1', 'upload-metadata': `filename ${Buffer.from('c.wav').toString('base64')}` },
    });
    assert.equal(deferred.status, 400);
    assert.equal(((await deferred.json()) as any).errors[0].code, 'length_required');
  });
});
