// The ACL matrix through playlists: roles × playlist visibility (public,
// password, private) × items of every video kind (the video matrix's
// kinds). A playlist shows each of its videos exactly as the video policy
// shows it to that viewer in a listing (counts included), and its password
// opens the playlist, never a password video in it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';
import { expected, KIND_SETTINGS, KINDS, MATRIX_GROUP, type Kind, type Outcome, type Role } from './acl-matrix.ts';

const VISIBILITIES = ['public', 'password', 'private'] as const;
type Visibility = (typeof VISIBILITIES)[number];

/** Playlist roles, and what each is to the videos (a role of the video matrix). */
const ROLES = {
  'anonymous': { video: 'anonymous', edits: false },
  'other user': { video: 'stranger', edits: false },
  'playlist owner': { video: 'stranger', edits: true },
  'playlist editor': { video: 'group member', edits: true },
  'video owner': { video: 'owner', edits: false },
  'manager': { video: 'superuser', edits: true },
} as const satisfies Record<string, { video: Role; edits: boolean }>;
type PlaylistRole = keyof typeof ROLES;

describe('ACL matrix through playlists', () => {
  let t: TestApp;
  const headers = new Map<PlaylistRole, Record<string, string>>();
  const videos = new Map<Kind, number>();
  const playlists = new Map<Visibility, string>();

  before(async () => {
    t = await startTestApp();
    const users: Record<string, TestUser> = {
      'other user': await createUser(t, 'other'),
      'playlist owner': await createUser(t, 'plowner'),
      'playlist editor': await createUser(t, 'pleditor', { groups: [MATRIX_GROUP] }),
      'video owner': await createUser(t, 'vowner', { is_staff: true }),
      'manager': await createUser(t, 'root', { is_superuser: true }),
    };
    for (const role of Object.keys(ROLES) as PlaylistRole[]) headers.set(role, users[role]?.auth ?? {});
    for (const kind of KINDS) {
      const res = await t.request('POST', '/api/v1/videos', { headers: users['video owner']!.auth, json: { title: `Cours ${kind}`, ...KIND_SETTINGS[kind] } });
      assert.equal(res.status, 201, res.text);
      await markEncoded(t, res.body.data.id);
      videos.set(kind, res.body.data.id);
    }
    for (const visibility of VISIBILITIES) {
      const p = await t.request('POST', '/api/v1/playlists', {
        headers: users['playlist owner']!.auth,
        json: { title: `Liste ${visibility}`, visibility, editors: ['pleditor'], ...(visibility === 'password' ? { password: 'open sesame' } : {}) },
      });
      assert.equal(p.status, 201, p.text);
      playlists.set(visibility, p.body.data.slug);
      // A manager sees every video: every kind goes in.
      for (const kind of KINDS) {
        const add = await t.request('POST', `/api/v1/playlists/${p.body.data.slug}/videos`, { headers: users.manager!.auth, json: { video: String(videos.get(kind)) } });
        assert.equal(add.status, 201, add.text);
      }
    }
  });
  after(() => t.close());

  for (const role of Object.keys(ROLES) as PlaylistRole[]) {
    it(`role: ${role}`, async () => {
      const h = headers.get(role)!;
      const mismatches: string[] = [];
      for (const visibility of VISIBILITIES) {
        const slug = playlists.get(visibility)!;
        const detail = await t.request('GET', `/api/v1/playlists/${slug}`, { headers: h });
        const seen = visibility !== 'private' || ROLES[role].edits;
        if (detail.status !== (seen ? 200 : 404)) mismatches.push(`${visibility}: detail ${detail.status}`);
        let items = await t.request('GET', `/api/v1/playlists/${slug}/videos?limit=100`, { headers: h });
        if (!seen) {
          if (items.status !== 404) mismatches.push(`${visibility}: items ${items.status}, expected 404`);
          continue;
        }
        if (visibility === 'password' && !ROLES[role].edits) {
          if (items.status !== 403 || items.body.errors[0].code !== 'password_required') mismatches.push(`password: items before unlock ${items.status}`);
          if (detail.body.data.is_locked !== true) mismatches.push('password: is_locked before unlock');
          const unlock = await t.request('POST', `/api/v1/playlists/${slug}/unlock`, { headers: h, json: { password: 'open sesame' } });
          assert.equal(unlock.status, 200, unlock.text);
          items = await t.request('GET', `/api/v1/playlists/${slug}/videos?limit=100`, { headers: { ...h, 'x-playlist-token': unlock.body.data.token } });
        }
        assert.equal(items.status, 200, `${role} ${visibility}: ${items.text}`);
        let visible = 0;
        for (const kind of KINDS) {
          const want: Outcome = expected(ROLES[role].video, kind, 'list');
          const item = items.body.data.find((i: { video: { id: number } }) => i.video.id === videos.get(kind));
          const got: Outcome = !item ? 'hidden' : item.video.is_locked ? 'locked' : 'see';
          if (got !== want) mismatches.push(`${visibility} / ${kind}: expected ${want}, got ${got}`);
          if (want !== 'hidden') visible++;
        }
        if (items.body.meta.total !== visible) mismatches.push(`${visibility}: meta.total ${items.body.meta.total}, expected ${visible}`);
        if (detail.body.data.video_count !== visible) mismatches.push(`${visibility}: video_count ${detail.body.data.video_count}, expected ${visible}`);
      }
      assert.deepEqual(mismatches, []);
    });
  }

  it('a playlist\'s password (or its token) unlocks no password video in it', async () => {
    const slug = playlists.get('password')!;
    const unlock = await t.request('POST', `/api/v1/playlists/${slug}/unlock`, { json: { password: 'open sesame' } });
    const token = unlock.body.data.token;
    const video = videos.get('public+password')!;
    for (const h of [{ 'x-video-token': token }, { 'x-playlist-token': token }] as Record<string, string>[]) {
      const config = await t.request('GET', `/api/v1/videos/${video}/config`, { headers: h });
      assert.equal(config.status, 403);
      assert.equal(config.body.errors[0].code, 'password_required');
    }
    assert.equal((await t.request('GET', `/api/v1/videos/${video}/config?token=${token}`)).status, 403);
    // Nor does the video's own password open the playlist.
    const videoUnlock = await t.request('POST', `/api/v1/videos/${video}/unlock`, { json: { password: 'sesame' } });
    assert.equal((await t.request('GET', `/api/v1/playlists/${slug}/videos?token=${videoUnlock.body.data.token}`)).status, 403);
    const wrong = await t.request('POST', `/api/v1/playlists/${slug}/unlock`, { json: { password: 'sesame' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.errors[0].code, 'wrong_password');
    // Changing the password ends earlier unlocks.
    await t.request('PATCH', `/api/v1/playlists/${slug}`, { headers: headers.get('playlist owner')!, json: { password: 'new one' } });
    assert.equal((await t.request('GET', `/api/v1/playlists/${slug}/videos`, { headers: { 'x-playlist-token': token } })).status, 403);
  });

  it('an editor adds only videos they may see; a video\'s playlists follow both policies', async () => {
    const slug = playlists.get('public')!;
    const draft = videos.get('draft')!;
    const add = await t.request('POST', `/api/v1/playlists/${slug}/videos`, { headers: headers.get('playlist editor')!, json: { video: String(draft), position: 0 } });
    assert.equal(add.status, 404, 'a draft of someone else does not exist for this editor');
    const ofDraft = await t.request('GET', `/api/v1/videos/${draft}/playlists`, { headers: headers.get('playlist owner')! });
    assert.equal(ofDraft.status, 404, 'the playlist owner may not know the draft exists');
    const ofPublic = await t.request('GET', `/api/v1/videos/${videos.get('public')}/playlists`);
    assert.deepEqual(ofPublic.body.data.map((p: { slug: string }) => p.slug).sort(), [playlists.get('password'), playlists.get('public')].sort());
  });
});
