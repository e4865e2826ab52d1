// Documents: uploaded by editors as the request body, judged on their bytes,
// capped in size, stored outside the media prefixes, downloaded only through
// signed URLs naming one document; private ones listed, signed and served
// for editors only.
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { signMediaToken } from '../delivery/media-tokens.ts';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d2b1a80000000049454e44ae426082', 'hex');
const HTML = Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);

/** A one-entry zip (as OOXML and OpenDocument files are). */
function zip(name: string, content: string): Buffer {
  const data = deflateRawSync(Buffer.from(content));
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(content.length, 22); local.writeUInt16LE(n.length, 26);
  return Buffer.concat([local, n, data]);
}

describe('documents', () => {
  let t: TestApp;
  let owner: TestUser, coowner: TestUser, stranger: TestUser, manager: TestUser;
  let video: { id: number; slug: string };

  before(async () => {
    t = await startTestApp({ env: { DOCUMENT_MAX_BYTES: '65536' } });
    owner = await createUser(t, 'owner', { is_staff: true });
    coowner = await createUser(t, 'coowner');
    stranger = await createUser(t, 'stranger');
    manager = await createUser(t, 'manager', { is_manager: true });
    video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Cours', is_draft: false, additional_owners: ['coowner'] } })).body.data;
    await markEncoded(t, video.id);
  });
  after(() => t.close());

  const upload = (who: TestUser | null, query: string, body: Uint8Array | string, type = 'application/octet-stream') =>
    t.request('POST', `/api/v1/videos/${video.slug}/documents?${query}`, { headers: { ...(who?.auth ?? {}), 'content-type': type }, body });

  it('accepts what the bytes prove (PDF, PNG, OOXML, text) and serves it as an attachment through a signed URL', async () => {
    const pdf = await upload(owner, 'filename=Diapos%20cours%201.pdf&title=Diapositives', PDF, 'application/pdf');
    assert.equal(pdf.status, 201, pdf.text);
    assert.deepEqual({ ...pdf.body.data, id: 0, url: '', url_expires_at: '', created_at: '' },
      { id: 0, title: 'Diapositives', filename: 'Diapos cours 1.pdf', content_type: 'application/pdf', size: PDF.length, is_private: false, url: '', url_expires_at: '', created_at: '' });
    const got = await fetch(pdf.body.data.url);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), PDF);
    assert.equal(got.headers.get('content-type'), 'application/pdf');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.match(got.headers.get('content-disposition')!, /^attachment; filename="Diapos cours 1.pdf"; filename\*=UTF-8''Diapos%20cours%201.pdf$/);
    assert.equal((await upload(coowner, 'filename=schema.png', PNG, 'image/png')).status, 201);
    const docx = await upload(manager, 'filename=exercice.docx', zip('[Content_Types].xml', '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'));
    assert.equal(docx.status, 201, docx.text);
    assert.equal(docx.body.data.content_type, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const txt = await upload(owner, 'filename=lisez-moi.txt', 'Énoncé du TP', 'text/plain');
    assert.equal(txt.body.data.content_type, 'text/plain; charset=utf-8');
    // Stored outside every prefix media tokens open.
    const keys = await t.app.dbh.db.selectFrom('video_documents').select('storage_key').execute();
    assert.ok(keys.every((k) => k.storage_key.startsWith(`documents/${video.id}/`)));
  });

  it('refuses what the bytes do not prove: HTML or an executable named .pdf, text named .png, unknown types, empty and oversized files', async () => {
    const cases: [string, Uint8Array | string, number, string][] = [
      ['filename=cours.pdf', HTML, 415, 'unsupported_media_type'],
      ['filename=cours.pdf', ELF, 415, 'unsupported_media_type'],
      ['filename=image.png', 'pas une image', 415, 'unsupported_media_type'],
      ['filename=notes.txt', PNG, 415, 'unsupported_media_type'],
      ['filename=notes.txt', Buffer.from([0xff, 0xfe, 0x00, 0x41]), 415, 'unsupported_media_type'],
      ['filename=page.html', HTML, 415, 'unsupported_media_type'],
      ['filename=image.svg', '<svg onload="alert(1)"/>', 415, 'unsupported_media_type'],
      ['filename=exercice.docx', PDF, 415, 'unsupported_media_type'],
      ['filename=cours.pdf', Buffer.alloc(0), 400, 'validation_error'],
      ['filename=gros.pdf', Buffer.concat([PDF, Buffer.alloc(70_000)]), 413, 'payload_too_large'],
      ['title=sans-nom', PDF, 400, 'validation_error'],
      ['filename=..%2F..%2Fetc%2Fpasswd.pdf', PDF, 400, 'validation_error'],
      ['filename=cours.pdf&is_private=perhaps', PDF, 400, 'validation_error'],
    ];
    for (const [query, body, status, code] of cases) {
      const res = await upload(owner, query, body);
      assert.deepEqual([res.status, res.body.errors?.[0].code], [status, code], query);
    }
  });

  it('private documents: listed, signed, in the config, for editors only; a URL names one document; tampered or expired URLs are refused', async () => {
    const secret = await upload(owner, 'filename=corrige.pdf&is_private=true', PDF);
    assert.equal(secret.status, 201);
    const names = async (who: TestUser | null) => ((await t.request('GET', `/api/v1/videos/${video.slug}/documents`, { headers: who?.auth ?? {} })).body.data as any[]).map((d) => d.filename);
    assert.ok(!(await names(null)).includes('corrige.pdf'));
    assert.ok(!(await names(stranger)).includes('corrige.pdf'));
    for (const editor of [owner, coowner, manager]) assert.ok((await names(editor)).includes('corrige.pdf'));
    const configOf = async (who: TestUser | null) => (await t.request('GET', `/api/v1/videos/${video.slug}/config`, { headers: who?.auth ?? {} })).body.data;
    assert.ok(!JSON.stringify(await configOf(stranger)).includes('corrige.pdf'));
    const editorConfig = await configOf(owner);
    assert.ok(editorConfig.documents.some((d: any) => d.filename === 'corrige.pdf'));
    assert.ok(editorConfig.access.expires_at, 'a configuration with signed document URLs says when they expire');

    const url = new URL(secret.body.data.url);
    const [, , , token] = url.pathname.split('/');
    const [id, expires, sig] = token!.split('.');
    const at = (tok: string) => fetch(`${url.origin}/media/d/${tok}/x.pdf`);
    assert.equal((await at(token!)).status, 200);
    const other = (await t.app.dbh.db.selectFrom('video_documents').select('id').where('id', '!=', Number(id)).executeTakeFirstOrThrow()).id;
    for (const forged of [`${other}.${expires}.${sig}`, `${id}.${Number(expires) + 300}.${sig}`, `${id}.${expires}.${'A'.repeat(22)}`, 'garbage']) {
      const res = await at(forged);
      assert.equal(res.status, 403, forged);
      assert.equal(((await res.json()) as any).errors[0].code, 'invalid_media_token');
    }
    // A media token of the video opens no document: its key is outside the media prefixes.
    const media = signMediaToken(t.app.keys.derive('media-url'), video.id, 600).token;
    const { storage_key } = await t.app.dbh.db.selectFrom('video_documents').select('storage_key').where('id', '=', Number(id)).executeTakeFirstOrThrow();
    const viaMedia = await fetch(`${url.origin}/media/t/${media}/${storage_key}`);
    assert.equal(viaMedia.status, 403);
    assert.equal(((await viaMedia.json()) as any).errors[0].code, 'media_path_forbidden');
    // Made public, then private again: it shows and hides at once.
    await t.request('PATCH', `/api/v1/videos/${video.slug}/documents/${secret.body.data.id}`, { headers: coowner.auth, json: { is_private: false, title: 'Corrigé' } });
    assert.ok((await names(stranger)).includes('corrige.pdf'));
    const rename = await t.request('PATCH', `/api/v1/videos/${video.slug}/documents/${secret.body.data.id}`, { headers: owner.auth, json: { filename: 'corrige.exe' } });
    assert.deepEqual([rename.status, rename.body.errors[0].code], [415, 'unsupported_media_type']);
  });

  it('ACL on writes: anonymous 401, other users 403, a password video locks its documents', async () => {
    assert.equal((await upload(null, 'filename=x.pdf', PDF)).status, 401);
    const res = await upload(stranger, 'filename=x.pdf', PDF);
    assert.deepEqual([res.status, res.body.errors[0].code], [403, 'forbidden']);
    const doc = (await t.request('GET', `/api/v1/videos/${video.slug}/documents`, { headers: owner.auth })).body.data[0];
    assert.equal((await t.request('DELETE', `/api/v1/videos/${video.slug}/documents/${doc.id}`, { headers: stranger.auth })).status, 403);
    assert.equal((await t.request('PATCH', `/api/v1/videos/${video.slug}/documents/${doc.id}`, { headers: stranger.auth, json: { title: 'x' } })).status, 403);
    await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: owner.auth, json: { password: 'sesame' } });
    const locked = await t.request('GET', `/api/v1/videos/${video.slug}/documents`, { headers: stranger.auth });
    assert.deepEqual([locked.status, locked.body.errors[0].code], [403, 'password_required']);
    const unlock = await t.request('POST', `/api/v1/videos/${video.slug}/unlock`, { headers: stranger.auth, json: { password: 'sesame' } });
    const open = await t.request('GET', `/api/v1/videos/${video.slug}/documents`, { headers: { ...stranger.auth, 'x-video-token': unlock.body.data.token } });
    assert.equal(open.status, 200);
    await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: owner.auth, json: { password: null } });
    // Deleted: its file goes, its URL dies.
    assert.equal((await t.request('DELETE', `/api/v1/videos/${video.slug}/documents/${doc.id}`, { headers: coowner.auth })).status, 200);
    assert.equal((await fetch(doc.url)).status, 404);
    assert.equal((await t.request('DELETE', `/api/v1/videos/${video.slug}/documents/${doc.id}`, { headers: coowner.auth })).status, 404);
  });
});
