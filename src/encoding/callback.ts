// POST /api/v1/internal/encoding-callback — how encoders report progress,
// results and failures. Authenticated by a Standard Webhooks signature (HMAC
// over id + timestamp + raw body, the `standardwebhooks` library), rejecting
// bad signatures and timestamps more than 5 minutes off; idempotent on the
// webhook id; tolerant to reordering (see state.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { Envelope, ok } from '../core/envelope.ts';
import { AppError, badRequest } from '../core/errors.ts';
import { applyEncodingEvent, EncodingEvent, outputsOutsidePrefix } from './state.ts';
import { QUEUES } from '../core/jobs.ts';
import { encoderSecrets } from './secrets.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

/** The shared secret of encoder callbacks: ENCODER_WEBHOOK_SECRET, or one derived from SECRET_KEY. */
export function encoderWebhookSecret(app: FastifyInstance): string {
  return encoderSecrets(app.config, app.keys).webhookSecret;
}

const CallbackResult = Type.Object({
  duplicate: Type.Boolean({ description: 'This webhook-id was already received: nothing was done' }),
  applied: Type.Boolean({ description: 'The event moved the video forward (false: stale, out of order, or another job)' }),
  reason: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
});

/** Registered in its own scope: it keeps the raw JSON body for the signature. */
export async function encodingCallbackRoute(app: FastifyInstance) {
  const webhook = new Webhook(encoderWebhookSecret(app));
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (req, body, done) => {
    (req as FastifyRequest).rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });

  app.post('/api/v1/internal/encoding-callback', {
    schema: {
      operationId: 'receiveEncodingCallback', errors: ['invalid_signature', 'stale_timestamp', 'not_found'], tags: ['encoding'],
      summary: 'Encoder callback: progress, results, failures (Standard Webhooks signature required)',
      description: 'Headers `webhook-id`, `webhook-timestamp` (unix seconds, ±5 min) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). '
        + 'Replays of an id are acknowledged and ignored; events of an older job or arriving after the final state are acknowledged and ignored. '
        + 'Output keys must be under `encodings/<video_id>/`. See docs/encoder-protocol.md.',
      security: [{ webhookSignature: [] }],
      body: EncodingEvent,
      response: { 200: Envelope(CallbackResult) },
    },
    // The signature is checked before the body's schema: unsigned garbage is a 401, not a 400.
    preValidation: async (request) => {
      try {
        webhook.verify(request.rawBody ?? '', {
          'webhook-id': String(request.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
        });
      } catch (err) {
        const stale = err instanceof WebhookVerificationError && /timestamp/i.test(err.message);
        throw new AppError(401, stale ? 'stale_timestamp' : 'invalid_signature', stale
          ? 'webhook-timestamp is more than 5 minutes away from now'
          : 'Missing or invalid webhook signature');
      }
    },
  }, async (request) => {
    const event = request.body as EncodingEvent;
    if (event.type === 'encoding.ready') {
      if (!event.outputs) throw badRequest('encoding.ready carries the outputs', 'outputs', 'validation_error');
      const outside = outputsOutsidePrefix(event.video_id, event.outputs);
      if (outside) throw badRequest(`Output ${JSON.stringify(outside.key)} is not a plain key under encodings/${event.video_id}/`, outside.field, 'validation_error');
    }
    const result = await applyEncodingEvent(app, String(request.headers['webhook-id']), event);
    if (result.duplicate) return ok({ duplicate: true, applied: false });
    if (result.applied && event.type !== 'encoding.processing') {
      // Final: the job is settled (an encoder-reported failure is not retried) and its lease released.
      await app.dbh.db.deleteFrom('encoding_leases').where('job_id', '=', event.job_id).execute();
      await app.jobs.boss.complete(QUEUES.videoEncode, event.job_id).catch((err: unknown) => request.log.warn({ err }, 'job complete failed'));
    }
    return ok({ duplicate: false, applied: result.applied, status: result.state.status, ...(result.reason ? { reason: result.reason } : {}) });
  });
}
