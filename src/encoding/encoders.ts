// The pull protocol for encoders: register with the registration token,
// long-poll for a job, download the source and upload outputs through
// short-lived signed URLs, heartbeat (which extends a lease and reports
// progress), finish with the signed callback. A job whose lease expires goes
// back to the queue (pg-boss retry, with backoff) or, after the last attempt,
// leaves the video in `error` (encoder_lost). Any language can implement it:
// plain HTTP + JSON (docs/encoder-protocol.md).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { sha256 } from '../auth/sessions.ts';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, unauthorized } from '../core/errors.ts';
import { QUEUES, type VideoEncodeJob } from '../core/jobs.ts';
import { assertKey, StorageKeyError } from '../core/storage/storage.ts';
import { applyEncodingEvent } from './state.ts';
import { encoderSecrets } from './secrets.ts';
import { isCurrent, readFileToken, reapExpiredLeases, takeJob } from './leases.ts';
import { startPushDispatch } from './push.ts';
import { sendSourceFile, SOURCE_FILE_TYPES } from './source-file.ts';
import { model } from '../core/openapi-models.ts';
import { ENCODER, PUBLIC } from '../core/openapi.ts';

export function registrationToken(app: FastifyInstance): string {
  return encoderSecrets(app.config, app.keys).registrationToken;
}

const Job = model('EncoderJob', Type.Object({
  job_id: Type.String({ format: 'uuid' }),
  video_id: Type.Integer(),
  attempt: Type.Integer({ description: '1 for the first try' }),
  source: Type.Object({ url: Type.String({ description: 'GET (byte ranges accepted)' }), filename: Type.String(), size: Type.Union([Type.Integer(), Type.Null()]) }),
  outputs: Type.Object({
    prefix: Type.String({ description: 'Storage prefix of every output key (encodings/<video_id>/)' }),
    upload_url: Type.String({ description: 'PUT <upload_url>/<relative path> for each output file' }),
  }),
  heartbeat_url: Type.String(),
  callback_url: Type.String({ description: 'Signed Standard Webhooks callback for progress, ready, error' }),
  lease_s: Type.Integer({ description: 'Heartbeat well within this many seconds or lose the job' }),
}));

