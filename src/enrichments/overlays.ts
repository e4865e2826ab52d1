// Overlays (Pod's completion.Overlay): rich text shown over the player from
// time_start to time_end, at one of eight positions, with or without a
// background. The HTML is sanitised before it is stored (sanitize.ts).
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import Type from 'typebox';
import type { Database } from '../core/db/database.ts';
import { badRequest } from '../core/errors.ts';
import { model } from '../core/openapi-models.ts';
import { childRoutes, toMs, trimmed, withinDuration } from './child-routes.ts';
import { sanitizeOverlayHtml } from './sanitize.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const OVERLAY_POSITIONS = ['top-left', 'top', 'top-right', 'right', 'bottom-right', 'bottom', 'bottom-left', 'left'] as const;
const Position = Type.Enum([...OVERLAY_POSITIONS]);
const Seconds = Type.Number({ minimum: 0, maximum: 9_999_999, description: 'Seconds from the start (millisecond precision)' });
const Title = Type.String({ minLength: 1, maxLength: 100 });
const Content = Type.String({ minLength: 1, maxLength: 20_000, description: 'HTML; kept to an allow-list of formatting tags (scripts, event handlers, javascript: URLs, frames and CSS expressions are removed)' });

export const Overlay = model('Overlay', Type.Object({
  id: Type.Integer(), title: Type.String(), time_start: Type.Number(), time_end: Type.Number(),
  content: Type.String({ description: 'Sanitised HTML' }), position: Position, background: Type.Boolean(),
}));
const OverlayCreate = model('OverlayCreate', Type.Object({
  title: Title, time_start: Seconds, time_end: Seconds, content: Content,
  position: Type.Optional(Position), background: Type.Optional(Type.Boolean()),
}, { additionalProperties: false }));
const OverlayPatch = model('OverlayPatch', Type.Object({
  title: Type.Optional(Title), time_start: Type.Optional(Seconds), time_end: Type.Optional(Seconds), content: Type.Optional(Content),
  position: Type.Optional(Position), background: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 }));

export type OverlayJson = { id: number; title: string; time_start: number; time_end: number; content: string; position: (typeof OVERLAY_POSITIONS)[number]; background: boolean };

export async function overlayRows(db: Db, videoId: number): Promise<OverlayJson[]> {
  const rows = await db.selectFrom('video_overlays').select(['id', 'title', sql<number>`time_start::float8`.as('time_start'), sql<number>`time_end::float8`.as('time_end'), 'content', 'position', 'background'])
    .where('video_id', '=', videoId).orderBy('time_start').orderBy('id').execute();
  return rows.map((r) => ({ ...r, time_start: Number(r.time_start), time_end: Number(r.time_end), position: r.position as OverlayJson['position'] }));
}

export const overlayRoutes = childRoutes<OverlayJson>({
  path: 'overlays', noun: 'overlay', table: 'video_overlays',
  ids: ['listOverlays', 'createOverlay', 'updateOverlay', 'deleteOverlay'],
  model: Overlay, create: OverlayCreate, patch: OverlayPatch,
  errors: ['invalid_time_range', 'time_beyond_duration', 'empty_content'],
  values: (video, input) => {
    const start = toMs(Number(input.time_start)), end = toMs(Number(input.time_end));
    if (end <= start) throw badRequest('time_end must be after time_start', 'time_end', 'invalid_time_range');
    if (!withinDuration(video, end)) throw badRequest(`The overlay must end by the end of the video (${video.duration} s)`, 'time_end', 'time_beyond_duration');
    const content = sanitizeOverlayHtml(String(input.content));
    if (!content) throw badRequest('Nothing is left of the content once its unsafe HTML is removed', 'content', 'empty_content');
    return {
      title: trimmed(input.title, 'title'), time_start: start, time_end: end, content,
      position: input.position ?? 'bottom-right', background: input.background ?? true,
    };
  },
  json: (o) => o,
  rows: overlayRows,
});
