// Statistics from the daily view series (video_views_daily, whose days are
// taken in STATS_TIME_ZONE when a view is counted) and the totals.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../core/db/database.ts';
import { AppError } from '../core/errors.ts';

export interface DateRange { from: string; to: string }

/** The longest range one request covers (a daily series of ten years). */
const MAX_DAYS = 3660;

/** Today's date in the time zone (YYYY-MM-DD). */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The requested range, by default the last 30 days (today included); 400 invalid_date_range when reversed or too long. */
export function dateRange(q: { from?: string; to?: string }, timeZone: string, now: Date): DateRange {
  const to = q.to ?? (q.from ? addDays(q.from, 29) : dayIn(timeZone, now));
  const from = q.from ?? addDays(to, -29);
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  if (days < 1) throw new AppError(400, 'invalid_date_range', '`from` is after `to`', { field: 'query.from' });
  if (days > MAX_DAYS) throw new AppError(400, 'invalid_date_range', `A range covers at most ${MAX_DAYS} days`, { field: 'query.to' });
  return { from, to };
}

/**
 * Views per day over the range for the videos `videos` selects (a subquery
 * of ids), every day present (zeros included), oldest first.
 */
export async function dailySeries(db: Kysely<Database>, videos: RawBuilder<unknown> | null, range: DateRange) {
  const rows = await sql<{ date: string; views: string | number }>`
    select d::date::text as date, coalesce(sum(vd.views), 0)::bigint as views
    from generate_series(${range.from}::date, ${range.to}::date, interval '1 day') d
    left join video_views_daily vd on vd.day = d::date ${videos ? sql`and vd.video_id in (${videos})` : sql``}
    group by d order by d`.execute(db);
  return rows.rows.map((r) => ({ date: r.date, views: Number(r.views) }));
}

/** Per video of the selection: views in the range, all-time views, favorites; most viewed first (at most `limit`). */
export async function perVideo(db: Kysely<Database>, videos: RawBuilder<unknown>, range: DateRange, limit = 1000) {
  const rows = await sql<{ id: number; slug: string; title: string; views: string | number; views_total: string | number; favorites: string | number }>`
    select v.id::int as id, v.slug, v.title,
      coalesce((select sum(vd.views) from video_views_daily vd where vd.video_id = v.id and vd.day between ${range.from}::date and ${range.to}::date), 0)::bigint as views,
      vc.views as views_total,
      (select count(*) from playlist_items pi join playlists p on p.id = pi.playlist_id where pi.video_id = v.id and p.is_favorites)::bigint as favorites
    from videos v join video_view_counts vc on vc.video_id = v.id
    where v.id in (${videos})
    order by 4 desc, 5 desc, v.id limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({ id: Number(r.id), slug: r.slug, title: r.title, views: Number(r.views), views_total: Number(r.views_total), favorites: Number(r.favorites) }));
}

/** All-time views and favorites of the selection. */
export async function totals(db: Kysely<Database>, videos: RawBuilder<unknown> | null) {
  const where = videos ? sql`where c.video_id in (${videos})` : sql`where exists (select 1 from videos v where v.id = c.video_id and v.deleted_at is null)`;
  const fav = videos ? sql`and pi.video_id in (${videos})` : sql``;
  const r = (await sql<{ views: string | number; favorites: string | number }>`
    select coalesce((select sum(c.views) from video_view_counts c ${where}), 0)::bigint as views,
      (select count(*) from playlist_items pi join playlists p on p.id = pi.playlist_id where p.is_favorites ${fav})::bigint as favorites`.execute(db)).rows[0]!;
  return { views_total: Number(r.views), favorites: Number(r.favorites) };
}

/** Platform figures for managers: videos, hours, stored source bytes, users. */
export async function platformFigures(db: Kysely<Database>) {
  const r = (await sql<{ videos: string | number; seconds: string | number; bytes: string | number; users: string | number; playlists: string | number }>`
    select (select count(*) from videos where deleted_at is null)::bigint as videos,
      (select coalesce(sum(duration), 0) from videos where deleted_at is null)::bigint as seconds,
      (select coalesce(sum(source_size), 0) from videos where deleted_at is null)::bigint as bytes,
      (select count(*) from users where is_active)::bigint as users,
      (select count(*) from playlists where not is_favorites)::bigint as playlists`.execute(db)).rows[0]!;
  return {
    videos: Number(r.videos), hours: Math.round(Number(r.seconds) / 36) / 100, storage_bytes: Number(r.bytes),
    users: Number(r.users), playlists: Number(r.playlists),
  };
}
