// Keyset (cursor) pagination: stable under inserts, O(limit) at any depth.
// A cursor is opaque to clients (base64url JSON of the last row's sort key).
import Type from 'typebox';
import { badRequest } from './errors.ts';
import { model } from './openapi-models.ts';

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100)' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'Opaque cursor from meta.next_cursor' })),
};

export const PageMeta = model('PageMeta', Type.Object({
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page' }),
  limit: Type.Integer(),
}));

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * What each position of a cursor holds, checked to the database type it is
 * compared with (a value the column cannot hold would fail in SQL: a 500):
 * `id` a bigint key (1 … 2^53-1), `int` a PostgreSQL integer, `count` a bigint counter (0 … 2^53-1), `float` a finite
 * float8, `string` text (≤ 1,000 characters, no NUL), `timestamp` an ISO 8601
 * UTC instant that is a real date (years 1–9999).
 */
export type CursorPart = 'id' | 'int' | 'count' | 'float' | 'string' | 'timestamp';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function validPart(kind: CursorPart, v: unknown): boolean {
  switch (kind) {
    case 'id': return Number.isSafeInteger(v) && (v as number) >= 1;
    case 'count': return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'int': return Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31;
    case 'float': return typeof v === 'number' && Number.isFinite(v);
    case 'string': return typeof v === 'string' && v.length <= 1000 && !v.includes('\u0000');
    case 'timestamp': {
      if (typeof v !== 'string' || !ISO_INSTANT.test(v)) return false;
      const t = Date.parse(v);
      // Date.parse accepts 2024-02-30; a real date prints back as itself.
      return Number.isFinite(t) && new Date(t).toISOString().slice(0, 19) === v.slice(0, 19) && !v.startsWith('0000');
    }
  }
}

/** The key a cursor carries, each part checked against `shape`; a 400 invalid_cursor for anything else. */
export function decodeCursor(cursor: string | undefined, shape: CursorPart[]): unknown[] | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => validPart(shape[i]!, v))) return key;
  throw badRequest('cursor is not a cursor this endpoint issued', 'query.cursor', 'invalid_cursor');
}

/** Splits a `limit + 1` fetch into the page and its meta. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]) {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, meta: { next_cursor: hasMore && last ? encodeCursor(keyOf(last)) : null, limit } };
}
