// Keyset (cursor) pagination: stable under inserts, O(limit) at any depth.
// A cursor is opaque to clients (base64url JSON of the last row's sort key).
import Type from 'typebox';
import { badRequest } from './errors.ts';

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100)' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'Opaque cursor from meta.next_cursor' })),
};

export const PageMeta = Type.Object({
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' }),
  limit: Type.Integer(),
});

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: ('string' | 'number')[]): unknown[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => typeof v === shape[i] || v === null)) return key;
  } catch {
    // fall through
  }
  throw badRequest('cursor is not a cursor this endpoint issued', 'query.cursor', 'invalid_cursor');
}

/** Splits a `limit + 1` fetch into the page and its meta. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]) {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, meta: { next_cursor: hasMore && last ? encodeCursor(keyOf(last)) : null, limit } };
}
