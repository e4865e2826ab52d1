// Tasks nobody heard of for RUNNER_RECONCILE_AFTER_S: a notify lost while
// pod-api was down (the manager gives up after five tries), a manager that
// restarted and forgot its tasks, a hand-out cut short by a crash. Each is
// asked for at its manager (GET /task/status/{id}) and settled as its notify
// would have; a task the manager no longer knows, or a hand-out that never
// finished, is handed out again. No video waits forever in `processing`.
import type { FastifyInstance } from 'fastify';
import { runnerManagers } from '../core/config.ts';
import { QUEUES } from '../core/jobs.ts';
import { managerOf, settleTask } from './tasks.ts';
import { taskStatus } from './manager-client.ts';

/** Encodes the video again from its source (a new job), when this task still was its current one. */
async function handOutAgain(app: FastifyInstance, row: { id: string; video_id: number; job_id: string | null; kind: string }, why: string) {
  await app.dbh.db.transaction().execute(async (tx) => {
    await tx.updateTable('runner_tasks').set({ status: 'lost', error_message: why }).where('id', '=', row.id).execute();
    if (row.kind !== 'encoding') return;
    const video = await tx.selectFrom('videos').select(['source_key', 'encoding_job_id', 'deleted_at']).where('id', '=', row.video_id).forUpdate().executeTakeFirst();
    if (!video?.source_key || video.deleted_at || video.encoding_job_id !== row.job_id) return;
    const jobId = await app.jobs.enqueueEncoding(tx, { video_id: row.video_id, source_key: video.source_key, upload_id: null });
    await tx.updateTable('videos').set({ encoding_job_id: jobId, encoding_status: 'queued', encoding_progress: null, encoding_updated_at: new Date() })
      .where('id', '=', row.video_id).execute();
  });
  app.jobs.notify(QUEUES.videoEncode);
  app.encodingBus.publish(row.video_id, { status: 'queued', progress: null, error: null });
}

/** One pass; returns how many tasks it settled or handed out again. */
export async function reconcileRunnerTasks(app: FastifyInstance): Promise<number> {
  const quiet = new Date(Date.now() - app.config.RUNNER_RECONCILE_AFTER_S * 1000);
  // A hand-out still waiting on its managers' answers is not interrupted: give it every manager's timeout.
  const handOutS = app.config.RUNNER_EXECUTE_TIMEOUT_S * (runnerManagers(app.config).length + 1);
  const interrupted = new Date(Math.min(quiet.getTime(), Date.now() - handOutS * 1000));
  const stale = await app.dbh.db.selectFrom('runner_tasks').select(['id', 'task_id', 'video_id', 'job_id', 'kind', 'status', 'manager_url'])
    .where((eb) => eb.or([
      eb.and([eb('status', '=', 'running'), eb('updated_at', '<', quiet)]),
      eb.and([eb('status', '=', 'dispatching'), eb('updated_at', '<', interrupted)]),
    ])).orderBy('updated_at').limit(100).execute();
  let done = 0;
  for (const row of stale) {
    const manager = managerOf(app, row.manager_url);
    if (row.status === 'dispatching' || !row.task_id || !manager) {
      await handOutAgain(app, row, row.status === 'dispatching' ? 'The hand-out was interrupted' : 'Its Runner Manager is no longer configured');
      done++;
      continue;
    }
    let status;
    try {
      status = await taskStatus(manager, row.task_id);
    } catch (err) {
      app.log.warn({ err, task_id: row.task_id }, 'Runner Manager unreachable while reconciling; later');
      continue;
    }
    if (!status) {
      await handOutAgain(app, row, 'The Runner Manager no longer knows this task (restarted?)');
      done++;
    } else if (status.status === 'completed' || status.status === 'failed' || status.status === 'timeout') {
      await settleTask(app, row.task_id, { status: status.status, error_message: status.error ?? null, script_output: status.script_output ?? null });
      done++;
    } else {
      // Still running (or `warning`: the manager keeps retrying its notify): ask again later.
      await app.dbh.db.updateTable('runner_tasks').set({ updated_at: new Date() }).where('id', '=', row.id).execute();
    }
  }
  return done;
}
