// Reading videos with everything their JSON shows, and turning rows into
// policy facts and API JSON.
import type { MediaUrlFactory } from '../delivery/media-urls.ts';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Viewer } from '../auth/principal.ts';
import type { Database } from '../core/db/database.ts';
import { canDelete, canEdit, canWatch, canSee, type AccessGrants, type VideoFacts } from '../policy/video-policy.ts';

type Db = Kysely<Database> | Transaction<Database>;

interface PersonJson { id: number; username: string; first_name: string; last_name: string }
interface RefJson { id: number; slug: string; title: string }

/**
 * Videos with everything their JSON shows. With a signed-in viewer, also
 * whether it is one of their favorites (`is_favorite`; null otherwise).
 */
export function selectVideos(db: Db, viewer: Viewer = null) {
  return db
    .selectFrom('videos as v')
    .innerJoin('users as o', 'o.id', 'v.owner_id')
    .innerJoin('video_view_counts as vc', 'vc.video_id', 'v.id')
    .select([
      sql<string | number>`vc.views`.as('views'), 'vc.comments as comment_count', 'v.disable_comment', 'v.disable_public_notes',
      (viewer
        ? sql<boolean | null>`exists (select 1 from playlist_items fi join playlists fp on fp.id = fi.playlist_id where fi.video_id = v.id and fp.owner_id = ${viewer.id} and fp.is_favorites)`
        : sql<boolean | null>`null::boolean`).as('is_favorite'),
      'v.id', 'v.slug', 'v.title', 'v.description', 'v.owner_id', 'v.date_added', 'v.date_evt', 'v.duration',
      'v.is_draft', 'v.is_restricted', 'v.allow_downloading', 'v.is_360', 'v.licence', 'v.main_lang', 'v.cursus',
      'v.thumbnail_url', 'v.encoding_status', 'v.encoding_progress', 'v.encoding_error_code', 'v.encoding_error_message',
      'v.ready_at', 'v.deleted_at', 'v.updated_at', 'v.encoding_updated_at', 'v.encoding_log', 'v.date_delete', 'v.archived_at',
      sql<boolean>`v.password_hash is not null`.as('has_password'),
      sql<PersonJson>`json_build_object('id', o.id, 'username', o.username, 'first_name', o.first_name, 'last_name', o.last_name)`.as('owner'),
      sql<RefJson | null>`(select json_build_object('id', t.id, 'slug', t.slug, 'title', t.title) from types t where t.id = v.type_id)`.as('type'),
      sql<PersonJson[]>`coalesce((select json_agg(json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name, 'last_name', u.last_name) order by u.username) from video_additional_owners ao join users u on u.id = ao.user_id where ao.video_id = v.id), '[]')`.as('additional_owners'),
      sql<{ id: number; code_name: string }[]>`coalesce((select json_agg(json_build_object('id', g.id, 'code_name', g.code_name) order by g.code_name) from video_groups vg join access_groups g on g.id = vg.group_id where vg.video_id = v.id), '[]')`.as('groups'),
      sql<RefJson[]>`coalesce((select json_agg(json_build_object('id', c.id, 'slug', c.slug, 'title', c.title) order by c.title) from video_channels vc join channels c on c.id = vc.channel_id where vc.video_id = v.id), '[]')`.as('channels'),
      sql<{ id: number; slug: string; title: string; channel: string }[]>`coalesce((select json_agg(json_build_object('id', th.id, 'slug', th.slug, 'title', th.title, 'channel', c.slug) order by th.title) from video_themes vt join themes th on th.id = vt.theme_id join channels c on c.id = th.channel_id where vt.video_id = v.id), '[]')`.as('themes'),
      sql<RefJson[]>`coalesce((select json_agg(json_build_object('id', d.id, 'slug', d.slug, 'title', d.title) order by d.title) from video_disciplines vd join disciplines d on d.id = vd.discipline_id where vd.video_id = v.id), '[]')`.as('disciplines'),
      sql<string[]>`coalesce((select array_agg(t.name order by t.name) from video_tags vt join tags t on t.id = vt.tag_id where vt.video_id = v.id), '{}')`.as('tags'),
    ]);
}

export type VideoRow = Awaited<ReturnType<ReturnType<typeof selectVideos>['executeTakeFirstOrThrow']>>;

export function factsOf(row: VideoRow): VideoFacts {
  return {
    owner_id: row.owner_id,
    additional_owner_ids: row.additional_owners.map((p) => p.id),
    group_ids: row.groups.map((g) => g.id),
    is_draft: row.is_draft,
    is_restricted: row.is_restricted,
    has_password: row.has_password,
    ready: row.ready_at !== null,
    deleted: row.deleted_at !== null,
  };
}

export function videoJson(row: VideoRow, viewer: Viewer, media: MediaUrlFactory, grants: AccessGrants = {}) {
  const facts = factsOf(row);
  const watchable = canWatch(viewer, facts, grants);
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    owner: row.owner,
    additional_owners: row.additional_owners,
    type: row.type,
    disciplines: row.disciplines,
    tags: row.tags,
    channels: row.channels,
    themes: row.themes,
    date_added: new Date(row.date_added).toISOString(),
    date_evt: row.date_evt,
    duration: row.duration,
    is_draft: row.is_draft,
    is_restricted: row.is_restricted,
    restrict_access_to_groups: row.groups.map((g) => g.code_name),
    has_password: row.has_password,
    is_locked: canSee(viewer, facts, grants) && !watchable,
    allow_downloading: row.allow_downloading,
    disable_comment: row.disable_comment,
    disable_public_notes: row.disable_public_notes,
    comment_count: row.comment_count,
    is_360: row.is_360,
    licence: row.licence as (typeof import('./schemas.ts').LICENCES)[number] | null,
    main_lang: row.main_lang,
    cursus: row.cursus,
    // The poster is media like the others: a public or signed URL, and only for who may watch.
    thumbnail: row.thumbnail_url && watchable ? media({ id: row.id, facts, version: row.encoding_updated_at }).url(row.thumbnail_url) : null,
    encoding: {
      status: row.encoding_status,
      progress: row.encoding_progress,
      error: row.encoding_error_code ? { code: row.encoding_error_code, message: row.encoding_error_message ?? '' } : null,
      ...(canEdit(viewer, facts) ? { log: row.encoding_log } : {}),
    },
    date_delete: row.date_delete,
    archived_at: row.archived_at ? new Date(row.archived_at).toISOString() : null,
    can_edit: canEdit(viewer, facts),
    can_delete: canDelete(viewer, facts),
    views: Number(row.views),
    ...(row.is_favorite === null ? {} : { is_favorite: row.is_favorite }),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/**
 * A video by id ("42"), slug ("0042-intro"), or a V4-style slug whose title
 * part changed ("0042-old-title" → id 42), deleted ones excluded.
 */
export async function videoByRef(db: Db, ref: string, viewer: Viewer = null): Promise<VideoRow | undefined> {
  const base = () => selectVideos(db, viewer).where('v.deleted_at', 'is', null);
  if (/^\d{1,15}$/.test(ref)) return base().where('v.id', '=', Number(ref)).executeTakeFirst();
  const exact = await base().where('v.slug', '=', ref).executeTakeFirst();
  if (exact) return exact;
  const id = /^(\d{1,15})-/.exec(ref)?.[1];
  return id ? base().where('v.id', '=', Number(id)).executeTakeFirst() : undefined;
}

export async function refreshSearchDocument(db: Db, videoId: number) {
  await sql`update videos set search_vector = video_search_document(id) where id = ${videoId}`.execute(db);
}
