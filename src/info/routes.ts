// GET /api/v1/info: what a frontend needs to build its pages and forms
// without hard-coding this deployment: the platform's name and contact,
// upload limits, the choices of a video's form (licences, languages,
// cursus), the encoding backend, which features are on, the retention rule.
// Built once from the configuration: its ETag answers 304 to a client that
// has it (Pod V5's /api/info/conf and /api/videos/metadata/ in one).
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { listSetting } from '../core/config.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { API_VERSION, PUBLIC } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { DOCUMENT_TYPES } from '../documents/types.ts';
import { LICENCES } from '../videos/schemas.ts';
import { CURSUS, LANGUAGES, LICENCE_LABELS } from './catalog.ts';

const Labels = Type.Object({ fr: Type.String(), en: Type.String() });
const Choice = Type.Object({ code: Type.String(), labels: Labels });

export const PlatformInfo = model('PlatformInfo', Type.Object({
  platform: Type.Object({
    name: Type.String({ description: 'PLATFORM_NAME' }),
    contact_email: Type.Union([Type.String(), Type.Null()], { description: 'CONTACT_EMAIL' }),
    url: Type.String({ description: 'PUBLIC_URL: where this API answers' }),
    frontend_url: Type.Union([Type.String(), Type.Null()]),
    api_version: Type.String(),
    languages: Type.Array(Type.String(), { description: 'Languages of the platform\'s e-mails (a user\'s `language`)' }),
  }),
  uploads: Type.Object({
    protocol: Type.Literal('tus-1.0.0'),
    endpoint: Type.String(),
    max_bytes: Type.Integer(),
    quota_bytes: Type.Integer({ description: 'Per user, sources kept; 0: no quota' }),
    allowed_extensions: Type.Array(Type.String()),
    staff_only: Type.Boolean(),
    expiration_s: Type.Integer({ description: 'An unfinished upload is dropped after this long' }),
  }),
  documents: Type.Object({ max_bytes: Type.Integer(), allowed_extensions: Type.Array(Type.String()) }),
  subtitles: Type.Object({ formats: Type.Array(Type.String()) }),
  video_form: Type.Object({
    licences: Type.Array(Type.Object({ code: Type.Union(LICENCES.map((l) => Type.Literal(l))), labels: Labels, url: Type.String() })),
    languages: Type.Array(Choice, { description: 'main_lang choices offered first (any ISO 639 code is accepted)' }),
    cursus: Type.Array(Choice),
  }),
  encoding: Type.Object({
    backend: Type.Union([Type.Literal('pod'), Type.Literal('esup-runner')], { description: 'ENCODING_BACKEND' }),
    formats: Type.Array(Type.String(), { description: 'What players get: hls, dash (CMAF outputs), mp4' }),
  }),
  features: Type.Object({
    comments: Type.Boolean(), notes: Type.Boolean(), documents: Type.Boolean(), playlists: Type.Boolean(), favorites: Type.Boolean(),
    statistics: Type.Boolean(), private_links: Type.Boolean(), oembed: Type.Boolean(), live_events: Type.Boolean(),
    oidc: Type.Boolean(), local_auth: Type.Boolean(), email_notifications: Type.Boolean(), retention: Type.Boolean(),
    transcription: Type.Boolean({ description: 'Automatic subtitles: not available in this version' }),
  }),
  retention: Type.Object({
    action: Type.Union([Type.Literal('archive'), Type.Literal('delete'), Type.Literal('none')]),
    default_years: Type.Integer(),
    by_affiliation: Type.Record(Type.String(), Type.Integer()),
    max_years: Type.Integer({ description: 'How far ahead an editor may move date_delete' }),
    warn_days: Type.Integer(),
  }),
}));

export async function infoRoutes(app: FastifyInstance) {
  const c = app.config;
  const body = ok({
    platform: {
      name: c.PLATFORM_NAME, contact_email: c.CONTACT_EMAIL ?? null, url: c.PUBLIC_URL, frontend_url: c.FRONTEND_URL ?? null,
      api_version: API_VERSION, languages: ['fr', 'en'],
    },
    uploads: {
      protocol: 'tus-1.0.0' as const, endpoint: '/api/v1/uploads', max_bytes: c.UPLOAD_MAX_BYTES, quota_bytes: c.UPLOAD_QUOTA_BYTES,
      allowed_extensions: listSetting(c.UPLOAD_ALLOWED_EXTENSIONS), staff_only: c.UPLOAD_STAFF_ONLY, expiration_s: c.UPLOAD_EXPIRATION_S,
    },
    documents: { max_bytes: c.DOCUMENT_MAX_BYTES, allowed_extensions: Object.keys(DOCUMENT_TYPES) },
    subtitles: { formats: ['vtt', 'srt'] },
    video_form: {
      licences: LICENCES.map((code) => ({ code, labels: { fr: LICENCE_LABELS[code].fr, en: LICENCE_LABELS[code].en }, url: LICENCE_LABELS[code].url })),
      languages: LANGUAGES, cursus: CURSUS,
    },
    encoding: { backend: c.ENCODING_BACKEND, formats: c.ENCODING_BACKEND === 'pod' ? ['hls', 'dash', 'mp4'] : ['hls', 'mp4'] },
    features: {
      comments: c.COMMENTS_ENABLED, notes: true, documents: true, playlists: true, favorites: true, statistics: true, private_links: true,
      oembed: true, live_events: true, oidc: Boolean(c.OIDC_ISSUER && c.OIDC_CLIENT_ID && c.OIDC_CLIENT_SECRET),
      local_auth: c.LOCAL_AUTH_ENABLED, email_notifications: Boolean(c.SMTP_URL), retention: c.RETENTION_ACTION !== 'none', transcription: false,
    },
    retention: {
      action: c.RETENTION_ACTION, default_years: c.RETENTION_DEFAULT_YEARS,
      by_affiliation: Object.fromEntries(listSetting(c.RETENTION_AFFILIATION_YEARS).map((i) => [i.split(':')[0]!, Number(i.split(':')[1])])),
      max_years: c.RETENTION_MAX_YEARS, warn_days: c.RETENTION_WARN_DAYS,
    },
  });
  const json = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;

  app.get('/api/v1/info', {
    schema: {
      operationId: 'getPlatformInfo', tags: ['platform'], security: PUBLIC,
      summary: 'The platform as a frontend builds its forms from it: name, contact, upload limits, choices, features (public; ETag)',
      response: { 200: Envelope(PlatformInfo), 304: Type.String({ description: 'Not modified (If-None-Match)' }) },
      responseHeaders: { 200: ['ETag', 'Cache-Control'], 304: ['ETag', 'Cache-Control'] },
    },
  }, async (request, reply) => {
    reply.header('etag', etag).header('cache-control', 'public, max-age=300, must-revalidate');
    const match = request.headers['if-none-match'];
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return reply.code(304).send('');
    return reply.type('application/json; charset=utf-8').send(json);
  });
}
