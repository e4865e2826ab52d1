// Authentication endpoints: JWT pairs for detached clients (mobile, LMS,
// scripts), cookie sessions with CSRF for browser SPAs, logout.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { NAMES_BODY_LIMIT } from '../core/limits.ts';
import { AppError, unauthorized } from '../core/errors.ts';
import { AUTHENTICATED, OPTIONAL_AUTH } from '../core/openapi.ts';
import { Credentials, User } from '../users/schemas.ts';
import { userById, userByUsername, userJson } from '../users/queries.ts';
import { hashPassword, isLegacyHash, verifyPassword } from './passwords.ts';
import { CSRF_COOKIE, issueCsrfToken, requireUser, SESSION_COOKIE, sessionCookieOptions } from './plugin.ts';
import { consumeRefreshToken, createSession, recordRefreshToken, revokeSession } from './sessions.ts';
import { model } from '../core/openapi-models.ts';
import { audit } from '../audit/log.ts';

const TokenPair = model('TokenPair', Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Access token lifetime, seconds' }),
  refresh_expires_in: Type.Integer({ description: 'Refresh token lifetime, seconds' }),
  user: User,
}));
const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });
const VerifyBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });
const LogoutBody = Type.Union([Type.Object({ refresh_token: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false }), Type.Null()]);
const SessionInfo = model('SessionInfo', Type.Object({
  user: User,
  kind: Type.Union([Type.Literal('token'), Type.Literal('cookie')]),
  expires_at: Type.String({ format: 'date-time' }),
  csrf_token: Type.Optional(Type.String({ description: 'Send as X-CSRF-Token on POST/PUT/PATCH/DELETE (cookie sessions)' })),
}));

const CREDENTIALS_BODY_LIMIT = NAMES_BODY_LIMIT;

const invalidCredentials = () => new AppError(401, 'invalid_credentials', 'Wrong username or password');

