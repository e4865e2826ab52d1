// The baseline of HTTP benchmarks: a bare Fastify route answering constant
// JSON of about the size of a page of videos' envelope header — or, with
// BASELINE_BODY_FILE, that file's bytes as JSON (a ceiling for answers of
// that size: the cost of writing them is the same for any server).
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const file = process.env.BASELINE_BODY_FILE;
const body = file ? readFileSync(file) : { status: 'success', data: [{ id: 1, title: 'constant' }], meta: { next_cursor: null, limit: 20 } };
app.get('/', async (_request, reply) => (Buffer.isBuffer(body) ? reply.type('application/json; charset=utf-8').send(body) : body));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
