// Local-disk storage under one root directory (default ./var/media).
// Writes go to a temporary file renamed into place, so a reader never sees
// a half-written object.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, rename, rm, stat, copyFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, assertPrefix, type ByteRange, type Storage, type StoredObject } from './storage.ts';

export class LocalStorage implements Storage {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  localPath(key: string): string {
    const file = path.join(this.root, assertKey(key));
    if (!file.startsWith(this.root + path.sep)) throw new Error('key escapes the storage root');
    return file;
  }

  async put(key: string, body: Readable | Buffer): Promise<void> {
    const file = this.localPath(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.part`;
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(tmp));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.localPath(key);
    await stat(file); // ENOENT before a stream is handed out
    // 1 MiB reads: media files are megabytes; 64 KiB reads cost a syscall and an event-loop turn each.
    return createReadStream(file, { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const s = await stat(this.localPath(key));
      return s.isFile() ? { key, size: s.size, modified: s.mtime } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/')) throw new Error('deletePrefix takes a folder prefix ending with /');
    let count = 0;
    for await (const _ of this.list(prefix)) count++;
    // The folder goes whole: its files, the writes left half-done (.part) and the empty subfolders.
    await rm(this.localPath(prefix.slice(0, -1)), { recursive: true, force: true });
    return count;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    assertPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey ? this.localPath(dirKey) : this.root;
    async function* walk(dir: string, keyBase: string): AsyncIterable<StoredObject> {
      let handle;
      try {
        handle = await opendir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for await (const entry of handle) {
        const key = keyBase ? `${keyBase}/${entry.name}` : entry.name;
        if (entry.isDirectory()) yield* walk(path.join(dir, entry.name), key);
        else if (entry.isFile() && key.startsWith(prefix) && !entry.name.endsWith('.part')) {
          // A file deleted while the folder is walked is simply not listed.
          const s = await stat(path.join(dir, entry.name)).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return null;
            throw err;
          });
          if (s) yield { key, size: s.size, modified: s.mtime };
        }
      }
    }
    yield* walk(start, dirKey);
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.localPath(from);
    const dst = this.localPath(to);
    await mkdir(path.dirname(dst), { recursive: true });
    try {
      await rename(src, dst);
    } catch (err) {
      // Another filesystem (a separately mounted upload area): copy, then delete.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(src, dst);
      await unlink(src);
    }
  }
}
