// Handing tasks to Runner Managers and settling them. A task gets our id
// before it is handed out; its source URL carries that id and works only
// while the task runs. Managers are tried by priority; when none takes an
// encoding (all busy: the manager has no queue and answers 503, or
// unreachable), the job goes back to the queue, spaced out, without using up
// an attempt: the video stays `queued`, the reason in its `encoding.error`.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { API_VERSION } from '../core/openapi.ts';
import { DEFAULT_RUNNER_RENDITIONS, runnerManagers, type RunnerManagerSetting } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { QUEUES, type VideoEncodeJob } from '../core/jobs.ts';
import { applyEncodingEvent } from '../encoding/state.ts';
import { executeTask, ManagerHttpError, type ExecuteRequest } from './manager-client.ts';

const SOURCE_AUDIENCE = 'pod-api:runner-source';
const SOURCE_TTL_S = 24 * 3600;
/** The end of a runner's log kept for editors (the whole log is tens of kilobytes per task). */
export const LOG_TAIL_CHARS = 4000;
// The runner downloads only URLs whose path ends in one of its media extensions.
const RUNNER_EXTENSIONS = new Set(['3gp', 'avi', 'divx', 'flv', 'm2p', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'mts', 'wmv', 'mp3', 'ogg', 'wav', 'wma', 'webm', 'ts']);
// Ours that it does not know: the same bytes under a name it accepts (ffmpeg reads by content).
const RUNNER_ALIASES: Record<string, string> = { m4a: 'mp4', opus: 'ogg', flac: 'mkv' };

export const tailOf = (text: string | null | undefined) => (text ? text.slice(-LOG_TAIL_CHARS) : null);

/** The manager of that URL in the configuration (a task keeps the URL it was handed to). */
export function managerOf(app: FastifyInstance, url: string): RunnerManagerSetting | undefined {
  return runnerManagers(app.config).find((m) => m.url === url);
}

function sourceExtension(filename: string | null): string {
  const ext = (/\.([a-z0-9]{1,5})$/i.exec(filename ?? '')?.[1] ?? 'mp4').toLowerCase();
  return RUNNER_EXTENSIONS.has(ext) ? ext : RUNNER_ALIASES[ext] ?? 'mkv';
}

/** The capability URL a runner downloads the source from: no credentials, dead once the task settles. */
async function sourceUrl(app: FastifyInstance, runnerTaskId: string, filename: string | null): Promise<string> {
  const token = await new SignJWT({ rt: runnerTaskId }).setProtectedHeader({ alg: 'HS256' }).setAudience(SOURCE_AUDIENCE)
    .setIssuedAt().setExpirationTime(`${SOURCE_TTL_S}s`).sign(app.keys.derive('runner-source'));
  return `${app.config.PUBLIC_URL.replace(/\/$/, '')}/api/v1/runner/sources/${token}/source.${sourceExtension(filename)}`;
}

/** The runner task a source URL token grants, if the token is ours and the task still runs; else a 403. */
export async function runnerTaskOfSourceToken(app: FastifyInstance, token: string) {
  let id: string;
  try {
    const { payload } = await jwtVerify(token, app.keys.derive('runner-source'), { algorithms: ['HS256'], audience: SOURCE_AUDIENCE });
    if (typeof payload.rt !== 'string' || !/^[0-9a-f-]{36}$/.test(payload.rt)) throw new Error('shape');
    id = payload.rt;
  } catch {
    throw new AppError(403, 'invalid_source_token', 'This source URL is invalid or expired');
  }
  const row = await app.dbh.db.selectFrom('runner_tasks as t').innerJoin('videos as v', 'v.id', 't.video_id')
    .select(['v.source_key', 'v.source_mime', 't.kind'])
    .where('t.id', '=', id).where('t.status', 'in', ['dispatching', 'running']).where('v.deleted_at', 'is', null)
    .where((eb) => eb.or([eb('t.kind', '=', 'transcription'), eb('t.job_id', '=', eb.ref('v.encoding_job_id'))]))
    .executeTakeFirst();
  if (!row) throw new AppError(403, 'source_url_revoked', 'This source URL belonged to a task that is over (settled, superseded or video deleted)');
  return row;
}

