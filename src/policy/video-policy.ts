// THE access-control policy for videos. Every read path (list, search,
// channel listing, detail, config, media, events, oEmbed) and every write
// asks this module; nothing else decides visibility. The JS predicates and
// the SQL filter encode the same rules and are tested against each other.
//
// Rules (Esup-Pod V4 §3.2 semantics, with its flaws fixed):
//  - editors (owner, additional owners, managers, superusers) see and watch
//    everything they edit, drafts included;
//  - a private link (revocable token) lets its holder see and watch the one
//    video, whatever its draft/restricted/groups/password settings;
//  - a deleted video is seen by nobody; a never-encoded video only by editors
//    (a video stays visible while it is re-encoded: V4 hid it);
//  - a draft is seen by editors only — even when also restricted (V4 let any
//    signed-in user in through that combination);
//  - access groups: only signed-in members see it (groups imply restricted);
//  - restricted: any signed-in user;
//  - public: everyone;
//  - a password does not hide a video (its title is listed, as in V4), it
//    locks watching: config and media need the password (an unlock token)
//    unless the viewer is an editor or holds a private link. The live events
//    stream only repeats the encoding state the detail already shows: canSee.
//  Staff (teachers) have no extra viewing rights; managers are Pod's global
//  `change_video` permission.
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Viewer } from '../auth/principal.ts';
import type { Database } from '../core/db/database.ts';

export interface VideoFacts {
  owner_id: number;
  additional_owner_ids: readonly number[];
  group_ids: readonly number[];
  is_draft: boolean;
  is_restricted: boolean;
  has_password: boolean;
  /** Has been encoded successfully at least once (ready_at is set). */
  ready: boolean;
  deleted: boolean;
}

export interface AccessGrants {
  /** The request carries a valid private-link token of this video. */
  privateLink?: boolean;
  /** The request carries a valid unlock token (the password was given). */
  unlocked?: boolean;
}

const isGlobalEditor = (viewer: Viewer) => Boolean(viewer && (viewer.is_superuser || viewer.is_manager));

/** Owner, additional owner, manager or superuser. */
export function canEdit(viewer: Viewer, v: VideoFacts): boolean {
  if (!viewer || v.deleted) return false;
  return isGlobalEditor(viewer) || v.owner_id === viewer.id || v.additional_owner_ids.includes(viewer.id);
}

/** Owner, manager or superuser: additional owners cannot delete (as in V4). */
export function canDelete(viewer: Viewer, v: VideoFacts): boolean {
  if (!viewer || v.deleted) return false;
  return isGlobalEditor(viewer) || v.owner_id === viewer.id;
}

/** May know the video exists: it appears in lists and its detail answers 200. */
export function canSee(viewer: Viewer, v: VideoFacts, grants: AccessGrants = {}): boolean {
  if (v.deleted) return false;
  if (canEdit(viewer, v) || grants.privateLink) return true;
  if (!v.ready || v.is_draft) return false;
  if (v.group_ids.length > 0) return Boolean(viewer && v.group_ids.some((g) => viewer.group_ids.includes(g)));
  if (v.is_restricted) return viewer !== null;
  return true;
}

/** May play it: player config and media files. */
export function canWatch(viewer: Viewer, v: VideoFacts, grants: AccessGrants = {}): boolean {
  if (!canSee(viewer, v, grants)) return false;
  if (canEdit(viewer, v) || grants.privateLink) return true;
  return !v.has_password || Boolean(grants.unlocked);
}

/**
 * May upload: a new video (v = null) needs a signed-in user (staff when the
 * deployment restricts uploads to staff); an existing video needs editing rights.
 */
export function canUpload(viewer: Viewer, v: VideoFacts | null, opts: { staffOnly: boolean } = { staffOnly: false }): boolean {
  if (!viewer) return false;
  if (opts.staffOnly && !(viewer.is_staff || isGlobalEditor(viewer))) return false;
  return v === null ? true : canEdit(viewer, v);
}

type VideoScope = ExpressionBuilder<Database & { v: Database['videos'] }, 'v'>;

/**
 * SQL for canSee without grants (private links never widen lists): the
 * filter of every listing. Use on a query over `videos as v`.
 */
export function listableVideos(viewer: Viewer) {
  return (eb: VideoScope): Expression<SqlBool> => {
    const notDeleted = eb('v.deleted_at', 'is', null);
    if (isGlobalEditor(viewer)) return notDeleted;
    // has_groups mirrors "has rows in video_groups" (kept by a trigger).
    const audience: Expression<SqlBool>[] = [
      eb.and([eb('v.has_groups', '=', false), viewer ? eb.lit(true) : eb('v.is_restricted', '=', false)]),
    ];
    if (viewer && viewer.group_ids.length > 0) {
      audience.push(eb.exists(eb.selectFrom('video_groups as vg').select(sql`1`.as('one'))
        .whereRef('vg.video_id', '=', 'v.id').where('vg.group_id', 'in', [...viewer.group_ids])));
    }
    const published = eb.and([eb('v.ready_at', 'is not', null), eb('v.is_draft', '=', false), eb.or(audience)]);
    if (!viewer) return eb.and([notDeleted, published]);
    const edits = eb.or([
      eb('v.owner_id', '=', viewer.id),
      eb.exists(eb.selectFrom('video_additional_owners as ao').select(sql`1`.as('one'))
        .whereRef('ao.video_id', '=', 'v.id').where('ao.user_id', '=', viewer.id)),
    ]);
    return eb.and([notDeleted, eb.or([edits, published])]);
  };
}
