// A video's access facts by reference (id or slug), from the read cache:
// the hot per-view paths (view registration, resume positions) ask the
// policy without loading the whole video JSON. Dropped with every catalog
// change, like the answers (core/read-cache.ts).
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { ReadCache } from '../core/read-cache.ts';
import type { VideoFacts } from '../policy/video-policy.ts';

export interface VideoFactsEntry { id: number; duration: number; facts: VideoFacts }

declare module 'fastify' {
  interface FastifyInstance {
    videoFacts: (ref: string) => Promise<VideoFactsEntry | undefined>;
  }
}

/** Decorates the app with `videoFacts` (made at start: every capability may ask it). */
export function installVideoFacts(app: FastifyInstance) {
  // Exact under changes like the answers; facts hold no signed URL that ages, so the TTL is only a
  // safety net (READ_CACHE_TTL_S made 10,000 videos miss every 30 s: a query each under view load).
  const cache = new ReadCache<VideoFactsEntry | undefined>(app.changes, 'catalog', {
    maxEntries: app.config.READ_CACHE_ENTRIES, ttlMs: app.config.READ_CACHE_TTL_S > 0 ? 600_000 : 0,
  });
  // Its own light query, with videoByRef's reference rules (id, slug, V4-style slug) and factsOf's
  // facts: loading through videoByRef (the detail's query) made the 10,000-video case of
  // bench/views.ts fall from 2,970 / 5,022 to 928 / 1,742 req/s (two rounds each, same machine).
  const load = async (ref: string): Promise<VideoFactsEntry | undefined> => {
    const numeric = /^\d{1,15}$/.test(ref);
    const prefix = /^(\d{1,15})-/.exec(ref)?.[1];
    const rows = await sql<{ id: number; duration: number; owner_id: number; additional: number[]; groups: number[]; is_draft: boolean; is_restricted: boolean; has_password: boolean; ready: boolean; exact: boolean }>`
      select v.id::int, v.duration, v.owner_id::int, v.is_draft, v.is_restricted, v.password_hash is not null as has_password, v.ready_at is not null as ready,
        array(select ao.user_id::int from video_additional_owners ao where ao.video_id = v.id) as additional,
        array(select vg.group_id::int from video_groups vg where vg.video_id = v.id) as groups,
        ${numeric ? sql`true` : sql`v.slug = ${ref}`} as exact
      from videos v
      where v.deleted_at is null and ${numeric ? sql`v.id = ${Number(ref)}` : prefix ? sql`(v.slug = ${ref} or v.id = ${Number(prefix)})` : sql`v.slug = ${ref}`}
      order by 10 desc limit 1`.execute(app.dbh.db);
    const r = rows.rows[0];
    if (!r) return undefined;
    return {
      id: Number(r.id), duration: r.duration,
      facts: {
        owner_id: Number(r.owner_id), additional_owner_ids: r.additional.map(Number), group_ids: r.groups.map(Number),
        is_draft: r.is_draft, is_restricted: r.is_restricted, has_password: r.has_password, ready: r.ready, deleted: false,
      },
    };
  };
  app.decorate('videoFacts', (ref: string) => cache.get(ref, () => load(ref)));
}
