// GET /api/v1/auth/config: which sign-in methods are on, so a frontend
// builds its login page without hard-coding anything (Pod V5's
// /api/auth/config/, with its use_* flags kept for Pod's frontend).
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { PUBLIC } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';

const Method = Type.Object({
  id: Type.Union([Type.Literal('local'), Type.Literal('oidc')]),
  display_name: Type.String(),
  kind: Type.Union([Type.Literal('password'), Type.Literal('redirect')], {
    description: 'password: POST username and password to token_url (JSON clients) or session_url (browsers); redirect: send the browser to login_url',
  }),
  token_url: Type.Optional(Type.String()),
  session_url: Type.Optional(Type.String()),
  login_url: Type.Optional(Type.String({ description: 'Append ?next=<frontend URL> to come back there signed in' })),
  superusers_only: Type.Optional(Type.Boolean({ description: 'Local passwords are off for everyone but superusers (LOCAL_AUTH_ENABLED=false)' })),
});

export const AuthConfig = model('AuthConfig', Type.Object({
  use_local: Type.Boolean({ description: 'Pod V5 name: local passwords open every account' }),
  use_oidc: Type.Boolean(),
  use_cas: Type.Boolean({ description: 'Always false: CAS is not built in (use an OIDC bridge)' }),
  use_shibboleth: Type.Boolean({ description: 'Always false: Shibboleth is not built in (use an OIDC bridge)' }),
  oidc_name: Type.Union([Type.String(), Type.Null()], { description: 'OIDC_DISPLAY_NAME: the label of the sign-in button' }),
  methods: Type.Array(Method, { description: 'In the order a login page should show them (the identity provider first)' }),
  refresh_url: Type.String(),
  logout_url: Type.String(),
  csrf_url: Type.String({ description: 'Cookie sessions: the CSRF token to send as X-CSRF-Token' }),
  me_url: Type.String(),
  access_token_ttl_s: Type.Integer(),
  session_ttl_s: Type.Integer(),
}));

export async function authDiscoveryRoute(app: FastifyInstance) {
  const c = app.config;
  const oidc = Boolean(c.OIDC_ISSUER && c.OIDC_CLIENT_ID && c.OIDC_CLIENT_SECRET);
  const answer = ok({
    use_local: c.LOCAL_AUTH_ENABLED, use_oidc: oidc, use_cas: false, use_shibboleth: false,
    oidc_name: oidc ? c.OIDC_DISPLAY_NAME : null,
    methods: [
      ...(oidc ? [{ id: 'oidc' as const, display_name: c.OIDC_DISPLAY_NAME, kind: 'redirect' as const, login_url: '/api/v1/auth/oidc/login' }] : []),
      {
        id: 'local' as const, display_name: 'Local account', kind: 'password' as const, token_url: '/api/v1/auth/token', session_url: '/api/v1/auth/session',
        ...(c.LOCAL_AUTH_ENABLED ? {} : { superusers_only: true }),
      },
    ],
    refresh_url: '/api/v1/auth/token/refresh', logout_url: '/api/v1/auth/logout', csrf_url: '/api/v1/auth/csrf', me_url: '/api/v1/users/me',
    access_token_ttl_s: c.ACCESS_TOKEN_TTL_S, session_ttl_s: c.SESSION_TTL_S,
  });
  app.get('/api/v1/auth/config', {
    schema: {
      operationId: 'getAuthConfig', tags: ['auth', 'platform'], summary: 'Sign-in methods for a login page (public)', security: PUBLIC,
      response: { 200: Envelope(AuthConfig) },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return answer;
  });
}
