// Job hand-outs and their leases, shared by the pull protocol (encoders.ts)
// and push dispatch (push.ts). Handing a job out creates a lease with a fresh
// lease id; the signed file URLs given with it (source download, outputs
// upload) carry that id and work only while that very lease is alive: they
// die when the lease expires, when the attempt settles (ready or error: the
// lease row is deleted), when a retry hands the job out again (new lease id),
// and when a newer source supersedes the job or the video is deleted.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { notifyEncodingEnded } from '../notifications/notify.ts';
import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../core/errors.ts';
import { QUEUES } from '../core/jobs.ts';

const FILES_AUDIENCE = 'pod-api:encoder-files';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type FileScope = 'source' | 'outputs';

export interface CandidateVideo {
  id: number;
  encoding_job_id: string | null;
  encoding_status: string;
  source_filename: string | null;
  source_size: number | null;
  deleted_at: Date | null;
}

/** A job is handed out only if it is still its video's current, unsettled job. */
export function isCurrent(video: CandidateVideo | undefined, jobId: string): video is CandidateVideo {
  return Boolean(video && !video.deleted_at && video.encoding_job_id === jobId && !['ready', 'error'].includes(video.encoding_status));
}

/**
 * The job and video a file URL token grants, if the token is ours, of this
 * scope, and its lease is still the live lease of the video's current job;
 * otherwise a 403 (`invalid_file_token`: forged or expired; `file_url_revoked`:
 * the attempt it was given for is over).
 */
export async function readFileToken(app: FastifyInstance, token: string, scope: FileScope): Promise<{ vid: number; job: string }> {
  let claims: { vid: number; job: string; lease: string };
  try {
    const { payload } = await jwtVerify(token, app.keys.derive('encoder-files'), { algorithms: ['HS256'], audience: FILES_AUDIENCE });
    if (payload.scope !== scope || typeof payload.vid !== 'number' || typeof payload.job !== 'string' || typeof payload.lease !== 'string'
      || !UUID.test(payload.job) || !UUID.test(payload.lease)) throw new Error('scope');
    claims = payload as unknown as typeof claims;
  } catch {
    throw new AppError(403, 'invalid_file_token', 'This file URL is invalid or expired');
  }
  const live = await app.dbh.db.selectFrom('encoding_leases as l').innerJoin('videos as v', 'v.id', 'l.video_id').select('l.video_id')
    .where('l.job_id', '=', claims.job).where('l.lease_id', '=', claims.lease).where('l.video_id', '=', claims.vid)
    .where('l.lease_until', '>', new Date())
    .where('v.encoding_job_id', '=', claims.job).where('v.deleted_at', 'is', null).where('v.encoding_status', 'not in', ['ready', 'error'])
    .executeTakeFirst();
  if (!live) {
    throw new AppError(403, 'file_url_revoked', 'This file URL belonged to an attempt that is over (settled, lease lost, superseded or video deleted)');
  }
  return { vid: claims.vid, job: claims.job };
}

/** Leases a fetched job to an encoder and builds what the encoder needs (same payload for pull and push). */
export async function takeJob(app: FastifyInstance, jobId: string, video: CandidateVideo, encoderId: string, base: string) {
  const leaseS = app.config.ENCODER_LEASE_S;
  const until = new Date(Date.now() + leaseS * 1000);
  const leaseId = randomUUID();
  await app.dbh.db.insertInto('encoding_leases').values({ job_id: jobId, lease_id: leaseId, video_id: video.id, encoder_id: encoderId, lease_until: until })
    .onConflict((oc) => oc.column('job_id').doUpdateSet({ lease_id: leaseId, encoder_id: encoderId, lease_until: until })).execute();
  // The signature's own expiry only bounds a URL whose lease row is somehow never removed.
  const ttl = Math.max(leaseS * 4, 3600);
  const key = app.keys.derive('encoder-files');
  const fileToken = (scope: FileScope) => new SignJWT({ vid: video.id, job: jobId, lease: leaseId, scope })
    .setProtectedHeader({ alg: 'HS256' }).setAudience(FILES_AUDIENCE).setIssuedAt().setExpirationTime(`${ttl}s`).sign(key);
  const detail = await app.jobs.encodingJob(jobId);
  return {
    job_id: jobId,
    video_id: video.id,
    attempt: (detail?.retryCount ?? 0) + 1,
    source: { url: `${base}/api/v1/encoders/files/${await fileToken('source')}`, filename: video.source_filename ?? 'source', size: video.source_size },
    outputs: { prefix: `encodings/${video.id}/`, upload_url: `${base}/api/v1/encoders/files/${await fileToken('outputs')}` },
    heartbeat_url: `${base}/api/v1/encoders/jobs/${jobId}/heartbeat`,
    callback_url: `${base}/api/v1/internal/encoding-callback`,
    lease_s: leaseS,
  };
}

/** Fails the pg-boss job of every expired lease; the video returns to `queued`, or to `error` after the last attempt. */
export async function reapExpiredLeases(app: FastifyInstance): Promise<number> {
  const expired = await app.dbh.db.deleteFrom('encoding_leases').where('lease_until', '<', new Date())
    .returning(['job_id', 'video_id']).execute();
  for (const lease of expired) {
    await app.jobs.boss.fail(QUEUES.videoEncode, lease.job_id, { reason: 'encoder_lost' });
    const job = await app.jobs.encodingJob(lease.job_id);
    const final = job?.state === 'failed';
    const state = final
      ? { status: 'error' as const, progress: null, error: { code: 'encoder_lost', message: 'The encoder stopped answering on every attempt' } }
      : { status: 'queued' as const, progress: null, error: null };
    const updated = await app.dbh.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('videos').set({
        encoding_status: state.status, encoding_progress: null,
        encoding_error_code: state.error?.code ?? null, encoding_error_message: state.error?.message ?? null, encoding_updated_at: new Date(),
      }).where('id', '=', lease.video_id).where('encoding_job_id', '=', lease.job_id).where('encoding_status', 'not in', ['ready', 'error']).executeTakeFirst();
      const applied = Number(r.numUpdatedRows) > 0;
      if (applied && state.error) await notifyEncodingEnded(app, tx, lease.video_id, { status: 'error', message: state.error.message });
      return applied;
    });
    if (updated) app.encodingBus.publish(lease.video_id, state);
  }
  return expired.length;
}
