// Statistics for the people who edit: a video's daily views and totals
// (its editors), a channel's (its owners), an owner's (themselves), the
// platform's (managers). JSON, or CSV with ?format=csv. Days are those of
// STATS_TIME_ZONE (Europe/Paris by default).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import Type, { type Static } from 'typebox';
import { requireUser } from '../auth/plugin.ts';
import type { Viewer } from '../auth/principal.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { forbidden, notFound } from '../core/errors.ts';
import { model } from '../core/openapi-models.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { canEdit } from '../policy/video-policy.ts';
import { factsOf } from '../videos/queries.ts';
import { visibleVideo } from '../videos/routes.ts';
import { VideoRefParams } from '../videos/schemas.ts';
import { dailySeries, dateRange, perVideo, platformFigures, totals, type DateRange } from './queries.ts';

const StatsQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date', description: 'First day (default: 29 days before `to`)' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'Last day, included (default: today in STATS_TIME_ZONE)' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: a spreadsheet-ready file (UTF-8, comma-separated, header row)' })),
});
const Day = model('StatisticsDay', Type.Object({ date: Type.String({ format: 'date' }), views: Type.Integer({ minimum: 0 }) }));
const Range = {
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date' }),
  time_zone: Type.String({ description: 'The days are those of this zone (STATS_TIME_ZONE)' }),
  views: Type.Integer({ minimum: 0, description: 'Views in the range' }),
  views_total: Type.Integer({ minimum: 0, description: 'Views since the start' }),
  favorites: Type.Integer({ minimum: 0, description: 'Users who keep it (them) among their favorites' }),
  peak: Type.Union([Day, Type.Null()], { description: 'The day with the most views in the range' }),
  series: Type.Array(Day, { description: 'Every day of the range, oldest first' }),
};
const VideoRow = model('StatisticsVideo', Type.Object({
  id: Type.Integer(), slug: Type.String(), title: Type.String(),
  views: Type.Integer({ minimum: 0 }), views_total: Type.Integer({ minimum: 0 }), favorites: Type.Integer({ minimum: 0 }),
}));
const VideoStatistics = model('VideoStatistics', Type.Object({ video_id: Type.Integer(), ...Range }));
const GroupStatistics = model('GroupStatistics', Type.Object({
  ...Range, videos: Type.Array(VideoRow, { description: 'Its videos, most viewed in the range first (at most 1,000)' }),
}));
const PlatformStatistics = model('PlatformStatistics', Type.Object({
  ...Range,
  videos: Type.Integer({ minimum: 0 }), hours: Type.Number({ minimum: 0, description: 'Total duration of the videos' }),
  storage_bytes: Type.Integer({ minimum: 0, description: 'Bytes of the uploaded sources (renditions not counted)' }),
  users: Type.Integer({ minimum: 0, description: 'Active accounts' }), playlists: Type.Integer({ minimum: 0 }),
}));
const CSV = { 'application/json': {}, 'text/csv': { description: 'with ?format=csv' } };

const isManager = (v: Viewer) => Boolean(v && (v.is_manager || v.is_superuser));
const peakOf = (series: { date: string; views: number }[]) => series.reduce<{ date: string; views: number } | null>((best, d) => (d.views > 0 && (!best || d.views > best.views) ? d : best), null);
/** A cell a spreadsheet would run as a formula is given as text. */
const safeCell = (v: unknown) => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

function sendCsv(reply: FastifyReply, name: string, range: DateRange, header: string[], rows: unknown[][]) {
  return reply.type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${range.from}-${range.to}.csv"`)
    .send(stringify([header, ...rows.map((r) => r.map(safeCell))]));
}

