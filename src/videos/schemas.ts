// Video JSON and inputs, with Esup-Pod's field names.
import Type from 'typebox';
import { model } from '../core/openapi-models.ts';

const Ref = model('VideoRef', Type.Object({ id: Type.Integer(), slug: Type.String(), title: Type.String() }));
const Person = model('VideoPerson', Type.Object({ id: Type.Integer(), username: Type.String(), first_name: Type.String(), last_name: Type.String() }));

export const LICENCES = ['by', 'by-nd', 'by-nc-nd', 'by-nc', 'by-nc-sa', 'by-sa'] as const;
export const ENCODING_STATES = ['pending', 'queued', 'processing', 'ready', 'error'] as const;

export const Encoding = model('EncodingState', Type.Object({
  status: Type.Union(ENCODING_STATES.map((s) => Type.Literal(s)), { description: 'pending (no source) → queued → processing → ready | error' }),
  progress: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()], {
    description: 'Why it failed (status error), or why it still waits (status queued: e.g. no_runner_available)',
  }),
  log: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "The end of the encoder's log when it failed (Esup-Runner); editors only" })),
}));

export const Video = model('Video', Type.Object({
  id: Type.Integer(),
  slug: Type.String({ description: '"%04d-title", fixed at creation: links survive renames' }),
  title: Type.String(),
  description: Type.String(),
  owner: Person,
  additional_owners: Type.Array(Person),
  type: Type.Union([Ref, Type.Null()]),
  disciplines: Type.Array(Ref),
  tags: Type.Array(Type.String()),
  channels: Type.Array(Ref),
  themes: Type.Array(Type.Object({ id: Type.Integer(), slug: Type.String(), title: Type.String(), channel: Type.String() })),
  date_added: Type.String({ format: 'date-time' }),
  date_evt: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
  duration: Type.Integer({ description: 'Seconds' }),
  is_draft: Type.Boolean(),
  is_restricted: Type.Boolean(),
  restrict_access_to_groups: Type.Array(Type.String(), { description: 'Access group code names' }),
  has_password: Type.Boolean({ description: 'The password itself is write-only' }),
  is_locked: Type.Boolean({ description: 'A password protects playback and this caller has not unlocked it' }),
  allow_downloading: Type.Boolean(),
  disable_comment: Type.Boolean({ description: 'Comments are closed on this video (Pod\'s field)' }),
  disable_public_notes: Type.Boolean({ description: 'Viewers\' public notes are not shown on this video' }),
  comment_count: Type.Integer({ minimum: 0, description: 'Comments and replies, hidden ones excluded' }),
  is_360: Type.Boolean(),
  licence: Type.Union([Type.Union(LICENCES.map((l) => Type.Literal(l))), Type.Null()]),
  main_lang: Type.String(),
  cursus: Type.String(),
  thumbnail: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'Poster URL (public, or signed like the player config\'s media); null until encoded or when the caller may not watch (password)' }),
  encoding: Encoding,
  date_delete: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
    description: 'Retention: on this day the video is archived or deleted (RETENTION_ACTION); its owners are warned RETENTION_WARN_DAYS before. Null: kept indefinitely',
  }),
  archived_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Archived by retention (a draft since, files kept). Moving date_delete to a later day takes it out of the archive (is_draft stays as set)',
  }),
  can_edit: Type.Boolean(),
  can_delete: Type.Boolean(),
  views: Type.Integer({ minimum: 0, description: 'Views counted (one per viewer per VIEW_DEDUP_WINDOW_S, robots ignored); written every VIEW_FLUSH_INTERVAL_MS' }),
  is_favorite: Type.Optional(Type.Boolean({ description: 'One of the caller\'s favorites (signed-in callers only)' })),
  updated_at: Type.String({ format: 'date-time' }),
}));

const Slug = Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\w-]+$' });
const Username = Type.String({ minLength: 1, maxLength: 150 });

const fields = {
  title: Type.String({ minLength: 1, maxLength: 250 }),
  description: Type.String({ maxLength: 100_000 }),
  owner: Username,
  additional_owners: Type.Array(Username, { maxItems: 100, uniqueItems: true }),
  type: Type.Union([Slug, Type.Null()]),
  disciplines: Type.Array(Slug, { maxItems: 50, uniqueItems: true }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: '^[^,]+$' }), { maxItems: 100 }),
  channels: Type.Array(Slug, { maxItems: 50, uniqueItems: true }),
  themes: Type.Array(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }), { maxItems: 100, uniqueItems: true, description: 'Theme ids; each must belong to one of the video channels' }),
  date_evt: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
  is_draft: Type.Boolean(),
  is_restricted: Type.Boolean(),
  restrict_access_to_groups: Type.Array(Type.String({ minLength: 1, maxLength: 150 }), { maxItems: 100, uniqueItems: true }),
  password: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()], { description: 'Write-only; null removes it' }),
  allow_downloading: Type.Boolean(),
  disable_comment: Type.Boolean(),
  disable_public_notes: Type.Boolean(),
  is_360: Type.Boolean(),
  licence: Type.Union([Type.Union(LICENCES.map((l) => Type.Literal(l))), Type.Null()]),
  main_lang: Type.String({ pattern: '^[a-z]{2,3}$' }),
  cursus: Type.String({ maxLength: 1 }),
  date_delete: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
    description: 'After today, at most RETENTION_MAX_YEARS ahead (managers: any later day, or null for never). Default at creation: by the owner\'s affiliation',
  }),
};

type Fields = typeof fields;
const optional = <K extends keyof Fields>(keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, Type.Optional(fields[k])])) as { [P in K]: ReturnType<typeof Type.Optional<Fields[P]>> };
const ALL = Object.keys(fields) as (keyof Fields)[];

export const VideoCreate = model('VideoCreate', Type.Object({ title: fields.title, ...optional(ALL.filter((k) => k !== 'title')) }, { additionalProperties: false }));
export const VideoPatch = model('VideoPatch', Type.Object(optional(ALL), { additionalProperties: false }));
export type VideoWrite = import('typebox').Static<typeof VideoPatch>;

export const SORTS = ['-date_added', 'date_added', 'title', '-title', 'duration', '-duration', '-views', 'views', '-recent_views', 'relevance'] as const;
export const VideoListQuery = Type.Object({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search (French and English stemming, accents folded)' })),
  owner: Type.Optional(Username),
  channel: Type.Optional(Slug),
  theme: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 })),
  type: Type.Optional(Slug),
  discipline: Type.Optional(Slug),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  date_from: Type.Optional(Type.String({ format: 'date', description: 'date_added on or after' })),
  date_to: Type.Optional(Type.String({ format: 'date', description: 'date_added on or before' })),
  sort: Type.Optional(Type.Union(SORTS.map((s) => Type.Literal(s)), { description: 'Default: relevance with q, else -date_added. -recent_views: views of the last VIEWS_RECENT_DAYS days' })),
});

export const VideoRefParams = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: 300, pattern: '^[\\w-]+$', description: 'Video id or slug' }),
});

export const VideoAccessQuery = Type.Object({
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Private-link token or unlock token (also accepted as X-Video-Token)' })),
});