interface DispatchVideo {
  id: number;
  slug: string;
  title: string;
  source_filename: string | null;
  owner_affiliation: string;
}

/**
 * Creates the task row, then offers the task to each manager by priority.
 * Returns the accepting manager, or the reasons every manager gave (the row is then removed).
 */
export async function handOut(app: FastifyInstance, video: DispatchVideo, task: { kind: 'encoding'; jobId: string } | { kind: 'transcription'; language: string }) {
  const managers = runnerManagers(app.config);
  const id = randomUUID();
  await app.dbh.db.insertInto('runner_tasks').values({
    id, video_id: video.id, job_id: task.kind === 'encoding' ? task.jobId : null, kind: task.kind,
    language: task.kind === 'transcription' ? task.language : null, manager_url: managers[0]!.url, status: 'dispatching',
  }).execute();
  const base = app.config.PUBLIC_URL.replace(/\/$/, '');
  const request: ExecuteRequest = {
    etab_name: app.config.RUNNER_ETAB_NAME ?? new URL(app.config.PUBLIC_URL).hostname,
    app_name: app.config.RUNNER_APP_NAME,
    app_version: app.config.RUNNER_APP_VERSION ?? API_VERSION,
    task_type: task.kind,
    source_url: await sourceUrl(app, id, video.source_filename),
    affiliation: video.owner_affiliation || undefined,
    parameters: task.kind === 'encoding'
      ? { rendition: app.config.RUNNER_RENDITIONS ?? JSON.stringify(DEFAULT_RUNNER_RENDITIONS), video_id: String(video.id), video_slug: video.slug, video_title: video.title }
      : { language: task.language },
    notify_url: `${base}/api/v1/runner/notify`,
  };
  const refusals: string[] = [];
  for (const manager of managers) {
    try {
      const taskId = await executeTask(manager, request, app.config.RUNNER_EXECUTE_TIMEOUT_S * 1000);
      await app.dbh.db.updateTable('runner_tasks').set({ task_id: taskId, manager_url: manager.url, status: 'running' }).where('id', '=', id).where('status', '=', 'dispatching').execute();
      return { accepted: true as const, id, taskId, manager };
    } catch (err) {
      const why = err instanceof ManagerHttpError ? `${err.status} ${err.detail}` : (err as Error).message;
      refusals.push(`${new URL(manager.url).host}: ${why}`);
      app.log.warn({ manager: manager.url, err }, 'Runner Manager did not take the task');
    }
  }
  await app.dbh.db.deleteFrom('runner_tasks').where('id', '=', id).execute();
  return { accepted: false as const, refusals };
}

/** Hands one fetched encoding job to a manager, or puts it back to wait for one. */
export async function dispatchEncoding(app: FastifyInstance, job: { id: string; data: VideoEncodeJob }) {
  const video = await app.dbh.db.selectFrom('videos as v').innerJoin('users as u', 'u.id', 'v.owner_id')
    .select(['v.id', 'v.slug', 'v.title', 'v.source_filename', 'v.encoding_job_id', 'v.encoding_status', 'v.deleted_at', 'u.affiliation as owner_affiliation'])
    .where('v.id', '=', job.data.video_id).executeTakeFirst();
  if (!video || video.deleted_at || video.encoding_job_id !== job.id || ['ready', 'error'].includes(video.encoding_status)) {
    await app.jobs.boss.complete(QUEUES.videoEncode, job.id); // superseded or settled: retired
    return;
  }
  // Cleared before the hand-out, not after: a runner that fails at once may
  // notify before handOut returns, and its error must not be wiped.
  await app.dbh.db.updateTable('videos').set({ encoding_error_code: null, encoding_error_message: null, encoding_log: null })
    .where('id', '=', video.id).where('encoding_job_id', '=', job.id).execute();
  const outcome = await handOut(app, video, { kind: 'encoding', jobId: job.id });
  if (outcome.accepted) {
    await app.jobs.boss.complete(QUEUES.videoEncode, job.id);
    // No progress comes from a runner: `processing` from hand-out to import.
    await applyEncodingEvent(app, `runner:${outcome.id}:accepted`, { type: 'encoding.processing', video_id: video.id, job_id: job.id, progress: 0 });
    return;
  }
  // Nobody took it: a new job, later (15 s doubling, at most RUNNER_RETRY_MAX_DELAY_S), replaces this one.
  const attempt = (job.data.dispatch_attempt ?? 0) + 1;
  const delayS = Math.min(app.config.RUNNER_RETRY_MAX_DELAY_S, 15 * 2 ** Math.min(attempt - 1, 16));
  const next = new Date(Date.now() + delayS * 1000);
  const reason = { code: 'no_runner_available', message: `No Runner Manager took the encoding (${outcome.refusals.join('; ')}); next try at ${next.toISOString()}` };
  const moved = await app.dbh.db.transaction().execute(async (tx) => {
    const current = await tx.selectFrom('videos').select('id').where('id', '=', video.id).where('encoding_job_id', '=', job.id).forUpdate().executeTakeFirst();
    if (!current) return false;
    const jobId = await app.jobs.enqueueEncoding(tx, { ...job.data, dispatch_attempt: attempt }, { startAfterS: delayS });
    await tx.updateTable('videos').set({
      encoding_job_id: jobId, encoding_status: 'queued', encoding_progress: null,
      encoding_error_code: reason.code, encoding_error_message: reason.message.slice(0, 2000), encoding_updated_at: new Date(),
    }).where('id', '=', video.id).execute();
    return true;
  });
  await app.jobs.boss.complete(QUEUES.videoEncode, job.id);
  if (moved) app.encodingBus.publish(video.id, { status: 'queued', progress: null, error: reason });
}

