// The ACL matrix through a video's enrichments: roles (anonymous, other
// user, group member, owner, additional owner, manager) × every video kind
// of the video matrix (password ones included) × the six enrichments
// (comments, notes, documents, contributors, overlays, timed links). Reading
// follows the player configuration's cell of the video matrix — 'see': 200
// with the seeded data; 'locked': 403 password_required, then 200 with the
// unlock token; 'hidden': 404 — and writing: editors' enrichments only for
// editors (401 anonymous, 404 hidden, 403 otherwise), comments and notes for
// any signed-in viewer who may watch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { expected, KIND_SETTINGS, KINDS, MATRIX_GROUP, type Kind, type Role } from './acl-matrix.ts';

/** Roles here, and the column of the video matrix each one is. */
const ROLES = {
  'anonymous': 'anonymous', 'other user': 'stranger', 'group member': 'group member',
  'owner': 'owner', 'additional owner': 'additional owner', 'manager': 'superuser',
} as const satisfies Record<string, Role>;
type EnrichmentRole = keyof typeof ROLES;

/** Each enrichment: its path, a body to create one, and whether viewers (not only editors) write it. */
const ENRICHMENTS = {
  comments: { json: { content: 'Une question' }, viewersWrite: true },
  notes: { json: { note: 'À revoir', time_start: 1, is_public: true }, viewersWrite: true },
  contributors: { json: { name: 'Ada Lovelace', role: 'author' }, viewersWrite: false },
  overlays: { json: { title: 'Info', time_start: 0, time_end: 2, content: '<b>Info</b>' }, viewersWrite: false },
  links: { json: { url: 'https://univ.example/tp', label: 'TP', time_start: 1 }, viewersWrite: false },
  documents: { json: null, viewersWrite: false },
} as const;
type Enrichment = keyof typeof ENRICHMENTS;

describe('ACL matrix through enrichments', () => {
  let t: TestApp;
  const headers = new Map<EnrichmentRole, Record<string, string>>();
  const videos = new Map<Kind, string>();
  let n = 0;

  function create(what: Enrichment, slug: string, h: Record<string, string>) {
    if (what === 'documents') {
      return t.request('POST', `/api/v1/videos/${slug}/documents?filename=doc${n++}.txt`, { headers: { ...h, 'content-type': 'text/plain' }, body: 'Énoncé' });
    }
    // Contributors are unique per (name, role): each write names a new one.
    const json = what === 'contributors' ? { ...ENRICHMENTS.contributors.json, name: `Personne ${n++}` } : ENRICHMENTS[what].json;
    return t.request('POST', `/api/v1/videos/${slug}/${what}`, { headers: h, json });
  }

  before(async () => {
    t = await startTestApp();
    const users: Record<string, TestUser> = {
      'other user': await createUser(t, 'other'),
      'group member': await createUser(t, 'member', { groups: [MATRIX_GROUP] }),
      'owner': await createUser(t, 'owner', { is_staff: true }),
      'additional owner': await createUser(t, 'addl'),
      'manager': await createUser(t, 'manager', { is_manager: true }),
    };
    for (const role of Object.keys(ROLES) as EnrichmentRole[]) headers.set(role, users[role]?.auth ?? {});
    for (const kind of KINDS) {
      const res = await t.request('POST', '/api/v1/videos', { headers: users.owner!.auth, json: { title: `Cours ${kind}`, additional_owners: ['addl'], ...KIND_SETTINGS[kind] } });
      assert.equal(res.status, 201, res.text);
      await markEncoded(t, res.body.data.id); // 8 s
      videos.set(kind, res.body.data.slug);
      // One of each, by the owner, so that every readable list has something in it.
      for (const what of Object.keys(ENRICHMENTS) as Enrichment[]) {
        const made = await create(what, res.body.data.slug, users.owner!.auth);
        assert.equal(made.status, 201, `${kind} ${what}: ${made.text}`);
      }
    }
  });
  after(() => t.close());

  for (const role of Object.keys(ROLES) as EnrichmentRole[]) {
    it(`role: ${role}`, async () => {
      const h = headers.get(role)!;
      const mismatches: string[] = [];
      const editor = ['owner', 'additional owner', 'manager'].includes(role);
      for (const kind of KINDS) {
        const slug = videos.get(kind)!;
        const cell = expected(ROLES[role], kind, 'player config');
        let unlocked = h;
        if (cell === 'locked') {
          const unlock = await t.request('POST', `/api/v1/videos/${slug}/unlock`, { headers: h, json: { password: 'sesame' } });
          assert.equal(unlock.status, 200, unlock.text);
          unlocked = { ...h, 'x-video-token': unlock.body.data.token };
        }
        for (const what of Object.keys(ENRICHMENTS) as Enrichment[]) {
          const read = await t.request('GET', `/api/v1/videos/${slug}/${what}`, { headers: h });
          const want = cell === 'see' ? 200 : cell === 'locked' ? 403 : 404;
          if (read.status !== want) mismatches.push(`${kind} GET ${what}: ${read.status}, expected ${want}`);
          if (cell === 'locked') {
            if (read.body.errors?.[0].code !== 'password_required') mismatches.push(`${kind} GET ${what}: ${read.body.errors?.[0].code}`);
            const open = await t.request('GET', `/api/v1/videos/${slug}/${what}`, { headers: unlocked });
            if (open.status !== 200 || open.body.data.length === 0) mismatches.push(`${kind} GET ${what} unlocked: ${open.status}`);
          }
          if (cell === 'see' && read.body.data.length === 0) mismatches.push(`${kind} GET ${what}: empty`);

          const write = await create(what, slug, unlocked);
          const mayWrite = cell !== 'hidden' && (editor || (ENRICHMENTS[what].viewersWrite && role !== 'anonymous'));
          const wantWrite = mayWrite ? 201 : role === 'anonymous' ? 401 : cell === 'hidden' ? 404 : 403;
          if (write.status !== wantWrite) mismatches.push(`${kind} POST ${what}: ${write.status}, expected ${wantWrite}`);
        }
        // The player configuration carries the editors' enrichments under the same rule.
        const config = await t.request('GET', `/api/v1/videos/${slug}/config`, { headers: unlocked });
        if (cell !== 'hidden' && (config.status !== 200 || ['documents', 'contributors', 'overlays', 'links'].some((k) => config.body.data[k].length === 0))) {
          mismatches.push(`${kind} config: ${config.status}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });
  }
});
