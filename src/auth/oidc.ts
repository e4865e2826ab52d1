// OpenID Connect sign-in (authorization code + PKCE) through openid-client.
// University IdPs that speak CAS or SAML/Shibboleth are reached through an
// OIDC bridge (e.g. Keycloak, SATOSA, LemonLDAP::NG, the CAS server's own
// OIDC module): see the README.
//
// The first login creates the user; every login refreshes names, e-mail,
// affiliation → is_staff (Pod's AFFILIATION_STAFF rule) and auto-synced
// access groups from the groups claim, as Pod's SSO backends do.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import * as client from 'openid-client';
import Type, { type Static } from 'typebox';
import { listSetting, type Config } from '../core/config.ts';
import { safeRedirect } from '../core/redirects.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError } from '../core/errors.ts';
import { startCookieSession } from './routes.ts';
import { sessionCookieOptions } from './plugin.ts';

const FLOW_COOKIE = 'pod_oidc';
const CALLBACK_PATH = '/api/v1/auth/oidc/callback';

interface FlowState {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  affiliations: string[];
  groups: string[];
}

const LoginQuery = Type.Object({
  next: Type.Optional(Type.String({ maxLength: 2000, description: 'Where to send the browser after sign-in (same site or a configured frontend origin)' })),
});
const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  iss: Type.Optional(Type.String({ maxLength: 2000 })),
  error: Type.Optional(Type.String({ maxLength: 200 })),
  error_description: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: true });

