// One storage interface for media bytes (sources, renditions, thumbnails,
// subtitles) with two implementations: local disk and S3-compatible object
// storage. Everything streams: no object is ever held whole in memory.
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  modified: Date;
  contentType?: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface Storage {
  readonly kind: 'local' | 's3';
  put(key: string, body: Readable | Buffer, opts?: { contentType?: string; size?: number }): Promise<void>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | null>;
  delete(key: string): Promise<void>;
  /** Deletes every object under a folder-like prefix (`encodings/42/`); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): AsyncIterable<StoredObject>;
  /** Renames (local) or copies then deletes (S3, server-side). */
  move(from: string, to: string): Promise<void>;
  /** A time-limited URL the backend serves itself (S3 presigned GET or PUT); undefined on local disk. */
  signedUrl?(key: string, ttlSeconds: number, opts?: { method?: 'GET' | 'PUT'; contentType?: string; filename?: string }): Promise<string>;
  /** Absolute file path (local disk only): for ffprobe and X-Accel-Redirect. */
  localPath?(key: string): string;
}

export class StorageKeyError extends Error {
  override name = 'StorageKeyError';
}

/**
 * Keys are relative, slash-separated, made of safe characters, with no
 * empty, `.` or `..` segment: a key can never escape the storage root.
 */
export function assertKey(key: string): string {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(key) || key.length > 1024 || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new StorageKeyError(`invalid storage key: ${JSON.stringify(key)}`);
  }
  return key;
}

export function assertPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  assertKey(prefix.replace(/\/$/, ''));
  return prefix;
}
