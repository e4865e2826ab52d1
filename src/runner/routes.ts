// Esup-Runner as the encoding backend (ENCODING_BACKEND=esup-runner): the
// routes a Runner Manager and its runners call — the task's source (a
// capability URL, no credentials: the runner downloads with a plain GET) and
// the notify_url — and the loops that drive it: dispatch from the durable
// queue, the import of results, the reconciler.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { runnerManagers } from '../core/config.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, notFound } from '../core/errors.ts';
import { PUBLIC } from '../core/openapi.ts';
import { QUEUES, type VideoEncodeJob } from '../core/jobs.ts';
import { sendSourceFile, SOURCE_FILE_TYPES } from '../encoding/source-file.ts';
import { startImportWorker } from './import.ts';
import { reconcileRunnerTasks } from './reconcile.ts';
import { dispatchEncoding, managerOf, runnerTaskOfSourceToken, settleTask } from './tasks.ts';
import { transcriptionRoutes } from './transcripts.ts';

const NotifyBody = Type.Object({
  task_id: Type.String({ minLength: 1, maxLength: 200 }),
  status: Type.Union([Type.Literal('completed'), Type.Literal('failed'), Type.Literal('timeout')]),
  error_message: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  script_output: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'The whole log of the task; its end is kept' })),
  // A manager of a later version may say more: what is not understood is ignored, never refused.
}, { additionalProperties: true });

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant-time equality of two secrets (through their digests: equal lengths whatever they are). */
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export async function runnerRoutes(app: FastifyInstance) {
  const enabled = app.config.ENCODING_BACKEND === 'esup-runner';
  const disabled = () => new AppError(404, 'runner_backend_disabled', 'pod-api does not encode on Esup-Runner here (ENCODING_BACKEND)');

  await app.register(transcriptionRoutes);

  app.get('/api/v1/runner/sources/:token/:name', {
    schema: {
      operationId: 'downloadRunnerSource', errors: ['runner_backend_disabled', 'invalid_source_token', 'source_url_revoked', 'not_found', 'range_not_satisfiable'], tags: ['encoding'], summary: 'The source of an Esup-Runner task (capability URL from the task; dead once the task settles; Range accepted)', security: PUBLIC,
      mediaTypes: { 200: SOURCE_FILE_TYPES, 206: SOURCE_FILE_TYPES },
      responseHeaders: { 200: ['Accept-Ranges', 'Last-Modified'], 206: ['Accept-Ranges', 'Content-Range'] },
      params: Type.Object({ token: Type.String({ maxLength: 2000 }), name: Type.String({ maxLength: 100, pattern: '^[\\w-]+\\.[a-z0-9]{1,5}$' }) }),
      response: { 200: Type.String({ description: 'bytes' }), 206: Type.String({ description: 'bytes' }) },
    },
  }, async (request, reply) => {
    if (!enabled) throw disabled();
    const task = await runnerTaskOfSourceToken(app, (request.params as { token: string }).token);
    return sendSourceFile(app, request, reply, task.source_key, task.source_mime);
  });

  // The manager sends compact JSON; its token is checked before the body is read for anything.
  const bearerOf = (request: FastifyRequest) => /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''))?.[1] ?? '';
  app.post('/api/v1/runner/notify', {
    bodyLimit: 32 * 1024 * 1024, // script_output is the whole log of the task
    schema: {
      operationId: 'receiveRunnerNotification', errors: ['runner_backend_disabled', 'invalid_token', 'not_found'], tags: ['encoding'],
      summary: 'notify_url of Esup-Runner tasks: the Runner Manager reports a task ended (Authorization: Bearer <the manager\'s token>)',
      description: 'Answers at once; a completed task\'s results are imported by a durable job. Duplicate and late notifies are acknowledged and change nothing. 401 without one of the managers\' tokens; 404 for a task this pod-api did not hand to that manager.',
      security: [{ runnerManagerToken: [] }],
      body: NotifyBody,
      response: { 200: Envelope(Type.Object({ outcome: Type.String({ description: 'accepted, duplicate or superseded' }) })) },
    },
    config: { ownAuthorization: true, csrfExempt: true },
    preValidation: async (request) => {
      if (!enabled) throw disabled();
      const token = bearerOf(request);
      if (!token || !runnerManagers(app.config).some((m) => sameSecret(m.token, token))) {
        throw new AppError(401, 'invalid_token', 'Send the Runner Manager\'s token as "Authorization: Bearer <token>"');
      }
    },
  }, async (request) => {
    const body = request.body as Static<typeof NotifyBody>;
    const row = await app.dbh.db.selectFrom('runner_tasks').select(['manager_url']).where('task_id', '=', body.task_id).executeTakeFirst();
    // Only the manager a task was handed to reports on it (another manager's token: as unknown).
    const manager = row ? managerOf(app, row.manager_url) : undefined;
    if (!row || !manager || !sameSecret(manager.token, bearerOf(request))) throw notFound('No such task was handed to this Runner Manager');
    const outcome = await settleTask(app, body.task_id, { status: body.status, error_message: body.error_message ?? null, script_output: body.script_output ?? null });
    if (outcome === 'unknown') throw notFound('No such task was handed to this Runner Manager');
    request.log.info({ task_id: body.task_id, status: body.status, outcome }, 'runner notify');
    return ok({ outcome });
  });

  if (!enabled) return;
  // Dispatch: the same durable queue as the other backends, handed to the managers.
  const stopDispatch = app.jobs.consume<VideoEncodeJob>(QUEUES.videoEncode, (job) => dispatchEncoding(app, job).catch(async (err: unknown) => {
    app.log.error({ err, job: job.id }, 'runner dispatch failed');
    await app.jobs.boss.fail(QUEUES.videoEncode, job.id, { reason: 'dispatch_failed' }).catch(() => {});
  }));
  const stopImports = startImportWorker(app);
  const everyMs = Math.min(60_000, Math.max(500, app.config.RUNNER_RECONCILE_AFTER_S * 500));
  const timer = setInterval(() => void reconcileRunnerTasks(app).catch((err: unknown) => app.log.warn({ err }, 'runner reconciler failed')), everyMs);
  timer.unref();
  app.addHook('onClose', async () => {
    stopDispatch();
    stopImports();
    clearInterval(timer);
  });
}
