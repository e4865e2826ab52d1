// A video's access facts by reference (id or slug), from the read cache:
// the hot per-video paths (view registration, resume positions, comments,
// notes, documents and the other enrichments) ask the policy without
// loading the whole video JSON. Dropped with every catalog
// change, like the answers (core/read-cache.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/plugin.ts';
import type { Principal } from '../auth/principal.ts';
import { forbidden, notFound } from '../core/errors.ts';
import { sql } from 'kysely';
import { ReadCache } from '../core/read-cache.ts';
import { canEdit, canSee, canWatch, type AccessGrants, type VideoFacts } from '../policy/video-policy.ts';
import { passwordRequired, requestVideoToken, resolveGrants } from './access.ts';

export interface VideoFactsEntry {
  id: number; duration: number; facts: VideoFacts;
  /** The switches of what viewers add to it (comments, public notes). */
  disable_comment: boolean; disable_public_notes: boolean;
}

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
    const rows = await sql<{ id: number; duration: number; owner_id: number; additional: number[]; groups: number[]; is_draft: boolean; is_restricted: boolean; has_password: boolean; ready: boolean; exact: boolean; disable_comment: boolean; disable_public_notes: boolean }>`
      select v.id::int, v.duration, v.owner_id::int, v.is_draft, v.is_restricted, v.password_hash is not null as has_password, v.ready_at is not null as ready,
        v.disable_comment, v.disable_public_notes,
        array(select ao.user_id::int from video_additional_owners ao where ao.video_id = v.id) as additional,
        array(select vg.group_id::int from video_groups vg where vg.video_id = v.id) as groups,
        ${numeric ? sql`true` : sql`v.slug = ${ref}`} as exact
      from videos v
      where v.deleted_at is null and ${numeric ? sql`v.id = ${Number(ref)}` : prefix ? sql`(v.slug = ${ref} or v.id = ${Number(prefix)})` : sql`v.slug = ${ref}`}
      order by exact desc limit 1`.execute(app.dbh.db);
    const r = rows.rows[0];
    if (!r) return undefined;
    return {
      id: Number(r.id), duration: r.duration, disable_comment: r.disable_comment, disable_public_notes: r.disable_public_notes,
      facts: {
        owner_id: Number(r.owner_id), additional_owner_ids: r.additional.map(Number), group_ids: r.groups.map(Number),
        is_draft: r.is_draft, is_restricted: r.is_restricted, has_password: r.has_password, ready: r.ready, deleted: false,
      },
    };
  };
  app.decorate('videoFacts', (ref: string) => cache.get(ref, () => load(ref)));
}

export interface WatchedVideo extends VideoFactsEntry { grants: AccessGrants; editor: boolean }

/** From the cached facts: 404 if the caller may not see the video; its grants (tokens are checked only when sent). */
export async function visibleFacts(app: FastifyInstance, request: FastifyRequest, ref: string): Promise<WatchedVideo> {
  const video = await app.videoFacts(ref);
  const grants = video && requestVideoToken(request) ? await resolveGrants(app, request, video.id) : {};
  if (!video || !canSee(request.principal, video.facts, grants)) throw notFound('No such video');
  return { ...video, grants, editor: canEdit(request.principal, video.facts) };
}

/**
 * A video the caller may play, for what hangs off it (comments, notes,
 * documents, contributors, overlays, links): 404 if they may not see it, 403
 * password_required until unlocked. The cached facts, not the detail's query:
 * the full row made these reads 3× slower (bench/comments.ts).
 */
export async function watchableFacts(app: FastifyInstance, request: FastifyRequest, ref: string): Promise<WatchedVideo> {
  const video = await visibleFacts(app, request, ref);
  if (!canWatch(request.principal, video.facts, video.grants)) throw passwordRequired();
  return video;
}

/** A video the caller may edit: 401 anonymous, 404 if they may not see it, 403 if they see it but may not edit. */
export async function editableFacts(app: FastifyInstance, request: FastifyRequest, ref: string): Promise<WatchedVideo & { viewer: Principal }> {
  const viewer = requireUser(request);
  const video = await visibleFacts(app, request, ref);
  if (!video.editor) throw forbidden('Only the owners of this video can change it');
  return { ...video, viewer };
}
