// OpenAPI 3.1 generated from the route schemas, served at
// /api/v1/openapi.json, with a browsable Swagger UI at /api/docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';

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
];

/** Security requirement of routes that need a signed-in caller (bearer token or session cookie). */
export const AUTHENTICATED: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { cookieAuth: [] }];
/** Routes open to anonymous callers that say more to signed-in ones. */
export const OPTIONAL_AUTH: { [scheme: string]: string[] }[] = [{}, { bearerAuth: [] }, { cookieAuth: [] }];

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
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' },
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
  });

  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // The UI loads its sibling /api/docs/json: the same generated document as /api/v1/openapi.json.
    uiConfig: { deepLinking: true },
    staticCSP: false,
  });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
