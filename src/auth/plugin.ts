// Resolves the caller once per request (bearer JWT or browser cookie),
// enforces CSRF on cookie-authenticated unsafe requests, and exposes the
// helpers handlers use to require a user or a role.
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../core/config.ts';
import { AppError, forbidden, unauthorized } from '../core/errors.ts';
import { deriveKeys, resolveSecretKey, type Keys } from './keys.ts';
import type { Principal } from './principal.ts';
import { principalForSession, sha256 } from './sessions.ts';
import { ReadCache } from '../core/read-cache.ts';
import { TokenService, wwwAuthenticate } from './tokens.ts';

export const SESSION_COOKIE = 'pod_session';
export const CSRF_COOKIE = 'pod_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/;

declare module 'fastify' {
  interface FastifyInstance {
    keys: Keys;
    tokens: TokenService;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Cookie-authenticated unsafe requests to this route skip the CSRF check (login itself). */
    csrfExempt?: boolean;
    /** The route reads the Authorization header itself (a non-user credential, e.g. GET /metrics). */
    ownAuthorization?: boolean;
  }
}

export function sessionCookieOptions(config: Config) {
  return {
    path: '/',
    httpOnly: true,
    secure: config.COOKIE_SECURE,
    sameSite: config.COOKIE_SAMESITE,
  } as const;
}

export async function installAuth(app: FastifyInstance, config: Config) {
  const keys = deriveKeys(resolveSecretKey(config, (m) => app.log.warn(m)));
  app.decorate('keys', keys);
  app.decorate('tokens', new TokenService(keys.jwt, config.PUBLIC_URL, config.ACCESS_TOKEN_TTL_S, config.REFRESH_TOKEN_TTL_S));

  await app.register(cookie, { secret: keys.cookie, hook: 'onRequest' });
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { ...sessionCookieOptions(config), signed: true },
    // A token is bound to the session it was issued for (no cookie tossing).
    getUserInfo: (req: FastifyRequest) => req.principal?.session_id ?? '',
    csrfOpts: { hmacKey: keys.csrfHmac },
    logLevel: 'info',
  });
  // One budget across API nodes when Redis is configured (otherwise per process).
  let redis: import('ioredis').Redis | undefined;
  if (config.REDIS_URL) {
    const { Redis } = await import('ioredis');
    // Fail fast instead of queueing requests when Redis is down (rate-limit recommends it).
    redis = new Redis(config.REDIS_URL, { connectTimeout: 500, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (err: Error) => app.log.warn({ err }, 'redis error'));
    app.addHook('onClose', async () => void (await redis!.quit().catch(() => redis!.disconnect())));
    // Without the offline queue, a command sent before the connection is up fails and the limiter
    // lets the request through (skipOnError): wait for Redis at boot (bounded: a down Redis must
    // not stop the API from starting; the limiter then fails open, with a warning).
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      redis!.once('ready', () => { clearTimeout(timer); resolve(true); });
    });
    if (!connected) app.log.warn('Redis is not reachable yet: rate limits are not enforced until it is');
  }
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: `${config.REDIS_KEY_PREFIX}rate-limit:`, skipOnError: true } : {}),
    errorResponseBuilder: (_req, ctx) =>
      new AppError(429, 'rate_limited', `Too many attempts; retry in ${ctx.after}`, {
        headers: { 'retry-after': String(Math.ceil(ctx.ttl / 1000)) },
      }),
  });

  app.decorateRequest('principal', null);
  // The principal of a session, per node, until the database notifies a change to sessions, users or
  // groups (core/change-feed.ts), and never past the session's end: a revocation counts at once.
  const principals = new ReadCache<Awaited<ReturnType<typeof principalForSession>>>(app.changes, 'auth', {
    maxEntries: config.READ_CACHE_ENTRIES, ttlMs: config.READ_CACHE_TTL_S * 1000,
  });
  const cachedPrincipal = async (key: string, load: () => ReturnType<typeof principalForSession>) => {
    const p = await principals.get(key, load);
    // Past its end (the cache may be younger than that): asked again, and the database says no.
    return p && p.expires_at.getTime() <= Date.now() ? load() : p;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.ownAuthorization) return;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = BEARER.exec(header);
      if (!match) {
        throw new AppError(401, 'invalid_token', 'Authorization must be "Bearer <access token>"', {
          headers: wwwAuthenticate('invalid_request', 'malformed'),
        });
      }
      const claims = await app.tokens.verify('access', match[1]!);
      const principal = await cachedPrincipal(`bearer:${claims.sid}`, () => principalForSession(app.dbh.db, { sessionId: claims.sid }, 'bearer'));
      if (!principal || String(principal.id) !== claims.sub) {
        throw new AppError(401, 'invalid_token', 'This token was revoked or its account is disabled', {
          headers: wwwAuthenticate('invalid_token', 'revoked'),
        });
      }
      request.principal = principal;
      return;
    }
    const cookieValue = request.cookies[SESSION_COOKIE];
    if (cookieValue) {
      request.principal = await cachedPrincipal(`cookie:${sha256(cookieValue)}`, () => principalForSession(app.dbh.db, { cookieValue }, 'cookie'));
      // An expired or revoked cookie is not an error on public pages: browse anonymously.
      if (!request.principal) reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(config));
    }
  });

  // Cookie-authenticated state changes need the CSRF token (X-CSRF-Token
  // header) issued with the session; bearer requests are immune to CSRF.
  app.addHook('onRequest', (request, reply, done) => {
    const p = request.principal;
    if (p?.via !== 'cookie' || SAFE_METHODS.has(request.method) || request.routeOptions.config?.csrfExempt) return done();
    app.csrfProtection(request, reply, done);
  });
}

export function requireUser(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

export function requireSuperuser(request: FastifyRequest): Principal {
  const p = requireUser(request);
  if (!p.is_superuser) throw forbidden('Only superusers can do this');
  return p;
}

/** Superusers and managers administer taxonomy and every video (Pod's global permissions). */
export function requireManager(request: FastifyRequest): Principal {
  const p = requireUser(request);
  if (!p.is_superuser && !p.is_manager) throw forbidden('Only managers and superusers can do this');
  return p;
}

export function issueCsrfToken(reply: FastifyReply, sessionId: string): string {
  return reply.generateCsrf({ userInfo: sessionId });
}
