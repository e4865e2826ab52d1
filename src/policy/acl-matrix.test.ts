// Every cell of the ACL matrix (roles × video kinds × read paths), asserted
// over HTTP against the running app: list, search, channel listing, detail.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';
import { expected, KIND_SETTINGS, KINDS, MATRIX_GROUP, markdownTable, PATHS, ROLES, type Kind, type Role } from './acl-matrix.ts';

const word = (k: Kind) => `zorglub${k.replace(/[^a-z]/g, '')}`;

describe('ACL matrix', () => {
  let t: TestApp;
  const headers = new Map<Role, Record<string, string>>();
  const videos = new Map<Kind, { slug: string; id: number; token: string }>();

  before(async () => {
    t = await startTestApp();
    const root = await createUser(t, 'root', { is_superuser: true });
    const owner = await createUser(t, 'owner', { is_staff: true });
    const addl = await createUser(t, 'coowner');
    const member = await createUser(t, 'member', { groups: [MATRIX_GROUP] });
    const stranger = await createUser(t, 'stranger');
    const staff = await createUser(t, 'teacher', { is_staff: true, affiliation: 'faculty' });
    const users: Partial<Record<Role, TestUser>> = {
      stranger, 'group member': member, owner, 'additional owner': addl, staff, superuser: root,
    };
    for (const role of ROLES) headers.set(role, users[role]?.auth ?? {});
    const channel = await t.request('POST', '/api/v1/channels', { headers: root.auth, json: { title: 'Matrix', owners: ['owner'] } });
    assert.equal(channel.status, 201, channel.text);

    for (const kind of KINDS) {
      const created = await t.request('POST', '/api/v1/videos', {
        headers: owner.auth,
        json: { title: `Cours ${word(kind)}`, additional_owners: ['coowner'], channels: ['matrix'], ...KIND_SETTINGS[kind] },
      });
      assert.equal(created.status, 201, created.text);
      const { id, slug } = created.body.data;
      // Fixture: the encoding pipeline is not under test here; mark it encoded.
      await markEncoded(t, id);
      const link = await t.request('POST', `/api/v1/videos/${slug}/access-tokens`, { headers: owner.auth, json: { name: 'matrix' } });
      assert.equal(link.status, 201, link.text);
      videos.set(kind, { id, slug, token: link.body.data.token });
    }
  });
  after(() => t.close());

  async function observe(role: Role, kind: Kind, path: (typeof PATHS)[number]): Promise<'see' | 'locked' | 'hidden'> {
    const v = videos.get(kind)!;
    const h = headers.get(role)!;
    const query = role === 'private-link holder' ? `?token=${v.token}` : '';
    if (path === 'player config' || path === 'media file') {
      const res = await t.request('GET', `/api/v1/videos/${v.slug}/config${query}`, { headers: h });
      if (res.status === 404 || res.status === 403) {
        assert.equal(res.body.errors[0].code, res.status === 404 ? 'not_found' : 'password_required');
        return res.status === 404 ? 'hidden' : 'locked';
      }
      assert.equal(res.status, 200, res.text);
      if (path === 'player config') return 'see';
      // The media URL works with no credentials at all (it is the credential).
      const master = await fetch(res.body.data.hls.master);
      assert.equal(master.status, 200, `${kind}: ${res.body.data.hls.master}`);
      assert.match(await master.text(), /^#EXTM3U/);
      return 'see';
    }
    if (path === 'detail') {
      const res = await t.request('GET', `/api/v1/videos/${v.slug}${query}`, { headers: h });
      if (res.status === 404) {
        assert.equal(res.body.errors[0].code, 'not_found');
        return 'hidden';
      }
      assert.equal(res.status, 200, res.text);
      return res.body.data.is_locked ? 'locked' : 'see';
    }
    const url = {
      'list': '/api/v1/videos?limit=100',
      'search': `/api/v1/videos?q=${word(kind)}`,
      'channel listing': '/api/v1/channels/matrix/videos?limit=100',
    }[path];
    const res = await t.request('GET', url, { headers: h });
    assert.equal(res.status, 200, res.text);
    const found = res.body.data.find((x: any) => x.id === v.id);
    return !found ? 'hidden' : found.is_locked ? 'locked' : 'see';
  }

  for (const role of ROLES) {
    it(`role: ${role}`, async () => {
      const mismatches: string[] = [];
      for (const kind of KINDS) {
        for (const path of PATHS) {
          const want = expected(role, kind, path);
          const got = await observe(role, kind, path);
          if (got !== want) mismatches.push(`${kind} / ${path}: expected ${want}, got ${got}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });
  }

  it('channel video counts follow the policy', async () => {
    for (const role of ['anonymous', 'stranger', 'group member', 'owner'] as Role[]) {
      const res = await t.request('GET', '/api/v1/channels/matrix', { headers: headers.get(role)! });
      const want = KINDS.filter((k) => expected(role, k, 'channel listing') !== 'hidden').length;
      assert.equal(res.body.data.video_count, want, role);
    }
  });

  it('a revoked private link stops working at once', async () => {
    const v = videos.get('draft')!;
    const owner = headers.get('owner')!;
    const list = await t.request('GET', `/api/v1/videos/${v.slug}/access-tokens`, { headers: owner });
    assert.equal(list.body.data.length, 1);
    assert.equal(list.body.data[0].token_hint, v.token.slice(-4));
    assert.equal('token' in list.body.data[0], false, 'the token is shown only at creation');
    assert.equal((await t.request('GET', `/api/v1/videos/${v.slug}?token=${v.token}`)).status, 200);
    const del = await t.request('DELETE', `/api/v1/videos/${v.slug}/access-tokens/${list.body.data[0].id}`, { headers: owner });
    assert.equal(del.status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${v.slug}?token=${v.token}`)).status, 404);
    // A link of one video opens no other video.
    const other = videos.get('restricted')!;
    assert.equal((await t.request('GET', `/api/v1/videos/${other.slug}?token=${videos.get('restricted+groups')!.token}`)).status, 404);
  });

  it('the password unlock gives a token that unlocks that video only', async () => {
    const v = videos.get('public+password')!;
    const wrong = await t.request('POST', `/api/v1/videos/${v.slug}/unlock`, { json: { password: 'nope' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.errors[0].code, 'wrong_password');
    const right = await t.request('POST', `/api/v1/videos/${v.slug}/unlock`, { json: { password: 'sesame' } });
    assert.equal(right.status, 200);
    const token = right.body.data.token;
    const detail = await t.request('GET', `/api/v1/videos/${v.slug}`, { headers: { 'x-video-token': token } });
    assert.equal(detail.body.data.is_locked, false);
    const rp = videos.get('restricted+password')!;
    const anonUnlock = await t.request('POST', `/api/v1/videos/${rp.slug}/unlock`, { json: { password: 'sesame' } });
    assert.equal(anonUnlock.status, 404, 'an anonymous caller may not even know a restricted video exists');
    const strangerOther = await t.request('GET', `/api/v1/videos/${rp.slug}?token=${token}`, { headers: headers.get('stranger')! });
    assert.equal(strangerOther.body.data.is_locked, true, 'an unlock token is bound to its video');
    const noPassword = await t.request('POST', `/api/v1/videos/${videos.get('public')!.slug}/unlock`, { json: { password: 'x' } });
    assert.equal(noPassword.status, 400);
    assert.equal(noPassword.body.errors[0].code, 'no_password');
  });

  it('the README prints this very matrix', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(markdownTable()), 'README.md is out of date: paste the output of `npm run acl-table`');
  });
});