export async function oidcRoutes(app: FastifyInstance) {
  const config = app.config;
  const enabled = Boolean(config.OIDC_ISSUER && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET);
  let discovered: Promise<client.Configuration> | undefined;
  const provider = () => {
    discovered ??= client.discovery(new URL(config.OIDC_ISSUER!), config.OIDC_CLIENT_ID!, config.OIDC_CLIENT_SECRET!, undefined, {
      execute: config.OIDC_ALLOW_HTTP ? [client.allowInsecureRequests] : [],
    }).catch((err: unknown) => {
      discovered = undefined; // retry discovery on the next attempt
      throw new AppError(503, 'sso_unavailable', 'The identity provider cannot be reached', { cause: err });
    });
    return discovered;
  };
  const redirectUri = `${config.PUBLIC_URL.replace(/\/$/, '')}${CALLBACK_PATH}`;
  const flowCookie = { ...sessionCookieOptions(config), sameSite: 'lax' as const, path: '/api/v1/auth/oidc', signed: true, maxAge: 600 };

  app.get('/api/v1/auth/oidc', {
    schema: {
      operationId: 'getOidcInfo', tags: ['auth'], summary: 'Is OpenID Connect sign-in available, and where it starts',
      response: { 200: Envelope(Type.Object({ enabled: Type.Boolean(), login_url: Type.Union([Type.String(), Type.Null()]), issuer: Type.Union([Type.String(), Type.Null()]) })) },
    },
  }, async () => ok({ enabled, login_url: enabled ? '/api/v1/auth/oidc/login' : null, issuer: enabled ? config.OIDC_ISSUER! : null }));

  app.get('/api/v1/auth/oidc/login', {
    schema: {
      operationId: 'startOidcLogin', errors: ['sso_disabled', 'unsafe_redirect', 'sso_unavailable'], tags: ['auth'], summary: 'Start SSO sign-in: redirects the browser to the identity provider (PKCE)',
      description: 'A browser is redirected (302). A client that asks for JSON (`Accept: application/json`, e.g. a mobile app opening the '
        + 'provider in a system browser) gets the same URL as `authorization_url` (200); the flow cookie is set either way.',
      querystring: LoginQuery,
      response: {
        200: Envelope(Type.Object({ authorization_url: Type.String({ format: 'uri', description: 'The identity provider\'s sign-in page' }) })),
        302: Type.Null({ description: 'Redirect to the identity provider (Location)' }),
      },
      responseHeaders: { 200: ['Set-Cookie'], 302: ['Location', 'Set-Cookie'] },
    },
    config: { rateLimit: { max: config.AUTH_RATE_LIMIT_MAX * 3, timeWindow: config.AUTH_RATE_LIMIT_WINDOW_MS } },
  }, async (request, reply) => {
    if (!enabled) throw new AppError(404, 'sso_disabled', 'OpenID Connect sign-in is not configured');
    const asked = (request.query as Static<typeof LoginQuery>).next;
    const next = asked ? safeRedirect(asked, config, 'query.next') : config.FRONTEND_URL ?? '/';
    const flow: FlowState = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), next };
    const url = client.buildAuthorizationUrl(await provider(), {
      redirect_uri: redirectUri,
      scope: config.OIDC_SCOPES,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
    });
    reply.setCookie(FLOW_COOKIE, JSON.stringify(flow), flowCookie);
    if (wantsJson(request)) return ok({ authorization_url: url.href });
    return reply.redirect(url.href, 302);
  });

  app.get(CALLBACK_PATH, {
    schema: {
      operationId: 'finishOidcLogin', errors: ['sso_disabled', 'sso_failed', 'sso_state_missing', 'sso_account_conflict', 'account_disabled', 'sso_unavailable'],
      tags: ['auth'], summary: 'SSO return point: creates or updates the user, opens a browser session, redirects',
      description: 'A browser is redirected (302) to `next`, signed in. A client that asks for JSON (`Accept: application/json`) gets '
        + '`next` (200) with the session cookie set.',
      querystring: CallbackQuery,
      response: {
        200: Envelope(Type.Object({ next: Type.String({ description: 'Where the browser would have been sent' }) })),
        302: Type.Null({ description: 'Redirect to the frontend (Location), signed in' }),
      },
      responseHeaders: { 200: ['Set-Cookie'], 302: ['Location', 'Set-Cookie'] },
    },
    config: { rateLimit: { max: config.AUTH_RATE_LIMIT_MAX * 3, timeWindow: config.AUTH_RATE_LIMIT_WINDOW_MS } },
  }, async (request, reply) => {
    if (!enabled) throw new AppError(404, 'sso_disabled', 'OpenID Connect sign-in is not configured');
    const query = request.query as Static<typeof CallbackQuery>;
    if (query.error) throw new AppError(401, 'sso_failed', `The identity provider refused the sign-in: ${query.error}`);
    const flow = readFlow(request);
    reply.clearCookie(FLOW_COOKIE, flowCookie);
    let tokens;
    try {
      const currentUrl = new URL(request.url, config.PUBLIC_URL);
      tokens = await client.authorizationCodeGrant(await provider(), currentUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      request.log.info({ err }, 'OIDC code exchange failed');
      throw new AppError(401, 'sso_failed', 'The sign-in response could not be verified; start again');
    }
    const idClaims = tokens.claims()!;
    let claims: Record<string, unknown> = { ...idClaims };
    try {
      claims = { ...(await client.fetchUserInfo(await provider(), tokens.access_token, idClaims.sub)), ...idClaims };
    } catch (err) {
      request.log.info({ err }, 'OIDC userinfo unavailable; using ID token claims only');
    }
    const userId = await upsertOidcUser(app, identityFromClaims(claims, config));
    await startCookieSession(app, request, reply, userId);
    if (wantsJson(request)) return ok({ next: flow.next });
    return reply.redirect(flow.next, 302);
  });

  function readFlow(request: FastifyRequest): FlowState {
    const raw = request.cookies[FLOW_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    if (!unsigned?.valid || !unsigned.value) {
      throw new AppError(400, 'sso_state_missing', 'No sign-in in progress in this browser (cookie missing or expired); start again');
    }
    return JSON.parse(unsigned.value) as FlowState;
  }
}

/** A client asking for JSON rather than a page (a browser's Accept names text/html). */
const wantsJson = (request: FastifyRequest) => {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
};

export function identityFromClaims(claims: Record<string, unknown>, config: Config): OidcIdentity {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? v.split(/[\s,]+/) : []);
  const username = str(claims.preferred_username) || str(claims.uid) || str(claims.sub);
  const affiliations = list(claims[config.OIDC_AFFILIATION_CLAIM]);
  return {
    issuer: str(claims.iss) || config.OIDC_ISSUER!,
    subject: str(claims.sub),
    username: username.slice(0, 150),
    email: str(claims.email).slice(0, 254),
    first_name: str(claims.given_name).slice(0, 150),
    last_name: str(claims.family_name).slice(0, 150),
    affiliations: affiliations.length ? affiliations : [config.OIDC_DEFAULT_AFFILIATION],
    groups: list(claims[config.OIDC_GROUPS_CLAIM]).filter((g) => /^[\w.@:-]{1,150}$/.test(g)),
  };
}

