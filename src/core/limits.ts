// Body limits beyond the global BODY_LIMIT_BYTES.

/**
 * Routes that take usernames or credentials parse bodies up to 16 MiB, so an
 * absurd field (a 10 MB username) is answered by schema validation — 400
 * naming the field — rather than a bare 413. Credential routes are rate
 * limited before any parsing happens; the others need a signed-in caller.
 */
export const NAMES_BODY_LIMIT = 16 * 1024 * 1024;