export async function authRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  const limited = { rateLimit: { max: app.config.AUTH_RATE_LIMIT_MAX, timeWindow: app.config.AUTH_RATE_LIMIT_WINDOW_MS } };

  async function checkCredentials(request: FastifyRequest, body: Static<typeof Credentials>) {
    const user = await userByUsername(db(), body.username);
    const valid = await verifyPassword(user?.password_hash, body.password);
    if (!user || !valid || !user.is_active) {
      // Written on its own: a failed sign-in changes nothing else. The password is never logged.
      await audit(db(), request, {
        action: 'auth.sign_in_failed', target_type: user ? 'user' : '', target_id: user?.id ?? '',
        details: { username: body.username, reason: !user ? 'unknown_user' : !valid ? 'wrong_password' : 'account_disabled' },
      });
      throw invalidCredentials();
    }
    // Sign-in through the identity provider only: local passwords still open superusers' accounts (the way back in when SSO is down).
    if (!app.config.LOCAL_AUTH_ENABLED && !user.is_superuser) {
      throw new AppError(403, 'local_auth_disabled', 'Sign in through the identity provider: local passwords are turned off here');
    }
    // A Django hash kept from a Pod V4 import becomes argon2id at the first sign-in.
    if (isLegacyHash(user.password_hash)) {
      await db().updateTable('users').set({ password_hash: await hashPassword(body.password) }).where('id', '=', user.id).execute();
    }
    return user;
  }

  async function issuePair(userId: number, sessionId: string) {
    const access = await app.tokens.sign('access', userId, sessionId);
    const refresh = await app.tokens.sign('refresh', userId, sessionId);
    await recordRefreshToken(db(), sessionId, refresh.jti, refresh.expiresIn);
    const user = await userById(db(), userId);
    return {
      access_token: access.token,
      refresh_token: refresh.token,
      token_type: 'Bearer' as const,
      expires_in: access.expiresIn,
      refresh_expires_in: refresh.expiresIn,
      user: userJson(user!),
    };
  }

  const clientInfo = (request: FastifyRequest) => ({ userAgent: request.headers['user-agent'] ?? '', ip: request.ip });

  app.post('/api/v1/auth/token', {
    bodyLimit: CREDENTIALS_BODY_LIMIT,
    schema: {
      operationId: 'createToken', errors: ['invalid_credentials', 'local_auth_disabled'], tags: ['auth'], summary: 'Obtain an access + refresh token pair (username and password)',
      body: Credentials, response: { 200: Envelope(TokenPair) },
    },
    config: { ...limited, csrfExempt: true },
  }, async (request) => {
    const user = await checkCredentials(request, request.body as Static<typeof Credentials>);
    const session = await createSession(db(), { userId: user.id, kind: 'token', ttlSeconds: app.config.REFRESH_TOKEN_TTL_S, ...clientInfo(request) });
    return ok(await issuePair(user.id, session.id));
  });

  app.post('/api/v1/auth/token/refresh', {
    bodyLimit: CREDENTIALS_BODY_LIMIT,
    schema: {
      operationId: 'refreshToken', errors: ['refresh_token_reused'], tags: ['auth'],
      summary: 'Exchange a refresh token for a new pair (rotation: each refresh token works once; reuse revokes the family)',
      body: RefreshBody, response: { 200: Envelope(TokenPair) },
    },
    config: { ...limited, csrfExempt: true },
  }, async (request) => {
    const claims = await app.tokens.verify('refresh', (request.body as Static<typeof RefreshBody>).refresh_token);
    const outcome = await consumeRefreshToken(db(), claims.jti, claims.sid);
    if (outcome === 'reused') {
      throw new AppError(401, 'refresh_token_reused', 'This refresh token was already used: the session is revoked, sign in again');
    }
    if (outcome === 'unknown') throw new AppError(401, 'invalid_token', 'Unknown refresh token');
    const session = await db().selectFrom('auth_sessions as s').innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.id', 's.revoked_at', 's.expires_at', 'u.is_active', 'u.id as user_id'])
      .where('s.id', '=', claims.sid).executeTakeFirst();
    if (!session || session.revoked_at || session.expires_at < new Date() || !session.is_active || String(session.user_id) !== claims.sub) {
      throw new AppError(401, 'invalid_token', 'This session was revoked; sign in again');
    }
    await db().updateTable('auth_sessions').set({ last_used_at: new Date() }).where('id', '=', session.id).execute();
    return ok(await issuePair(session.user_id, session.id));
  });

  app.post('/api/v1/auth/token/verify', {
    bodyLimit: CREDENTIALS_BODY_LIMIT,
    schema: {
      operationId: 'verifyToken', tags: ['auth'], summary: 'Check an access or refresh token (signature, expiry, revocation)',
      body: VerifyBody,
      response: {
        200: Envelope(Type.Object({
          valid: Type.Literal(true),
          token_type: Type.Union([Type.Literal('access'), Type.Literal('refresh')]),
          user_id: Type.Integer(),
          expires_at: Type.String({ format: 'date-time' }),
        })),
      },
    },
    config: { csrfExempt: true },
  }, async (request) => {
    const { token } = request.body as Static<typeof VerifyBody>;
    const kind = peekKind(token);
    const claims = await app.tokens.verify(kind, token);
    const live = await db().selectFrom('auth_sessions as s').innerJoin('users as u', 'u.id', 's.user_id').select('s.id')
      .where('s.id', '=', claims.sid).where('s.revoked_at', 'is', null).where('u.is_active', '=', true).executeTakeFirst();
    if (!live) throw new AppError(401, 'invalid_token', 'This token was revoked');
    return ok({ valid: true as const, token_type: kind, user_id: Number(claims.sub), expires_at: new Date(claims.exp * 1000).toISOString() });
  });

  app.post('/api/v1/auth/logout', {
    schema: {
      operationId: 'logout', errors: ['not_authenticated'], tags: ['auth'], summary: 'Sign out: revoke the current session (or the session of the given refresh token)',
      security: OPTIONAL_AUTH, body: Type.Optional(LogoutBody), optionalBody: true, response: { 200: Envelope(Type.Object({ revoked: Type.Boolean() })) },
      responseHeaders: { 200: ['Set-Cookie'] },
    },
  }, async (request, reply) => {
    let sessionId = request.principal?.session_id;
    const refresh = (request.body as { refresh_token?: string } | null | undefined)?.refresh_token;
    if (!sessionId && refresh) sessionId = (await app.tokens.verify('refresh', refresh)).sid;
    if (!sessionId) throw unauthorized('Send the access token, the session cookie or a refresh_token to sign out');
    await revokeSession(db(), sessionId, 'logout');
    clearSessionCookies(reply);
    return ok({ revoked: true });
  });

  app.post('/api/v1/auth/session', {
    bodyLimit: CREDENTIALS_BODY_LIMIT,
    schema: {
      operationId: 'createSession', responseHeaders: { 200: ['Set-Cookie'] }, errors: ['invalid_credentials', 'local_auth_disabled'], tags: ['auth'],
      summary: 'Browser sign-in: sets an HttpOnly session cookie and returns the CSRF token for unsafe requests',
      body: Credentials, response: { 200: Envelope(SessionInfo) },
    },
    config: { ...limited, csrfExempt: true },
  }, async (request, reply) => {
    const user = await checkCredentials(request, request.body as Static<typeof Credentials>);
    // A previous browser session on this client ends here (no session fixation).
    if (request.principal?.via === 'cookie') await revokeSession(db(), request.principal.session_id, 'replaced');
    return ok(await startCookieSession(app, request, reply, user.id));
  });

  app.get('/api/v1/auth/session', {
    schema: { operationId: 'getSession', tags: ['auth'], summary: 'The current session', security: AUTHENTICATED, response: { 200: Envelope(SessionInfo) } },
  }, async (request) => {
    const p = requireUser(request);
    const s = await db().selectFrom('auth_sessions').select(['kind', 'expires_at']).where('id', '=', p.session_id).executeTakeFirstOrThrow();
    return ok({ user: userJson((await userById(db(), p.id))!), kind: s.kind, expires_at: new Date(s.expires_at).toISOString() });
  });

  app.delete('/api/v1/auth/session', {
    schema: { operationId: 'deleteSession', responseHeaders: { 200: ['Set-Cookie'] }, tags: ['auth'], summary: 'Browser sign-out (needs X-CSRF-Token)', security: AUTHENTICATED, response: { 200: Envelope(Type.Object({ revoked: Type.Boolean() })) } },
  }, async (request, reply) => {
    const p = requireUser(request);
    await revokeSession(db(), p.session_id, 'logout');
    clearSessionCookies(reply);
    return ok({ revoked: true });
  });

  app.get('/api/v1/auth/csrf', {
    schema: {
      operationId: 'getCsrfToken', responseHeaders: { 200: ['Set-Cookie'] }, tags: ['auth'], summary: 'A CSRF token for the current cookie session (e.g. after a page reload)', security: AUTHENTICATED,
      response: { 200: Envelope(Type.Object({ csrf_token: Type.String() })) },
    },
  }, async (request, reply) => {
    const p = requireUser(request);
    return ok({ csrf_token: issueCsrfToken(reply, p.session_id) });
  });

  function clearSessionCookies(reply: FastifyReply) {
    const opts = sessionCookieOptions(app.config);
    reply.clearCookie(SESSION_COOKIE, opts).clearCookie(CSRF_COOKIE, opts);
  }
}

/** Starts a browser session for a user (password login and SSO callback). */
export async function startCookieSession(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, userId: number) {
  const ttl = app.config.SESSION_TTL_S;
  const session = await createSession(app.dbh.db, {
    userId, kind: 'cookie', ttlSeconds: ttl, userAgent: request.headers['user-agent'] ?? '', ip: request.ip,
  });
  reply.setCookie(SESSION_COOKIE, session.cookieValue!, { ...sessionCookieOptions(app.config), maxAge: ttl });
  return {
    user: userJson((await userById(app.dbh.db, userId))!),
    kind: 'cookie' as const,
    expires_at: session.expiresAt.toISOString(),
    csrf_token: issueCsrfToken(reply, session.id),
  };
}

/** Reads the `typ` header without trusting it: verification with that kind follows. */
function peekKind(token: string): 'access' | 'refresh' {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { typ?: string };
    return header.typ === 'rt+jwt' ? 'refresh' : 'access';
  } catch {
    return 'access';
  }
}
