// Every signing key derives from SECRET_KEY (HKDF-SHA256, one label per use),
// so deployers manage one secret, and a key leaked from one use (e.g. a
// cookie signature) says nothing about another (JWTs).
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.ts';

export interface Keys {
  jwt: Uint8Array;
  cookie: string;
  csrfHmac: string;
  /** For signing media URLs, webhooks… (later capabilities derive from this). */
  derive(label: string): Buffer;
}

/**
 * SECRET_KEY, or (outside production, where it is mandatory) a random key
 * kept in ./var/secret-key so that sessions survive restarts in development.
 */
export function resolveSecretKey(config: Config, log: (msg: string) => void): string {
  if (config.SECRET_KEY) return config.SECRET_KEY;
  if (config.PGLITE_DATA_DIR.startsWith('memory://') || config.NODE_ENV === 'test') {
    return randomBytes(32).toString('base64url');
  }
  const file = path.resolve('var', 'secret-key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = randomBytes(32).toString('base64url');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, key + '\n', { mode: 0o600 });
    log(`SECRET_KEY is unset: generated a development key in ${file} (set SECRET_KEY in production)`);
    return key;
  }
}

export function deriveKeys(secret: string): Keys {
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', secret, 'pod-api', label, 32));
  return {
    jwt: new Uint8Array(derive('jwt-hs256')),
    cookie: derive('cookie-signature').toString('base64url'),
    csrfHmac: derive('csrf-hmac').toString('base64url'),
    derive,
  };
}