export async function statisticsRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const now = () => app.views.now();
  const tz = app.config.STATS_TIME_ZONE;

  async function group(reply: FastifyReply, name: string, q: Static<typeof StatsQuery>, videos: ReturnType<typeof sql>) {
    const range = dateRange(q, tz, now());
    const [series, list, all] = await Promise.all([dailySeries(db(), videos, range), perVideo(db(), videos, range), totals(db(), videos)]);
    if (q.format === 'csv') return sendCsv(reply, name, range, ['video_id', 'slug', 'title', 'views', 'views_total', 'favorites'], list.map((v) => [v.id, v.slug, v.title, v.views, v.views_total, v.favorites]));
    return ok({ ...range, time_zone: tz, views: series.reduce((n, d) => n + d.views, 0), ...all, peak: peakOf(series), series, videos: list });
  }

  app.get('/api/v1/videos/:ref/statistics', {
    schema: {
      operationId: 'getVideoStatistics', errors: ['not_found', 'forbidden', 'invalid_date_range'], tags: ['statistics'], security: AUTHENTICATED,
      summary: 'Views per day over a range, totals, favorites (the video\'s editors and managers); ?format=csv: one row per day',
      params: VideoRefParams, querystring: StatsQuery, response: { 200: Envelope(VideoStatistics) }, mediaTypes: { 200: CSV },
      responseHeaders: { 200: ['Content-Disposition'] },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const { row } = await visibleVideo(app, request, (request.params as Static<typeof VideoRefParams>).ref);
    if (!canEdit(viewer, factsOf(row))) throw forbidden('Only the editors of this video see its statistics');
    const q = request.query as Static<typeof StatsQuery>;
    const range = dateRange(q, tz, now());
    const only = sql`${Number(row.id)}::bigint`;
    const [series, all] = await Promise.all([dailySeries(db(), only, range), totals(db(), only)]);
    if (q.format === 'csv') return sendCsv(reply, `video-${row.id}`, range, ['date', 'views'], series.map((d) => [d.date, d.views]));
    return ok({ video_id: Number(row.id), ...range, time_zone: tz, views: series.reduce((n, d) => n + d.views, 0), ...all, peak: peakOf(series), series });
  });

  const ChannelParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\w-]+$' }) });
  app.get('/api/v1/channels/:slug/statistics', {
    schema: {
      operationId: 'getChannelStatistics', errors: ['not_found', 'forbidden', 'invalid_date_range'], tags: ['statistics'], security: AUTHENTICATED,
      summary: 'Views of a channel\'s videos per day and per video (its owners and managers); ?format=csv: one row per video',
      params: ChannelParams, querystring: StatsQuery, response: { 200: Envelope(GroupStatistics) }, mediaTypes: { 200: CSV },
      responseHeaders: { 200: ['Content-Disposition'] },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const { slug } = request.params as Static<typeof ChannelParams>;
    const channel = await db().selectFrom('channels as c').select(['c.id', 'c.visible',
      sql<boolean>`exists (select 1 from channel_owners co where co.channel_id = c.id and co.user_id = ${viewer.id})`.as('is_owner')])
      .where('c.slug', '=', slug).executeTakeFirst();
    if (!channel || (!channel.visible && !channel.is_owner && !isManager(viewer))) throw notFound('No such channel');
    if (!channel.is_owner && !isManager(viewer)) throw forbidden('Only the owners of this channel see its statistics');
    const videos = sql`select vc.video_id from video_channels vc join videos v on v.id = vc.video_id where vc.channel_id = ${channel.id} and v.deleted_at is null`;
    return group(reply, `channel-${slug}`, request.query as Static<typeof StatsQuery>, videos);
  });

  const UserParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });
  app.get('/api/v1/users/:id/statistics', {
    schema: {
      operationId: 'getOwnerStatistics', errors: ['not_found', 'forbidden', 'invalid_date_range'], tags: ['statistics'], security: AUTHENTICATED,
      summary: 'Views of the videos a user owns, per day and per video (that user and managers); ?format=csv: one row per video',
      params: UserParams, querystring: StatsQuery, response: { 200: Envelope(GroupStatistics) }, mediaTypes: { 200: CSV },
      responseHeaders: { 200: ['Content-Disposition'] },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    const { id } = request.params as Static<typeof UserParams>;
    if (id !== viewer.id && !isManager(viewer)) throw forbidden('Only this user and managers see these statistics');
    const user = await db().selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
    if (!user) throw notFound('No such user');
    const videos = sql`select v.id from videos v where v.owner_id = ${id} and v.deleted_at is null`;
    return group(reply, `owner-${id}`, request.query as Static<typeof StatsQuery>, videos);
  });

  app.get('/api/v1/statistics', {
    schema: {
      operationId: 'getPlatformStatistics', errors: ['forbidden', 'invalid_date_range'], tags: ['statistics'], security: AUTHENTICATED,
      summary: 'Platform totals (videos, hours, storage, users, views) and views per day (managers); ?format=csv: one row per day',
      querystring: StatsQuery, response: { 200: Envelope(PlatformStatistics) }, mediaTypes: { 200: CSV },
      responseHeaders: { 200: ['Content-Disposition'] },
    },
  }, async (request, reply) => {
    const viewer = requireUser(request);
    if (!isManager(viewer)) throw forbidden('Only managers see the platform\'s statistics');
    const q = request.query as Static<typeof StatsQuery>;
    const range = dateRange(q, tz, now());
    const [series, all, figures] = await Promise.all([dailySeries(db(), null, range), totals(db(), null), platformFigures(db())]);
    if (q.format === 'csv') return sendCsv(reply, 'platform', range, ['date', 'views'], series.map((d) => [d.date, d.views]));
    return ok({ ...range, time_zone: tz, views: series.reduce((n, d) => n + d.views, 0), ...all, peak: peakOf(series), series, ...figures });
  });
}
