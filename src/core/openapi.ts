// OpenAPI 3.1 generated from the route schemas, served at
// /api/v1/openapi.json, with a browsable Swagger UI at /api/docs.
import { existsSync, readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { RouteContract, RouteDocs } from './api-contract.ts';
import type { Config } from './config.ts';
import type { DocumentedError } from './error-codes.ts';
import { refineDocument, type Examples } from './openapi-document.ts';

declare module 'fastify' {
  interface FastifySchema extends RouteDocs {
    /** Error codes the operation answers beyond the conventional ones (core/api-contract.ts). */
    errors?: readonly DocumentedError[];
  }
}

/** Examples taken from real answers (npm run openapi:examples), shown in the document. */
const EXAMPLES_FILE = new URL('../../docs/openapi-examples.json', import.meta.url);

export const API_VERSION = '0.1.0';

export const TAGS = [
  { name: 'ops', description: 'Liveness, readiness and API documentation' },
  { name: 'auth', description: 'Tokens (JWT) for detached clients, cookie sessions with CSRF for browsers, OpenID Connect' },
  { name: 'users', description: 'Accounts and profiles' },
  { name: 'groups', description: 'Access groups (restrict videos to their members)' },
  { name: 'videos', description: 'Videos: list, search, detail, edit; private links and password unlock' },
  { name: 'channels', description: 'Channels and their themes' },
  { name: 'taxonomy', description: 'Types, disciplines and tags' },
  { name: 'uploads', description: 'Resumable uploads (tus 1.0): any tus client works' },
  { name: 'encoding', description: 'Encoding state: encoder callbacks (signed) and the live status stream' },
  { name: 'delivery', description: 'Player configuration, subtitle tracks, chapters, oEmbed' },
  { name: 'media', description: 'Media files: signed (private videos) or public URLs handed out by the player configuration' },
  { name: 'playlists', description: 'Playlists (public, password-protected, private) and their ordered videos; each user\'s favorites' },
  { name: 'views', description: 'View counting, resume positions ("continue watching")' },
  { name: 'enrichments', description: 'What enriches a video for its viewers: documents, contributors, overlays, timed links (all in the player configuration)' },
  { name: 'comments', description: 'Threaded comments under a video, votes, moderation by its editors' },
  { name: 'notes', description: 'Each viewer\'s timestamped notes on a video, private or shared with its viewers' },
  { name: 'platform', description: 'What a frontend builds its pages from: platform facts, forms\' choices, sign-in methods' },
  { name: 'audit', description: 'The audit trail (superusers): who changed what, from where' },
  { name: 'retention', description: 'Retention of videos (Pod\'s obsolescence): the dates, the warnings, the archive or deletion sweep' },
  { name: 'statistics', description: 'Views per day and totals for editors (videos, channels, owners) and managers (platform); CSV export' },
];

type Security = { [scheme: string]: string[] }[];
/** Security requirement of routes that need a signed-in caller (bearer token or session cookie; CSRF added for unsafe methods). */
export const AUTHENTICATED: Security = [{ bearerAuth: [] }, { cookieAuth: [] }];
/** Routes open to anonymous callers that say more to signed-in ones. */
export const OPTIONAL_AUTH: Security = [{}, { bearerAuth: [] }, { cookieAuth: [] }];
/** Routes open to anyone (their URL may itself be the capability: a signed token in the path). */
export const PUBLIC: Security = [];
/** Encoder routes: the token an encoder got when it registered. */
export const ENCODER: Security = [{ encoderToken: [] }];

export async function installOpenApi(app: FastifyInstance, config: Config) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'pod-api',
        version: API_VERSION,
        description:
          'API of the pod-api university video platform. Every answer uses one envelope: ' +
          '`{"status":"success","data":…,"meta"?:…}` or `{"status":"error","data":null,"errors":[{"code","message","field"?}]}`.',
        license: { name: 'LGPL-3.0-or-later', identifier: 'LGPL-3.0-or-later' },
      },
      servers: [{ url: config.PUBLIC_URL }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http', scheme: 'bearer', bearerFormat: 'JWT',
            description: 'Access token from POST /api/v1/auth/token (short-lived; renew with /auth/token/refresh)',
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only (open when it is not set)' },
          csrfToken: {
            type: 'apiKey', in: 'header', name: 'X-CSRF-Token',
            description: 'With the session cookie, unsafe methods (POST, PUT, PATCH, DELETE) need the CSRF token of that session: '
              + 'returned by POST /api/v1/auth/session and GET /api/v1/auth/csrf. Bearer calls do not need it.',
          },
          videoToken: {
            type: 'apiKey', in: 'header', name: 'X-Video-Token',
            description: 'A private-link token (POST /videos/{ref}/access-tokens) or an unlock token (POST /videos/{ref}/unlock): '
              + 'opens one video to whoever holds it. Also accepted as the `token` query parameter.',
          },
          encoderToken: {
            type: 'apiKey', in: 'header', name: 'X-Encoder-Token',
            description: 'An encoder\'s own token, from POST /api/v1/encoders/register',
          },
          webhookSignature: {
            type: 'apiKey', in: 'header', name: 'webhook-signature',
            description: 'Standard Webhooks: `webhook-id`, `webhook-timestamp` (unix seconds, ±5 min) and `webhook-signature` '
              + '(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with ENCODER_CALLBACK_SECRET)',
          },
          runnerManagerToken: {
            type: 'http', scheme: 'bearer',
            description: 'The token of the Esup-Runner Runner Manager the task was handed to (RUNNER_MANAGERS)',
          },
          cliToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Made by `npm run create-superuser` from SECRET_KEY, for POST /api/v1/internal/superusers only' },
          cookieAuth: {
            type: 'apiKey', in: 'cookie', name: 'pod_session',
            description: 'Browser session from POST /api/v1/auth/session. Unsafe methods also need the X-CSRF-Token header.',
          },
        },
      },
    },
    // Shared schemas (app.addSchema with $id) become #/components/schemas/<$id>.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => refineDocument((document as { openapiObject: Record<string, unknown> }).openapiObject, contracts(app), examples()),
  });

  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // The UI loads its sibling /api/docs/json: the same generated document as /api/v1/openapi.json.
    uiConfig: { deepLinking: true },
    staticCSP: false,
  });

  app.get('/api/v1/openapi.json', {
    schema: {
      operationId: 'getOpenApiDocument', tags: ['ops'], summary: 'This OpenAPI 3.1 document', security: PUBLIC,
      description: 'Generated from the route schemas. `/api/v1` changes only by addition; the committed copy is docs/openapi.json.',
      response: { 200: Type.Object({}, { additionalProperties: true, description: 'An OpenAPI 3.1 document' }) },
    },
  }, async () => app.swagger());
}

function contracts(app: FastifyInstance): Iterable<RouteContract> {
  return app.routeContracts.values();
}

function examples(): Examples {
  return existsSync(EXAMPLES_FILE) ? (JSON.parse(readFileSync(EXAMPLES_FILE, 'utf8')) as Examples) : {};
}
