// Sends a video's source file to an encoder (ours, or an Esup-Runner runner):
// exact Content-Length, byte ranges (a broken download resumes), the stored
// MIME type. Who may read it is the caller's business (capability URLs).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../core/errors.ts';

/** What a source download is, in the API document: the uploaded file with the type sniffed from its bytes. */
export const SOURCE_FILE_TYPES = {
  'video/*': { description: 'the source file (or a byte range of it), with the type sniffed at upload' },
  'audio/*': { description: 'an audio-only source' },
  'application/octet-stream': { description: 'a source whose type is unknown' },
};

export async function sendSourceFile(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, key: string | null, mime: string | null) {
  if (!key) throw notFound('This video has no source');
  const stat = await app.storage.stat(key);
  if (!stat) throw notFound('The source file is missing');
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(request.headers.range ?? ''));
  reply.header('accept-ranges', 'bytes').header('content-type', mime ?? 'application/octet-stream');
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, stat.size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), stat.size - 1) : stat.size - 1;
    if (start > end || start >= stat.size) {
      throw new AppError(416, 'range_not_satisfiable', 'Range not satisfiable', { headers: { 'content-range': `bytes */${stat.size}` } });
    }
    reply.code(206).header('content-range', `bytes ${start}-${end}/${stat.size}`).header('content-length', String(end - start + 1));
    return reply.send(await app.storage.get(key, { start, end }));
  }
  reply.header('content-length', String(stat.size));
  return reply.send(await app.storage.get(key));
}
