// The one listing query behind /videos, /videos/me, search and channel
// listings: filters, full-text search, sorts, keyset pagination — always
// under the policy's SQL filter.
import type { MediaUrlFactory } from '../delivery/media-urls.ts';
import type { FastifyInstance } from 'fastify';
import { sql, type Expression, type SqlBool } from 'kysely';
import type Type from 'typebox';
import type { Viewer } from '../auth/principal.ts';
import { decodeCursor, pageOf } from '../core/pagination.ts';
import { listableVideos } from '../policy/video-policy.ts';
import { selectVideos, videoJson } from './queries.ts';
import type { SORTS, VideoListQuery } from './schemas.ts';

export type ListQuery = Type.Static<typeof VideoListQuery> & { limit?: number; cursor?: string };
type Sort = (typeof SORTS)[number];

const SORT_COLUMNS = {
  date_added: { column: 'v.date_added', kind: 'timestamp' },
  title: { column: 'v.title', kind: 'string' },
  duration: { column: 'v.duration', kind: 'int' },
  views: { column: 'vc.views', kind: 'count' },
  recent_views: { column: 'vc.recent_views', kind: 'count' },
} as const;

export async function listVideos(
  app: FastifyInstance,
  viewer: Viewer,
  q: ListQuery,
  media: MediaUrlFactory,
  scope: { channelId?: number; editableBy?: number } = {},
) {
  const db = app.dbh.db;
  const limit = q.limit ?? 20;
  const sort: Sort = q.sort ?? (q.q ? 'relevance' : '-date_added');
  const tsquery = q.q
    ? sql`(websearch_to_tsquery('simple', fold(${q.q})) || websearch_to_tsquery('french', fold(${q.q})) || websearch_to_tsquery('english', fold(${q.q})))`
    : undefined;
  const rank = tsquery ? sql<number>`ts_rank(v.search_vector, ${tsquery})::float8` : sql<number>`0::float8`;

  let query = selectVideos(db, viewer).select(rank.as('rank')).select('vc.recent_views').where(listableVideos(viewer));
  if (scope.editableBy !== undefined) {
    const me = scope.editableBy;
    query = query.where((eb) => eb.or([
      eb('v.owner_id', '=', me),
      eb.exists(eb.selectFrom('video_additional_owners as ao').select('ao.user_id').whereRef('ao.video_id', '=', 'v.id').where('ao.user_id', '=', me)),
    ]));
  }
  let channelId = scope.channelId;
  if (q.channel) {
    // Resolved once: each candidate row then costs one index probe, not a join.
    const c = await db.selectFrom('channels').select('id').where('slug', '=', q.channel).executeTakeFirst();
    if (!c) return { items: [], meta: { next_cursor: null, limit } };
    if (channelId !== undefined && channelId !== c.id) return { items: [], meta: { next_cursor: null, limit } };
    channelId = c.id;
  }
  if (channelId !== undefined) {
    const id = channelId;
    query = query.where((eb) => eb.exists(eb.selectFrom('video_channels as vc').select('vc.video_id').whereRef('vc.video_id', '=', 'v.id').where('vc.channel_id', '=', id)));
  }
  if (tsquery) query = query.where(sql<SqlBool>`v.search_vector @@ ${tsquery}`);
  if (q.owner) query = query.where(sql`lower(o.username)`, '=', q.owner.toLowerCase());
  if (q.theme !== undefined) {
    query = query.where((eb) => eb.exists(eb.selectFrom('video_themes as vt').select('vt.video_id').whereRef('vt.video_id', '=', 'v.id').where('vt.theme_id', '=', q.theme!)));
  }
  if (q.type) query = query.where((eb) => eb.exists(eb.selectFrom('types as t').select('t.id').whereRef('t.id', '=', 'v.type_id').where('t.slug', '=', q.type!)));
  if (q.discipline) {
    query = query.where((eb) => eb.exists(eb.selectFrom('video_disciplines as vd').innerJoin('disciplines as d', 'd.id', 'vd.discipline_id')
      .select('vd.video_id').whereRef('vd.video_id', '=', 'v.id').where('d.slug', '=', q.discipline!)));
  }
  if (q.tag) {
    query = query.where((eb) => eb.exists(eb.selectFrom('video_tags as vt').innerJoin('tags as t', 't.id', 'vt.tag_id')
      .select('vt.video_id').whereRef('vt.video_id', '=', 'v.id').where('t.name', '=', q.tag!.trim().toLowerCase())));
  }
  if (q.date_from) query = query.where('v.date_added', '>=', new Date(`${q.date_from}T00:00:00Z`));
  if (q.date_to) query = query.where('v.date_added', '<', new Date(new Date(`${q.date_to}T00:00:00Z`).getTime() + 86_400_000));

  // Keyset pagination on (sort key, id); direction from the sort's sign.
  const desc = sort.startsWith('-') || sort === 'relevance';
  const op = desc ? '<' : '>';
  const dir = desc ? 'desc' : 'asc';
  if (sort === 'relevance') {
    const after = decodeCursor(q.cursor, ['float', 'id']);
    if (after) query = query.where(sql<SqlBool>`(${rank}, v.id) < (${after[0]}::float8, ${after[1]}::bigint)`);
    query = query.orderBy(rank, 'desc').orderBy('v.id', 'desc');
  } else {
    const { column, kind } = SORT_COLUMNS[sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
    const after = decodeCursor(q.cursor, [kind, 'id']);
    if (after) {
      const key = column === 'v.date_added' ? new Date(after[0] as string) : after[0];
      query = query.where((eb) => eb(eb.refTuple(column, 'v.id'), op, eb.tuple(key as never, after[1] as number)) as Expression<SqlBool>);
    }
    query = query.orderBy(column, dir).orderBy('v.id', dir);
  }
  // A prepared statement per query shape: planning the listing (its per-row sub-selects) cost more than running it.
  const rows = await app.dbh.prepared(query.limit(limit + 1).compile());
  const page = pageOf(rows, limit, (r) => {
    if (sort === 'relevance') return [r.rank, r.id];
    const key = sort.replace(/^-/, '');
    const value = key === 'date_added' ? new Date(r.date_added).toISOString() : key === 'title' ? r.title
      : key === 'views' ? Number(r.views) : key === 'recent_views' ? Number(r.recent_views) : r.duration;
    return [value, r.id];
  });
  return { items: page.items.map((r) => videoJson(r, viewer, media)), meta: page.meta };
}
