// Prometheus metrics at GET /metrics (text exposition format, not the JSON
// envelope: Prometheus reads that format only; errors keep the envelope).
// HTTP latency by route template (never by raw URL: bounded cardinality),
// encoding jobs by queue state, videos by encoding state, and Node's own
// process metrics. METRICS_TOKEN, when set, is required as a bearer token.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import Type from 'typebox';
import { AppError } from '../core/errors.ts';
import { QUEUES } from '../core/jobs.ts';

const ENCODING_STATES = ['pending', 'queued', 'processing', 'ready', 'error'] as const;

async function metrics(app: FastifyInstance) {
  // One registry per app: several apps in one process (tests) never share series.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pod_' });

  const duration = new Histogram({
    name: 'pod_http_request_duration_seconds', help: 'HTTP request latency by route template',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const requests = new Counter({
    name: 'pod_http_requests_total', help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unrouted', status: String(reply.statusCode) };
    duration.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });

  new Gauge({
    name: 'pod_videos_by_encoding_state', help: 'Videos (not deleted) by encoding state',
    labelNames: ['state'] as const, registers: [registry],
    async collect() {
      const rows = await app.dbh.db.selectFrom('videos').select(['encoding_status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('deleted_at', 'is', null).groupBy('encoding_status').execute();
      for (const state of ENCODING_STATES) this.set({ state }, Number(rows.find((r) => r.encoding_status === state)?.n ?? 0));
    },
  });
  new Gauge({
    name: 'pod_queue_jobs', help: 'Encoding jobs by queue and state (pg-boss)',
    labelNames: ['queue', 'state'] as const, registers: [registry],
    async collect() {
      for (const queue of Object.values(QUEUES)) {
        const q = await app.jobs.boss.getQueue(queue);
        if (!q) continue;
        this.set({ queue, state: 'ready' }, q.readyCount);
        this.set({ queue, state: 'deferred' }, q.deferredCount);
        this.set({ queue, state: 'active' }, q.activeCount);
      }
    },
  });
  new Gauge({
    name: 'pod_encoders_busy', help: 'Encoding jobs held by an encoder (live leases)', registers: [registry],
    async collect() {
      const row = await app.dbh.db.selectFrom('encoding_leases').select((eb) => eb.fn.countAll<string>().as('n'))
        .where('lease_until', '>', new Date()).executeTakeFirst();
      this.set(Number(row?.n ?? 0));
    },
  });
  new Counter({
    name: 'pod_views_accepted_total', help: 'Views this node accepted (each counted in the database once written, unless another node counted the viewer)', registers: [registry],
    collect() {
      this.reset();
      this.inc(app.views.acceptedTotal);
    },
  });
  new Gauge({
    name: 'pod_views_pending', help: 'Views this node accepted and has not written yet (they are written every VIEW_FLUSH_INTERVAL_MS)', registers: [registry],
    collect() {
      this.set(app.views.backlog);
    },
  });

  const token = app.config.METRICS_TOKEN ? Buffer.from(`Bearer ${app.config.METRICS_TOKEN}`) : undefined;
  app.get('/metrics', {
    config: { ownAuthorization: true },
    schema: {
      operationId: 'getMetrics', errors: ['not_authenticated'], tags: ['ops'], summary: 'Prometheus metrics (text format); bearer METRICS_TOKEN when configured',
      security: [{ metricsToken: [] }, {}],
      description: 'Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set; open otherwise (keep it off the public network).',
      response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
      mediaTypes: { 200: { 'text/plain': { description: 'Prometheus text exposition format 0.0.4' } } },
      responseHeaders: { 200: ['Cache-Control'], 401: ['WWW-Authenticate'] },
    },
  }, async (request, reply) => {
    if (token) {
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) {
        throw new AppError(401, 'not_authenticated', 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>', { headers: { 'www-authenticate': 'Bearer realm="metrics"' } });
      }
    }
    reply.header('content-type', registry.contentType).header('cache-control', 'no-store');
    return registry.metrics();
  });
}

// Not encapsulated: the latency hook must see every route of the app.
export const metricsRoutes = fp(metrics, { name: 'metrics' });
