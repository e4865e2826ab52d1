// The policy's SQL filter (used by every listing) and its JS predicates
// (used by detail and every per-video check) must agree. Random videos with
// random settings, random viewers, every pair compared, on the real engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal, Viewer } from '../auth/principal.ts';
import { openTestDatabase } from '../test-support/test-app.ts';
import { migrate } from '../core/db/migrate.ts';
import type { DatabaseHandle } from '../core/db/engine.ts';
import { canDelete, canEdit, canSee, canUpload, canWatch, listableVideos, type VideoFacts } from './video-policy.ts';

// Deterministic PRNG (mulberry32) so a failure is reproducible from its seed.
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.POLICY_SEED ?? 20261125);
const VIDEOS = 400;

describe('policy: SQL filter ≡ JS rules', () => {
  let db: { handle: DatabaseHandle; close(): Promise<void> };
  const facts = new Map<number, VideoFacts>();
  const userIds: number[] = [];
  const groupIds: number[] = [];
  const rand = rng(SEED);
  const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const some = <T,>(xs: T[], p: number) => xs.filter(() => rand() < p);

  before(async () => {
    db = await openTestDatabase();
    await migrate(db.handle);
    const k = db.handle.db;
    for (let i = 0; i < 6; i++) {
      userIds.push((await k.insertInto('users').values({ username: `u${i}` }).returning('id').executeTakeFirstOrThrow()).id);
    }
    for (let i = 0; i < 3; i++) {
      groupIds.push((await k.insertInto('access_groups').values({ code_name: `g${i}` }).returning('id').executeTakeFirstOrThrow()).id);
    }
    for (let i = 0; i < VIDEOS; i++) {
      const f: VideoFacts = {
        owner_id: pick(userIds),
        additional_owner_ids: [],
        group_ids: rand() < 0.3 ? some(groupIds, 0.5) : [],
        is_draft: rand() < 0.3,
        is_restricted: rand() < 0.4,
        has_password: rand() < 0.3,
        ready: rand() < 0.85,
        deleted: rand() < 0.1,
      };
      f.additional_owner_ids = some(userIds.filter((u) => u !== f.owner_id), 0.15);
      const row = await k.insertInto('videos').values({
        slug: `v${i}`, title: `v${i}`, owner_id: f.owner_id, is_draft: f.is_draft, is_restricted: f.is_restricted,
        password_hash: f.has_password ? 'x' : null, ready_at: f.ready ? new Date() : null, deleted_at: f.deleted ? new Date() : null,
      }).returning('id').executeTakeFirstOrThrow();
      for (const user_id of f.additional_owner_ids) await k.insertInto('video_additional_owners').values({ video_id: row.id, user_id }).execute();
      for (const group_id of f.group_ids) await k.insertInto('video_groups').values({ video_id: row.id, group_id }).execute();
      facts.set(row.id, f);
    }
  });
  after(() => db.close());

  function viewers(): Viewer[] {
    const list: Viewer[] = [null];
    for (const id of userIds) {
      for (let variant = 0; variant < 4; variant++) {
        const p: Principal = {
          id, username: `u${id}`, is_staff: rand() < 0.5, is_superuser: variant === 3, is_manager: variant === 2,
          affiliation: 'member', group_ids: some(groupIds, 0.4), session_id: 's', via: 'bearer',
        };
        list.push(p);
      }
    }
    return list;
  }

  it(`agrees on every (viewer, video) pair (seed ${SEED})`, async () => {
    let cases = 0;
    const disagreements: string[] = [];
    for (const viewer of viewers()) {
      const rows = await db.handle.db.selectFrom('videos as v').select('v.id').where(listableVideos(viewer)).execute();
      const sqlSees = new Set(rows.map((r) => r.id));
      for (const [id, f] of facts) {
        cases++;
        if (canSee(viewer, f) !== sqlSees.has(id)) {
          disagreements.push(`viewer ${JSON.stringify(viewer && { id: viewer.id, su: viewer.is_superuser, mgr: viewer.is_manager, groups: viewer.group_ids })} video ${JSON.stringify(f)}: js=${canSee(viewer, f)} sql=${sqlSees.has(id)}`);
        }
      }
    }
    assert.ok(cases >= 10_000, `${cases} cases`);
    assert.deepEqual(disagreements.slice(0, 5), []);
  });

  it('internal consistency: watch ⊆ see, delete ⊆ edit ⊆ see, grants only widen', () => {
    for (const viewer of viewers()) {
      for (const f of facts.values()) {
        if (canWatch(viewer, f)) assert.ok(canSee(viewer, f));
        if (canDelete(viewer, f)) assert.ok(canEdit(viewer, f));
        if (canEdit(viewer, f)) assert.ok(canSee(viewer, f) && canWatch(viewer, f));
        if (canSee(viewer, f)) assert.ok(canSee(viewer, f, { privateLink: true }));
        if (!f.deleted) assert.ok(canWatch(viewer, f, { privateLink: true }));
        else assert.equal(canSee(viewer, f, { privateLink: true }), false);
        if (canSee(viewer, f) && f.has_password) assert.ok(canWatch(viewer, f, { unlocked: true }));
        assert.equal(canUpload(viewer, f), canEdit(viewer, f));
      }
    }
    assert.equal(canUpload(null, null), false);
    const teacher = { id: 1, is_staff: true, is_superuser: false, is_manager: false } as Principal;
    const student = { id: 2, is_staff: false, is_superuser: false, is_manager: false } as Principal;
    assert.equal(canUpload(student, null, { staffOnly: true }), false);
    assert.equal(canUpload(teacher, null, { staffOnly: true }), true);
    assert.equal(canUpload(student, null, { staffOnly: false }), true);
  });
});
