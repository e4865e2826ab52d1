// Passwords are hashed with argon2id (memory-hard) through @node-rs/argon2,
// with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~30 ms here.
import { hash, verify } from '@node-rs/argon2';

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
  return verify(storedHash, password).catch(() => false);
}
