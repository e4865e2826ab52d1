// @tus/file-store with a write path sized for lecture files: its own write()
// pipes the request through a Transform into an fs.WriteStream with Node's
// 16 KiB default buffer, so the socket is paused after every chunk until
// that chunk's disk write returns. Here the write stream buffers up to
// WRITE_BUFFER bytes (per upload in progress), which lets fs coalesce queued
// chunks into one writev() while the next ones arrive; 4 MiB measured no
// faster than 1 MiB (bench/upload.ts). And each chunk's memory is handed
// back as soon as the chunk is on disk (release() below). Everything else
// (offsets, config files, expiry) is the library's.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { ERRORS, isPathInsideDirectory } from '@tus/server';

const WRITE_BUFFER = 1024 * 1024;

/**
 * Frees a chunk's memory now rather than at V8's next garbage collection.
 * Node's HTTP parser copies every ≤ 64 KiB of a request body into an
 * ArrayBuffer of its own, and V8 frees those only when it collects, which it
 * schedules by its heap's size, not by these external bytes: during a 1 GiB
 * upload 14–17 MiB of chunks already written sat waiting (52 MiB with the
 * default young generation), and the collections they set off cost more CPU
 * than the writes. Detaching the buffer (transfer to length 0) drops it
 * at once. Only a chunk that is a whole, ordinary ArrayBuffer is released, and
 * only once it is written: nothing upstream keeps a chunk it has passed on
 * (tus pipes it through a PassThrough and a size limiter).
 */
function release(chunk: Uint8Array) {
  const { buffer } = chunk;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached || chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength) return;
  try {
    buffer.transfer(0);
  } catch {
    // A buffer that cannot be detached (WebAssembly memory) is left to the GC.
  }
}

export class StreamingFileStore extends FileStore {
  override async write(readable: Readable, fileId: string, offset: number): Promise<number> {
    const target = path.join(this.directory, fileId); // as the library's (private) resolve()
    if (!isPathInsideDirectory(this.directory, target)) throw ERRORS.FILE_NOT_FOUND;
    const file = createWriteStream(target, { flags: 'r+', start: offset, highWaterMark: WRITE_BUFFER });
    const write = file._write.bind(file);
    const writev = file._writev!.bind(file);
    file._write = (chunk: Uint8Array, encoding, done) => write(chunk, encoding, (err) => {
      if (!err) release(chunk);
      done(err);
    });
    file._writev = (chunks: { chunk: Uint8Array; encoding: BufferEncoding }[], done) => writev(chunks, (err) => {
      if (!err) for (const { chunk } of chunks) release(chunk);
      done(err);
    });
    try {
      await pipeline(readable, file);
    } catch {
      // As the library does: tus turns this into a 500 and the client resumes from the stored offset.
      throw ERRORS.FILE_WRITE_ERROR;
    }
    return offset + file.bytesWritten;
  }
}
