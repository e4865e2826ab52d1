// The baseline of HTTP benchmarks: a bare Fastify route answering constant
// JSON of about the size of a page of videos' envelope header.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = { status: 'success', data: [{ id: 1, title: 'constant' }], meta: { next_cursor: null, limit: 20 } };
app.get('/', async () => body);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
