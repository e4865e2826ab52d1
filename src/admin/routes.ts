// /admin: the administration SPA (react-admin, built by `npm run build:admin`
// into admin/dist), served as static files. It holds no data: every screen
// calls the public API with the browser session, under the same policy as
// any client (a signed-in non-admin gets 403s).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../core/errors.ts';

const DIST = fileURLToPath(new URL('../../admin/dist/', import.meta.url));

export async function adminRoutes(app: FastifyInstance) {
  const index = path.join(DIST, 'index.html');
  if (!existsSync(index)) {
    const missing = async () => {
      throw new AppError(503, 'admin_not_built', 'The administration interface is not built here: run `npm run build:admin`');
    };
    app.get('/admin', { schema: { hide: true } }, missing);
    app.get('/admin/', { schema: { hide: true } }, missing);
    return;
  }
  // Hashed asset names: cached for a year. One route per built file (no wildcard).
  // The SPA routes by URL hash (/admin/#/videos/12): only its page is served here.
  await app.register(fastifyStatic, { root: DIST, prefix: '/admin/', wildcard: false, index: false, immutable: true, maxAge: '365d' });
  const html = await readFile(index);
  const page = async (_request: unknown, reply: FastifyReply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  app.get('/admin', { schema: { hide: true } }, page);
  app.get('/admin/', { schema: { hide: true } }, page);
}
