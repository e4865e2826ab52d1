// GET /api/v1/encoding/jobs — the encoding jobs of the platform, newest video
// first, for managers and superusers (the admin's jobs page; operators):
// state, progress, error, attempts, the encoder holding it. Retrying one is
// POST /videos/{ref}/encode, the same endpoint owners use.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { requireManager } from '../auth/plugin.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AUTHENTICATED } from '../core/openapi.ts';
import { decodeCursor, PageMeta, PageQuery, pageOf } from '../core/pagination.ts';
import { model } from '../core/openapi-models.ts';

const STATUSES = ['queued', 'processing', 'ready', 'error'] as const;
const JobsQuery = Type.Object({
  status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)), { description: 'Only jobs of videos in this encoding state' })),
  ...PageQuery,
}, { additionalProperties: false });
const EncodingJob = model('EncodingJob', Type.Object({
  job_id: Type.String({ format: 'uuid' }),
  video: Type.Object({ id: Type.Integer(), slug: Type.String(), title: Type.String(), owner: Type.String() }),
  status: Type.Union(STATUSES.map((s) => Type.Literal(s))),
  progress: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  log: Type.Union([Type.String(), Type.Null()], { description: "The end of the encoder's log when it failed (Esup-Runner's script_output)" }),
  attempts: Type.Integer({ description: 'Attempts started so far (the queue retries failures)' }),
  max_attempts: Type.Integer(),
  encoder: Type.Union([Type.String(), Type.Null()], { description: 'Name of the encoder holding the job now' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
}));

export async function encodingJobsRoute(app: FastifyInstance) {
  app.get('/api/v1/encoding/jobs', {
    schema: {
      operationId: 'listEncodingJobs', errors: ['forbidden', 'invalid_cursor'], tags: ['encoding'], summary: 'Encoding jobs, newest video first (managers, superusers); retry with POST /videos/{ref}/encode',
      security: AUTHENTICATED, querystring: JobsQuery, response: { 200: Envelope(Type.Array(EncodingJob), PageMeta) },
    },
  }, async (request) => {
    requireManager(request);
    const q = request.query as Static<typeof JobsQuery>;
    const limit = q.limit ?? 20;
    const after = decodeCursor(q.cursor, ['id']);
    let query = app.dbh.db.selectFrom('videos as v')
      .innerJoin('users as u', 'u.id', 'v.owner_id')
      .leftJoin('encoding_leases as l', (j) => j.onRef('l.job_id', '=', 'v.encoding_job_id').on('l.lease_until', '>', new Date()))
      .leftJoin('encoders as e', 'e.id', 'l.encoder_id')
      .select(['v.id', 'v.slug', 'v.title', 'u.username', 'v.encoding_job_id', 'v.encoding_status', 'v.encoding_progress',
        'v.encoding_error_code', 'v.encoding_error_message', 'v.encoding_updated_at', 'v.encoding_log', 'e.name as encoder'])
      .where('v.encoding_job_id', 'is not', null).where('v.deleted_at', 'is', null);
    if (q.status) query = query.where('v.encoding_status', '=', q.status);
    if (after) query = query.where('v.id', '<', after[0] as number);
    const rows = await query.orderBy('v.id', 'desc').limit(limit + 1).execute();
    const page = pageOf(rows, limit, (r) => [Number(r.id)]);
    const items = await Promise.all(page.items.map(async (r) => {
      const job = await app.jobs.encodingJob(r.encoding_job_id!).catch(() => null);
      const started = job ? job.retryCount + (job.state === 'created' || job.state === 'retry' ? 0 : 1) : 0;
      return {
        job_id: r.encoding_job_id!,
        video: { id: Number(r.id), slug: r.slug, title: r.title, owner: r.username },
        status: r.encoding_status as (typeof STATUSES)[number],
        progress: r.encoding_progress,
        error: r.encoding_error_code ? { code: r.encoding_error_code, message: r.encoding_error_message ?? '' } : null,
        log: r.encoding_log,
        attempts: started,
        max_attempts: app.config.ENCODING_MAX_ATTEMPTS,
        encoder: r.encoder ?? null,
        updated_at: r.encoding_updated_at ? new Date(r.encoding_updated_at).toISOString() : null,
      };
    }));
    return ok(items, page.meta);
  });
}
