// Copying V4 media files (MEDIA_ROOT/…) into pod-api's storage: a hard link
// when both are on one local filesystem (no byte copied: an import of years
// of lectures takes no extra space), a copy otherwise, a streamed upload to
// S3. A file already in place with the same size is left alone (a resumed
// import copies nothing twice). A missing file is reported, never fatal.
import { createReadStream, statSync } from 'node:fs';
import { copyFile, link, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImportContext } from './context.ts';

/** The absolute path of a V4 media path, or null when it would leave MEDIA_ROOT. */
export function mediaPath(ctx: ImportContext, relative: string): string | null {
  const clean = relative.replace(/^\/+/, '').replace(/^media\//, '');
  const full = path.resolve(ctx.mediaRoot, clean);
  return full.startsWith(path.resolve(ctx.mediaRoot) + path.sep) ? full : null;
}

/** Copies one V4 file to a storage key; returns its size, or null (reported) when it is missing. */
export async function copyIn(ctx: ImportContext, relative: string | null | undefined, key: string): Promise<number | null> {
  if (!relative) return null;
  const source = mediaPath(ctx, relative);
  // A synchronous stat: a command-line import has no one else to serve, and an absent file costs
  // microseconds this way against a thread-pool round trip (400,000 of them for 100,000 videos).
  const info = source ? statSync(source, { throwIfNoEntry: false }) : undefined;
  if (!source || !info?.isFile()) {
    ctx.report.missing(relative);
    return null;
  }
  if (ctx.dryRun) return info.size;
  const existing = await ctx.storage.stat(key);
  if (existing && existing.size === info.size) return info.size;
  if (ctx.storage.localPath) {
    const target = ctx.storage.localPath(key);
    await mkdir(path.dirname(target), { recursive: true });
    const linked = await link(source, target).then(() => true, async (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') {
        await copyFile(source, target);
        return false;
      }
      if (err.code !== 'EXDEV' && err.code !== 'EPERM' && err.code !== 'ENOTSUP') throw err;
      await copyFile(source, target);
      return false;
    });
    if (!linked) ctx.report.bytesCopied += info.size;
  } else {
    await ctx.storage.put(key, createReadStream(source), { size: info.size });
    ctx.report.bytesCopied += info.size;
  }
  ctx.report.filesCopied++;
  return info.size;
}

/** A small V4 text file (a playlist, a WebVTT), or null when missing or too large. */
export async function readText(ctx: ImportContext, relative: string | null | undefined, maxBytes = 4 * 1024 * 1024): Promise<string | null> {
  if (!relative) return null;
  const source = mediaPath(ctx, relative);
  const info = source ? statSync(source, { throwIfNoEntry: false }) : undefined;
  if (!source || !info?.isFile() || info.size > maxBytes) return null;
  return readFile(source, 'utf8');
}
