// Liveness (process up) and readiness (database reachable) for load
// balancers and orchestrators.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { Envelope, ok } from '../core/envelope.ts';
import { API_VERSION } from '../core/openapi.ts';
import { serviceUnavailable } from '../core/errors.ts';
import { model } from '../core/openapi-models.ts';

const Health = model('Health', Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  uptime_s: Type.Number({ description: 'Seconds since the process started' }),
}));

const Ready = model('Readiness', Type.Object({
  status: Type.Literal('ready'),
  database: Type.Object({
    engine: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]),
    latency_ms: Type.Number(),
  }),
}));

export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/api/v1/health',
    {
      schema: {
        operationId: 'getHealth', tags: ['ops'],
        summary: 'Liveness: the process is up and serving',
        response: { 200: Envelope(Health) },
      },
    },
    async () => ok({ status: 'ok' as const, version: API_VERSION, uptime_s: Math.round(process.uptime()) }),
  );

  app.get(
    '/api/v1/ready',
    {
      schema: {
        operationId: 'getReadiness', tags: ['ops'],
        summary: 'Readiness: the database answers (503 service_unavailable otherwise)',
        response: { 200: Envelope(Ready) },
      },
    },
    async () => {
      const started = performance.now();
      try {
        await app.dbh.ping(2000);
      } catch (err) {
        throw serviceUnavailable('The database is unreachable', err);
      }
      return ok({
        status: 'ready' as const,
        database: { engine: app.dbh.kind, latency_ms: Math.round((performance.now() - started) * 100) / 100 },
      });
    },
  );
}