export interface TaskReport {
  status: 'completed' | 'failed' | 'timeout';
  error_message?: string | null;
  script_output?: string | null;
}

/**
 * What a manager said of a task (its notify, or its status when the
 * reconciler asked): once per task, whatever the number of reports. A task
 * done well gets its import queued; a failure ends the encoding in `error`
 * with the runner's message, and the tail of its log for editors.
 */
export async function settleTask(app: FastifyInstance, taskId: string, report: TaskReport): Promise<'accepted' | 'duplicate' | 'superseded' | 'unknown'> {
  const tail = tailOf(report.script_output);
  const outcome = await app.dbh.db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('runner_tasks').selectAll().where('task_id', '=', taskId).forUpdate().executeTakeFirst();
    if (!row) return { verdict: 'unknown' as const };
    if (!['dispatching', 'running'].includes(row.status)) return { verdict: 'duplicate' as const, row };
    if (row.kind === 'encoding') {
      const video = await tx.selectFrom('videos').select(['encoding_job_id', 'deleted_at']).where('id', '=', row.video_id).executeTakeFirst();
      if (!video || video.deleted_at || video.encoding_job_id !== row.job_id) {
        await tx.updateTable('runner_tasks').set({ status: 'superseded', notified_at: new Date(), log_tail: tail }).where('id', '=', row.id).execute();
        return { verdict: 'superseded' as const, row };
      }
    }
    if (report.status === 'completed') {
      await tx.updateTable('runner_tasks').set({ status: 'completed', notified_at: new Date(), log_tail: tail }).where('id', '=', row.id).execute();
      await app.jobs.enqueueRunnerImport(tx, { runner_task_id: row.id });
    } else {
      await tx.updateTable('runner_tasks').set({
        status: report.status, notified_at: new Date(), log_tail: tail, error_message: (report.error_message ?? '').slice(0, 2000) || null,
      }).where('id', '=', row.id).execute();
    }
    return { verdict: 'accepted' as const, row };
  });
  if (outcome.verdict !== 'accepted') return outcome.verdict;
  const row = outcome.row;
  if (report.status === 'completed') {
    app.jobs.notify(QUEUES.runnerImport);
  } else if (row.kind === 'encoding') {
    const message = report.error_message?.trim() || (report.status === 'timeout' ? 'The runner ran out of time' : 'The runner reported a failure');
    await app.dbh.db.updateTable('videos').set({ encoding_log: tail }).where('id', '=', row.video_id).where('encoding_job_id', '=', row.job_id).execute();
    await applyEncodingEvent(app, `runner:${row.id}:${report.status}`, {
      type: 'encoding.error', video_id: row.video_id, job_id: row.job_id!,
      error: { code: report.status === 'timeout' ? 'runner_timeout' : 'runner_failed', message: message.slice(0, 2000) },
    });
  }
  return 'accepted';
}
