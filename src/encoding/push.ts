// Push dispatch: when ENCODER_PUSH_URL is set, the API hands each job to that
// encoder service itself — a POST of the same job payload as a pull claim,
// signed with the Standard Webhooks scheme and secret of the callbacks, plus
// an encoder token for its heartbeats. A refusal (non-2xx, timeout) fails the
// job in the queue (retry with backoff). Progress, results and leases then
// work exactly as in pull mode.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { sha256 } from '../auth/sessions.ts';
import { QUEUES, type VideoEncodeJob } from '../core/jobs.ts';
import { isCurrent, takeJob } from './leases.ts';
import { encoderSecrets } from './secrets.ts';

export async function startPushDispatch(app: FastifyInstance, url: string): Promise<() => void> {
  const webhook = new Webhook(encoderSecrets(app.config, app.keys).webhookSecret);
  // One encoder identity per API process for the pushed jobs; its token travels with each job.
  const token = randomUUID() + randomUUID();
  const encoderId = randomUUID();
  await app.dbh.db.insertInto('encoders').values({ id: encoderId, name: `push:${new URL(url).host}`, token_hash: sha256(token) }).execute();
  const base = app.config.PUBLIC_URL.replace(/\/$/, '');
  return app.jobs.consume<VideoEncodeJob>(QUEUES.videoEncode, async (job) => {
    const video = await app.dbh.db.selectFrom('videos').select(['id', 'encoding_job_id', 'encoding_status', 'source_filename', 'source_size', 'deleted_at'])
      .where('id', '=', job.data.video_id).executeTakeFirst();
    if (!isCurrent(video, job.id)) {
      await app.jobs.boss.complete(QUEUES.videoEncode, job.id);
      return;
    }
    const payload = JSON.stringify({ ...(await takeJob(app, job.id, video, encoderId, base)), encoder_token: token });
    const id = `job_${job.id}_${randomUUID()}`;
    const now = new Date();
    let accepted = false;
    try {
      const res = await fetch(url, {
        method: 'POST', body: payload, signal: AbortSignal.timeout(10_000),
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': webhook.sign(id, now, payload) },
      });
      accepted = res.ok;
      if (!accepted) app.log.warn({ status: res.status, job: job.id }, 'push encoder refused the job');
    } catch (err) {
      app.log.warn({ err, job: job.id }, 'push encoder unreachable');
    }
    if (!accepted) {
      await app.dbh.db.deleteFrom('encoding_leases').where('job_id', '=', job.id).execute();
      await app.jobs.boss.fail(QUEUES.videoEncode, job.id, { reason: 'push_refused' });
    }
  });
}
