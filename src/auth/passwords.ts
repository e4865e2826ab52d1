// Passwords are hashed with argon2id (memory-hard) through @node-rs/argon2,
// with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~30 ms here.
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash, verify } from '@node-rs/argon2';

const pbkdf2Async = promisify(pbkdf2);

const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// Verifying against this when the account has no usable hash keeps the
// response time the same whether or not the username exists.
let dummyHash: Promise<string> | undefined;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hashPassword('pod-api timing equaliser');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  if (storedHash.startsWith('pbkdf2_sha256$')) return verifyDjangoPbkdf2(storedHash, password);
  if (storedHash.startsWith(V4_SHA256)) return verifyV4Sha256(storedHash, password);
  return verify(storedHash, password).catch(() => false);
}

/**
 * Pod V4 keeps playlist passwords as an unsalted SHA-256 (hex): imported as
 * `v4sha256$<hex>`, checked as such until the playlist's password is set again.
 */
export const V4_SHA256 = 'v4sha256$';
function verifyV4Sha256(storedHash: string, password: string): boolean {
  const expected = Buffer.from(storedHash.slice(V4_SHA256.length), 'hex');
  const given = createHash('sha256').update(password).digest();
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A hash in Django's format (kept from a Pod V4 import until the user next signs in): rehash it. */
export const isLegacyHash = (storedHash: string | null | undefined) => Boolean(storedHash?.startsWith('pbkdf2_sha256$'));

/** Django's default hasher: `pbkdf2_sha256$<iterations>$<salt>$<base64 of the derived key>`. */
async function verifyDjangoPbkdf2(storedHash: string, password: string): Promise<boolean> {
  const [, iterations, salt, expected] = storedHash.split('$');
  const rounds = Number(iterations);
  if (!salt || !expected || !Number.isSafeInteger(rounds) || rounds < 1 || rounds > 10_000_000) return false;
  const wanted = Buffer.from(expected, 'base64');
  const derived = await pbkdf2Async(password, salt, rounds, wanted.length || 32, 'sha256');
  return derived.length === wanted.length && timingSafeEqual(derived, wanted);
}