export async function upsertOidcUser(app: FastifyInstance, id: OidcIdentity): Promise<number> {
  if (!id.subject || !/^[\w.@+-]{1,150}$/.test(id.username)) {
    throw new AppError(401, 'sso_failed', 'The identity provider did not give a usable username');
  }
  const staffAffiliations = new Set(listSetting(app.config.AFFILIATION_STAFF));
  const profile = {
    email: id.email,
    first_name: id.first_name,
    last_name: id.last_name,
    affiliation: id.affiliations[0]!.slice(0, 50),
    is_staff: id.affiliations.some((a) => staffAffiliations.has(a)),
    auth_type: 'oidc' as const,
    oidc_issuer: id.issuer,
    oidc_subject: id.subject,
  };
  return app.dbh.db.transaction().execute(async (tx) => {
    let user = await tx.selectFrom('users').select(['id', 'is_active', 'is_superuser', 'oidc_subject'])
      .where('oidc_issuer', '=', id.issuer).where('oidc_subject', '=', id.subject).forUpdate().executeTakeFirst();
    // An account created before SSO (same username, never linked) is linked
    // on first SSO login, except superusers: those stay local-only.
    user ??= await tx.selectFrom('users').select(['id', 'is_active', 'is_superuser', 'oidc_subject'])
      .where(sql`lower(username)`, '=', id.username.toLowerCase()).where('oidc_subject', 'is', null).forUpdate().executeTakeFirst();
    if (user && user.is_superuser && !user.oidc_subject) {
      throw new AppError(409, 'sso_account_conflict', 'This username belongs to a local administrator account');
    }
    if (user && !user.is_active) throw new AppError(403, 'account_disabled', 'This account is disabled');
    let userId: number;
    if (user) {
      // A superuser keeps its staff flag whatever the affiliation says.
      await tx.updateTable('users').set({ ...profile, is_staff: profile.is_staff || user.is_superuser }).where('id', '=', user.id).execute();
      userId = user.id;
    } else {
      userId = (await tx.insertInto('users').values({ username: id.username, ...profile }).returning('id').executeTakeFirstOrThrow()).id;
    }
    // Auto-synced groups mirror the groups claim; manual groups are untouched.
    await tx.deleteFrom('access_group_members').where('user_id', '=', userId)
      .where('group_id', 'in', (eb) => eb.selectFrom('access_groups').select('id').where('auto_sync', '=', true)).execute();
    for (const code of id.groups) {
      const g = await tx.insertInto('access_groups').values({ code_name: code, display_name: code, auto_sync: true })
        .onConflict((oc) => oc.column('code_name').doUpdateSet({ updated_at: new Date() }))
        .returning(['id', 'auto_sync']).executeTakeFirstOrThrow();
      if (g.auto_sync) {
        await tx.insertInto('access_group_members').values({ group_id: g.id, user_id: userId }).onConflict((oc) => oc.doNothing()).execute();
      }
    }
    return userId;
  });
}
