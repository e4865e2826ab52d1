// Durable jobs: pg-boss 12 on the same database — its own pool on
// PostgreSQL, the shared instance on embedded PGlite (pg-boss ships an
// adapter for each) — so jobs survive restarts, retry with backoff, expire
// and end in a dead-letter queue. Enqueueing inside one of our Kysely
// transactions (fromKysely) makes "state change + job" atomic: no lost and no
// phantom jobs. Measured before adoption: on PGlite, start 91 ms, 200 sends
// 239 ms; a rolled-back transaction leaves no job.
import { EventEmitter } from 'node:events';
import { fromKysely, fromPglite, PgBoss, type JobWithMetadata } from 'pg-boss';
import type { Transaction } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from './db/database.ts';
import { isDatabaseUnavailable, type DatabaseHandle } from './db/engine.ts';
import { serviceUnavailable } from './errors.ts';

export const QUEUES = {
  /** One job per accepted source: encode it. Consumed by the encoding capability (issue E). */
  videoEncode: 'video-encode',
  videoEncodeDead: 'video-encode-dead',
  /** One job per deleted video, due after VIDEO_PURGE_DELAY_S: delete its files (src/videos/purge.ts). */
  videoPurge: 'video-purge',
  /** One job per Esup-Runner task that ended well: download and register its results (src/runner/import.ts). */
  runnerImport: 'runner-import',
  /** One job per e-mail to send (src/notifications/): retried, backing off, while the SMTP server is down. */
  email: 'email-send',
} as const;

export interface EmailJob {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What it notifies (encoding_ready, retention_warning…): logs and tests. */
  kind: string;
}

export interface RunnerImportJob {
  runner_task_id: string;
}

export interface VideoPurgeJob {
  video_id: number;
}

export interface VideoEncodeJob {
  video_id: number;
  source_key: string;
  upload_id: string | null;
  /** Esup-Runner backend: how many times no Runner Manager could take it (spaces the next try). */
  dispatch_attempt?: number;
}

export interface Jobs {
  boss: PgBoss;
  /** Resolves once the queue is started (it retries in the background while the database is down). */
  ready: Promise<void>;
  /** Queues the encoding of a video's source inside the caller's transaction; returns the job id. */
  enqueueEncoding(tx: Transaction<Database>, job: VideoEncodeJob, opts?: { startAfterS?: number }): Promise<string>;
  /** Queues the import of an Esup-Runner task's results inside the caller's transaction. */
  enqueueRunnerImport(tx: Transaction<Database>, job: RunnerImportJob): Promise<string>;
  /** Queues the purge of a deleted video's files, due in `delayS` seconds, inside the caller's transaction. */
  enqueuePurge(tx: Transaction<Database>, job: VideoPurgeJob, delayS: number): Promise<string>;
  /** Queues an e-mail inside the caller's transaction: it goes out only if the change commits. */
  enqueueEmail(tx: Transaction<Database>, job: EmailJob): Promise<string>;
  /** Tells waiting consumers of this process that a job was committed (they also poll, for other nodes' jobs). */
  notify(queue: string): void;
  /** Resolves at the next notify(queue) or after `ms`, whichever first. */
  waitForJob(queue: string, ms: number): Promise<void>;
  /** One encoding job with its state and retry count, or null (pg-boss deletes jobs some time after they end). */
  encodingJob(id: string): Promise<JobWithMetadata<VideoEncodeJob> | null>;
  /**
   * Runs `handle` on the jobs of a queue one at a time, as they come: woken at
   * once by a job committed on this node (notify), polling every `idleMs` for
   * the others'. Returns the function that stops it.
   */
  consume<T extends object>(queue: string, handle: (job: JobWithMetadata<T>) => Promise<void>, opts?: { idleMs?: number }): () => void;
  /** Cancels a job still waiting (superseded source). */
  cancel(queue: string, id: string): Promise<void>;
  stop(): Promise<void>;
}

export interface JobOptions {
  maxAttempts: number;
  retryDelayS: number;
  emailAttempts: number;
  emailRetryDelayS: number;
}

