// Timed links (Pod's hyperlinks app): a label and an http(s) URL the player
// offers from a moment of the video.
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import Type from 'typebox';
import type { Database } from '../core/db/database.ts';
import { badRequest } from '../core/errors.ts';
import { model } from '../core/openapi-models.ts';
import { childRoutes, toMs, trimmed, withinDuration } from './child-routes.ts';
import { checkedUrl, WebUrl } from './urls.ts';

type Db = Kysely<Database> | Transaction<Database>;

const Seconds = Type.Number({ minimum: 0, maximum: 9_999_999, description: 'Seconds from the start (millisecond precision)' });
const Label = Type.String({ minLength: 1, maxLength: 200 });

export const TimedLink = model('TimedLink', Type.Object({ id: Type.Integer(), url: Type.String(), label: Type.String(), time_start: Type.Number() }));
const TimedLinkCreate = model('TimedLinkCreate', Type.Object({ url: WebUrl, label: Label, time_start: Seconds }, { additionalProperties: false }));
const TimedLinkPatch = model('TimedLinkPatch', Type.Object({
  url: Type.Optional(WebUrl), label: Type.Optional(Label), time_start: Type.Optional(Seconds),
}, { additionalProperties: false, minProperties: 1 }));

export type LinkJson = { id: number; url: string; label: string; time_start: number };

export async function linkRows(db: Db, videoId: number): Promise<LinkJson[]> {
  const rows = await db.selectFrom('video_links').select(['id', 'url', 'label', sql<number>`time_start::float8`.as('time_start')])
    .where('video_id', '=', videoId).orderBy('time_start').orderBy('id').execute();
  return rows.map((r) => ({ ...r, time_start: Number(r.time_start) }));
}

export const linkRoutes = childRoutes<LinkJson>({
  path: 'links', noun: 'timed link', table: 'video_links',
  ids: ['listTimedLinks', 'createTimedLink', 'updateTimedLink', 'deleteTimedLink'],
  model: TimedLink, create: TimedLinkCreate, patch: TimedLinkPatch,
  errors: ['invalid_url', 'time_beyond_duration'],
  values: (video, input) => {
    const start = toMs(Number(input.time_start));
    if (!withinDuration(video, start)) throw badRequest(`The link must appear before the end of the video (${video.duration} s)`, 'time_start', 'time_beyond_duration');
    return { url: checkedUrl(String(input.url), 'url'), label: trimmed(input.label, 'label'), time_start: start };
  },
  json: (l) => l,
  rows: linkRows,
});
