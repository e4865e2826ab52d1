// GET /api/v1/retention/preview: what the retention sweep would do today
// (or on a given day), for managers — the same sweep, rolled back.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { requireManager } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { badRequest } from '../core/errors.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { model } from '../core/openapi-models.ts';
import { runRetention } from './sweep.ts';

const Item = Type.Object({
  video_id: Type.Integer(), slug: Type.String(), title: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()]), date_delete: Type.String({ format: 'date' }),
});

export const RetentionReport = model('RetentionReport', Type.Object({
  day: Type.String({ format: 'date' }),
  dry_run: Type.Boolean(),
  action: Type.Union([Type.Literal('archive'), Type.Literal('delete'), Type.Literal('none')], { description: 'RETENTION_ACTION' }),
  skipped: Type.Boolean({ description: 'Another node was sweeping at that moment: nothing was computed' }),
  warned: Type.Array(Item, { description: 'Videos whose owners get their warning e-mail' }),
  archived: Type.Array(Item),
  deleted: Type.Array(Item),
  emails_queued: Type.Integer({ minimum: 0 }),
  audit_rows_pruned: Type.Integer({ minimum: 0 }),
}));

const PreviewQuery = Type.Object({
  date: Type.Optional(Type.String({ format: 'date', description: 'The day to preview (default: today); not in the past' })),
});

export async function retentionRoutes(app: FastifyInstance) {
  app.get('/api/v1/retention/preview', {
    schema: {
      operationId: 'previewRetention', errors: ['forbidden'], tags: ['retention'], security: AUTHENTICATED,
      summary: 'What the retention sweep would do on a day (managers): a dry run, nothing changes',
      description: 'Runs the sweep — warnings, archiving or deletion, the managers\' report, audit pruning — in a transaction that is rolled back. '
        + 'Each sweep handles at most 500 videos per step; the rest follow at the next sweeps.',
      querystring: PreviewQuery, response: { 200: Envelope(RetentionReport) },
    },
  }, async (request) => {
    requireManager(request);
    const { date } = request.query as Static<typeof PreviewQuery>;
    const today = app.clock();
    let at = today;
    if (date) {
      at = new Date(`${date}T12:00:00Z`);
      if (date < today.toISOString().slice(0, 10)) throw badRequest('date is in the past', 'query.date', 'validation_error');
    }
    const report = await runRetention(app, { dryRun: true, now: at });
    return ok(report);
  });
}