export async function encoderRoutes(app: FastifyInstance) {
  const db = () => app.dbh.db;
  // URLs handed to an encoder use the address it reached us by (an internal
  // name inside a cluster; X-Forwarded-* when TRUST_PROXY is on).
  const baseOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  async function encoderOf(request: FastifyRequest) {
    const token = request.headers['x-encoder-token'];
    if (typeof token !== 'string' || !token) throw unauthorized('Send the encoder token in X-Encoder-Token', 'encoder_token_required');
    const row = await db().updateTable('encoders').set({ last_seen_at: new Date() }).where('token_hash', '=', sha256(token))
      .returning(['id', 'name']).executeTakeFirst();
    if (!row) throw unauthorized('Unknown encoder token', 'invalid_encoder_token');
    return row;
  }

  app.post('/api/v1/encoders/register', {
    schema: {
      operationId: 'registerEncoder', errors: ['invalid_registration_token'], tags: ['encoding'], summary: 'Register an encoder (needs the registration token); returns its own token, shown once', security: PUBLIC,
      body: Type.Object({ registration_token: Type.String({ minLength: 1, maxLength: 500 }), name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
      response: { 201: Envelope(Type.Object({ encoder_id: Type.String({ format: 'uuid' }), token: Type.String() })) },
    },
    config: { rateLimit: { max: app.config.AUTH_RATE_LIMIT_MAX, timeWindow: app.config.AUTH_RATE_LIMIT_WINDOW_MS }, csrfExempt: true },
  }, async (request, reply) => {
    const body = request.body as { registration_token: string; name: string };
    const expected = Buffer.from(registrationToken(app));
    const given = Buffer.from(body.registration_token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized('Wrong registration token', 'invalid_registration_token');
    const token = randomUUID() + randomUUID();
    const id = randomUUID();
    await db().insertInto('encoders').values({ id, name: body.name, token_hash: sha256(token) }).execute();
    reply.code(201);
    return ok({ encoder_id: id, token });
  });

  app.post('/api/v1/encoders/jobs/claim', {
    schema: {
      operationId: 'claimEncodingJob', errors: ['encoder_token_required', 'invalid_encoder_token', 'encoding_backend_esup_runner'], tags: ['encoding'], summary: 'Take the next encoding job, waiting up to wait_s seconds for one (long-poll); data is null when none came',
      security: ENCODER, optionalBody: true,
      body: Type.Optional(Type.Object({ wait_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })) }, { additionalProperties: false })),
      response: { 200: Envelope(Type.Union([Job, Type.Null()])) },
    },
  }, async (request) => {
    const encoder = await encoderOf(request);
    if (app.config.ENCODING_BACKEND !== 'pod') {
      throw new AppError(409, 'encoding_backend_esup_runner', 'This pod-api encodes on Esup-Runner (ENCODING_BACKEND=esup-runner): its own encoders get no job');
    }
    const wait = ((request.body ?? {}) as { wait_s?: number }).wait_s ?? 20;
    const deadline = Date.now() + wait * 1000;
    let gone = false;
    request.raw.once('close', () => (gone = true));
    for (;;) {
      const [job] = await app.jobs.boss.fetch<VideoEncodeJob>(QUEUES.videoEncode, { batchSize: 1 });
      if (job) {
        const video = await db().selectFrom('videos').select(['id', 'encoding_job_id', 'encoding_status', 'source_filename', 'source_size', 'deleted_at'])
          .where('id', '=', job.data.video_id).executeTakeFirst();
        // A job superseded by a newer source, or already settled, is retired silently.
        if (!isCurrent(video, job.id)) {
          await app.jobs.boss.complete(QUEUES.videoEncode, job.id);
          continue;
        }
        return ok(await takeJob(app, job.id, video, encoder.id, baseOf(request)));
      }
      if (gone || Date.now() >= deadline) return ok(null);
      // Woken at once by a job committed on this node; polling covers the other nodes.
      await app.jobs.waitForJob(QUEUES.videoEncode, Math.min(250, Math.max(0, deadline - Date.now())));
    }
  });

  app.post('/api/v1/encoders/jobs/:job_id/heartbeat', {
    schema: {
      operationId: 'heartbeatEncodingJob', errors: ['encoder_token_required', 'invalid_encoder_token', 'lease_lost'], tags: ['encoding'], summary: 'Keep the job (extends its lease) and report progress; 409 lease_lost means stop working on it',
      security: ENCODER,
      params: Type.Object({ job_id: Type.String({ format: 'uuid' }) }),
      body: Type.Optional(Type.Object({ progress: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })) }, { additionalProperties: false })),
      response: { 200: Envelope(Type.Object({ lease_until: Type.String({ format: 'date-time' }) })) },
    },
  }, async (request) => {
    const encoder = await encoderOf(request);
    const { job_id } = request.params as { job_id: string };
    const until = new Date(Date.now() + app.config.ENCODER_LEASE_S * 1000);
    const lease = await db().updateTable('encoding_leases').set({ lease_until: until })
      .where('job_id', '=', job_id).where('encoder_id', '=', encoder.id).returning(['video_id']).executeTakeFirst();
    if (!lease) throw new AppError(409, 'lease_lost', 'This job is no longer yours (lease expired or reassigned): stop working on it');
    const progress = ((request.body ?? {}) as { progress?: number }).progress;
    if (progress !== undefined) {
      await applyEncodingEvent(app, `heartbeat:${job_id}:${randomUUID()}`, { type: 'encoding.processing', video_id: lease.video_id, job_id, progress });
    }
    return ok({ lease_until: until.toISOString() });
  });

  // --- file transfer through signed URLs (whatever the storage backend), in
  // its own scope: only these routes take raw bytes of any content type.
  await app.register(async (files) => {
  files.addContentTypeParser('*', (_req, _payload, done) => done(null));

  files.get('/api/v1/encoders/files/:token', {
    schema: {
      operationId: 'downloadEncodingSource', errors: ['invalid_file_token', 'file_url_revoked', 'not_found', 'range_not_satisfiable'], tags: ['encoding'], summary: 'Download the source of a job (signed URL from the claim; Range accepted)', security: PUBLIC,
      mediaTypes: { 200: SOURCE_FILE_TYPES, 206: SOURCE_FILE_TYPES },
      responseHeaders: { 200: ['Accept-Ranges', 'Last-Modified'], 206: ['Accept-Ranges', 'Content-Range'] },
      params: Type.Object({ token: Type.String({ maxLength: 2000 }) }),
      response: { 200: Type.String({ description: 'bytes' }), 206: Type.String({ description: 'bytes' }) },
    },
  }, async (request, reply) => {
    const { vid } = await readFileToken(app, (request.params as { token: string }).token, 'source');
    const video = await db().selectFrom('videos').select(['source_key', 'source_mime']).where('id', '=', vid).executeTakeFirst();
    return sendSourceFile(app, request, reply, video?.source_key ?? null, video?.source_mime ?? null);
  });

  files.put('/api/v1/encoders/files/:token/*', {
    schema: {
      operationId: 'uploadEncodingOutput', errors: ['invalid_file_token', 'file_url_revoked', 'invalid_path'], tags: ['encoding'], summary: 'Upload one output file of a job under its prefix (signed URL from the claim)', security: PUBLIC,
      rawBody: { contentType: 'application/octet-stream', description: 'The file (any Content-Type; it is stored with it)' },
      params: Type.Object({ token: Type.String({ maxLength: 2000 }), '*': Type.String({ minLength: 1, maxLength: 500 }) }),
      response: { 200: Envelope(Type.Object({ key: Type.String(), size: Type.Integer() })) },
    },
    bodyLimit: Number.MAX_SAFE_INTEGER,
  }, async (request) => {
    const params = request.params as { token: string; '*': string };
    const { vid } = await readFileToken(app, params.token, 'outputs');
    let key: string;
    try {
      key = assertKey(`encodings/${vid}/${params['*']}`);
    } catch (err) {
      if (err instanceof StorageKeyError) throw new AppError(400, 'invalid_path', 'The output path is not a safe relative path', { field: 'path' });
      throw err;
    }
    await app.storage.put(key, request.raw, { contentType: String(request.headers['content-type'] ?? 'application/octet-stream') });
    const stat = await app.storage.stat(key);
    return ok({ key, size: stat?.size ?? 0 });
  });
  });

  // --- push dispatch (optional): the API hands jobs to an encoder service itself
  if (app.config.ENCODER_PUSH_URL) {
    const stop = await startPushDispatch(app, app.config.ENCODER_PUSH_URL);
    app.addHook('onClose', async () => stop());
  }

  // --- leases: a job whose encoder stopped heartbeating goes back to the queue
  const everyMs = Math.max(500, app.config.ENCODER_LEASE_S * 250);
  const timer = setInterval(() => void reapExpiredLeases(app).catch((err: unknown) => app.log.warn({ err }, 'lease reaper failed')), everyMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
