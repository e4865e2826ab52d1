// JWT access and refresh tokens (jose). The algorithm is pinned to HS256 on
// verification, so `alg: none` and algorithm-confusion tokens are rejected;
// issuer, audience and the `typ` header are checked too, so a refresh token
// is never accepted as an access token or the reverse.
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../core/errors.ts';

const ALG = 'HS256';
const AUDIENCE = 'pod-api';
export type TokenKind = 'access' | 'refresh';
const TYP: Record<TokenKind, string> = { access: 'at+jwt', refresh: 'rt+jwt' };

export interface TokenClaims {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
  iat: number;
}

export class TokenService {
  readonly #key: Uint8Array;
  readonly #issuer: string;
  readonly accessTtl: number;
  readonly refreshTtl: number;
  /**
   * Access tokens already verified, until they expire: the same token comes
   * with every request of a client, and its signature check (WebCrypto HMAC,
   * asynchronous) was most of the cost of a signed-in cached read. The exact
   * string was verified; its expiry is checked at each use; revocation is the
   * session's, checked after this.
   */
  readonly #verified = new Map<string, TokenClaims>();

  constructor(key: Uint8Array, issuer: string, accessTtl: number, refreshTtl: number) {
    this.#key = key;
    this.#issuer = issuer;
    this.accessTtl = accessTtl;
    this.refreshTtl = refreshTtl;
  }

  async sign(kind: TokenKind, userId: number, sessionId: string, jti: string = randomUUID()) {
    const ttl = kind === 'access' ? this.accessTtl : this.refreshTtl;
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALG, typ: TYP[kind] })
      .setSubject(String(userId))
      .setJti(jti)
      .setIssuer(this.#issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .sign(this.#key);
    return { token, jti, expiresIn: ttl };
  }

  /** Verifies a token of the given kind; throws 401 token_expired or invalid_token. */
  async verify(kind: TokenKind, token: string): Promise<TokenClaims> {
    const known = kind === 'access' ? this.#verified.get(token) : undefined;
    if (known && known.exp * 1000 > Date.now()) return known;
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: [ALG],
        issuer: this.#issuer,
        audience: AUDIENCE,
        typ: TYP[kind],
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      if (typeof payload.sid !== 'string' || !/^\d+$/.test(payload.sub ?? '')) throw new Error('malformed claims');
      if (kind === 'access') {
        if (this.#verified.size >= 10_000) this.#verified.delete(this.#verified.keys().next().value!);
        this.#verified.set(token, payload as unknown as TokenClaims);
      }
      return payload as unknown as TokenClaims;
    } catch (err) {
      if (err instanceof errors.JWTExpired) {
        throw new AppError(401, 'token_expired', `The ${kind} token has expired`, { headers: wwwAuthenticate('invalid_token', 'expired') });
      }
      throw new AppError(401, 'invalid_token', `The ${kind} token is invalid`, { headers: wwwAuthenticate('invalid_token', 'invalid') });
    }
  }
}

export function wwwAuthenticate(error: string, description: string) {
  return { 'www-authenticate': `Bearer realm="pod-api", error="${error}", error_description="${description}"` };
}
