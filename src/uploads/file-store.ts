// @tus/file-store with a write path sized for lecture files: its own write()
// pipes the request through a Transform into an fs.WriteStream with Node's
// 16 KiB default buffer, so the socket is paused after every chunk until
// that chunk's disk write returns. Here the write stream buffers up to
// WRITE_BUFFER bytes (per upload in progress), which lets fs coalesce queued
// chunks into one writev() while the next ones arrive; 4 MiB measured no
// faster than 1 MiB (bench/upload.ts). Everything else (offsets, config
// files, expiry) is the library's.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { ERRORS, isPathInsideDirectory } from '@tus/server';

const WRITE_BUFFER = 1024 * 1024;

export class StreamingFileStore extends FileStore {
  override async write(readable: Readable, fileId: string, offset: number): Promise<number> {
    const target = path.join(this.directory, fileId); // as the library's (private) resolve()
    if (!isPathInsideDirectory(this.directory, target)) throw ERRORS.FILE_NOT_FOUND;
    const file = createWriteStream(target, { flags: 'r+', start: offset, highWaterMark: WRITE_BUFFER });
    try {
      await pipeline(readable, file);
    } catch {
      // As the library does: tus turns this into a 500 and the client resumes from the stored offset.
      throw ERRORS.FILE_WRITE_ERROR;
    }
    return offset + file.bytesWritten;
  }
}