export function startJobs(handle: DatabaseHandle, log: FastifyBaseLogger, opts: JobOptions): Jobs {
  const boss = new PgBoss(handle.kind === 'pglite'
    ? { db: fromPglite(handle.pglite!), schedule: false }
    : { connectionString: handle.url!, max: 3, schedule: false });
  boss.on('error', (err: Error) => log.error({ err }, 'job queue error'));
  let stopped = false;
  let started = false;
  const ready = (async () => {
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await boss.start();
        break;
      } catch (err) {
        if (stopped || !isDatabaseUnavailable(err)) throw err;
        log.warn({ err }, `job queue: database unavailable, retrying in ${delay / 1000} s`);
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    started = true;
    await ensureQueue(boss, QUEUES.videoEncodeDead, {});
    await ensureQueue(boss, QUEUES.videoEncode, {
      // retryLimit counts retries after the first attempt.
      retryLimit: opts.maxAttempts - 1, retryDelay: opts.retryDelayS, retryBackoff: opts.retryDelayS > 0,
      expireInSeconds: 6 * 3600, deadLetter: QUEUES.videoEncodeDead,
    });
    // A purge that fails (storage unreachable) is retried for about a day, backing off.
    await ensureQueue(boss, QUEUES.videoPurge, { retryLimit: 12, retryDelay: 30, retryBackoff: true, expireInSeconds: 3600 });
    // An import that fails (manager unreachable, a file cut short) is tried again, backing off, for about an hour.
    await ensureQueue(boss, QUEUES.runnerImport, { retryLimit: 6, retryDelay: 20, retryBackoff: true, expireInSeconds: 6 * 3600 });
    // An e-mail waits out an SMTP outage: backing off from EMAIL_RETRY_DELAY_S, an hour apart at most.
    await ensureQueue(boss, QUEUES.email, {
      retryLimit: opts.emailAttempts - 1, retryDelay: opts.emailRetryDelayS, retryBackoff: true, retryDelayMax: Math.max(3600, opts.emailRetryDelayS), expireInSeconds: 300,
    });
  })();
  ready.catch((err: unknown) => log.error({ err }, 'job queue failed to start'));
  const whenReady = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([ready, new Promise((_, reject) => { timer = setTimeout(() => reject(serviceUnavailable('The job queue is not available yet')), 5000); })]);
    } finally {
      clearTimeout(timer);
    }
  };
  const wake = new EventEmitter().setMaxListeners(0);
  const waitForJob = (queue: string, ms: number) => new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wake.off(queue, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wake.once(queue, done);
  });
  return {
    boss,
    ready,
    notify: (queue) => void wake.emit(queue),
    waitForJob,
    async enqueueEncoding(tx, job, opts = {}) {
      await whenReady();
      const id = await boss.send(QUEUES.videoEncode, job, { db: fromKysely(tx), ...(opts.startAfterS ? { startAfter: opts.startAfterS } : {}) });
      if (!id) throw new Error('the job queue refused the encoding job');
      return id;
    },
    async enqueueRunnerImport(tx, job) {
      await whenReady();
      const id = await boss.send(QUEUES.runnerImport, job, { db: fromKysely(tx) });
      if (!id) throw new Error('the job queue refused the import job');
      return id;
    },
    async enqueuePurge(tx, job, delayS) {
      await whenReady();
      const id = await boss.send(QUEUES.videoPurge, job, { db: fromKysely(tx), startAfter: delayS });
      if (!id) throw new Error('the job queue refused the purge job');
      return id;
    },
    async enqueueEmail(tx, job) {
      await whenReady();
      const id = await boss.send(QUEUES.email, job, { db: fromKysely(tx) });
      if (!id) throw new Error('the job queue refused the e-mail');
      return id;
    },
    async encodingJob(id) {
      const [job] = await boss.findJobs<VideoEncodeJob>(QUEUES.videoEncode, { id });
      return job ?? null;
    },
    consume(queue, handle, consumeOpts = {}) {
      let stopping = false;
      const loop = async () => {
        await ready;
        while (!stopping) {
          const [job] = await boss.fetch(queue, { batchSize: 1, includeMetadata: true }).catch(() => []);
          if (!job) {
            await waitForJob(queue, consumeOpts.idleMs ?? 1000);
            continue;
          }
          await handle(job as never).catch((err: unknown) => log.error({ err, queue, job: job.id }, 'job handler failed'));
        }
      };
      void loop().catch((err: unknown) => log.error({ err, queue }, 'job consumer stopped'));
      return () => {
        stopping = true;
      };
    },
    async cancel(queue, id) {
      await whenReady();
      await boss.cancel(queue, id).catch((err: unknown) => log.warn({ err }, 'job cancel failed'));
    },
    // Closes pg-boss's own pool (PostgreSQL); the shared PGlite instance is closed by its owner.
    async stop() {
      stopped = true;
      if (started) await boss.stop({ graceful: false, timeout: 5000 });
    },
  };
}

async function ensureQueue(boss: PgBoss, name: string, options: Parameters<PgBoss['createQueue']>[1]) {
  if (!(await boss.getQueue(name))) await boss.createQueue(name, options);
  else if (options && Object.keys(options).length) await boss.updateQueue(name, options);
}
