// Turns every failure into the error envelope with a precise code and the
// right status: framework errors (bad JSON, too large, wrong content type,
// schema violations), our AppErrors, database outages, and crashes.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorDetail } from './errors.ts';
import { isDatabaseUnavailable } from './db/engine.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const CONTEXT_PREFIX: Record<string, string> = { body: '', querystring: 'query.', params: 'path.', headers: 'header.' };

/** One error per offending field, named by dotted path (`title`, `query.limit`). */
export function validationDetails(errors: AjvError[], context = 'body'): ErrorDetail[] {
  const byField = new Map<string, ErrorDetail>();
  for (const e of errors) {
    const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') segments.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      segments.push(e.params.additionalProperty);
    }
    const field = (CONTEXT_PREFIX[context] ?? `${context}.`) + segments.join('.');
    const name = field.replace(/\.$/, '') || context;
    if (byField.has(name)) continue;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') message = 'is required';
    else if (e.keyword === 'additionalProperties') message = 'is not an accepted field';
    else if (e.keyword === 'enum' || e.keyword === 'const') {
      const allowed = (e.params.allowedValues ?? [e.params.allowedValue]) as unknown[];
      message = `must be one of: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    byField.set(name, { code: 'validation_error', message: `${name} ${message}`, field: name });
  }
  return [...byField.values()];
}

// Fastify's own error codes → our envelope codes.
const FRAMEWORK_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The request body is empty but Content-Type is application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is larger than this endpoint accepts'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'This Content-Type is not accepted here'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request', 'Content-Length does not match the body'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'bad_request', 'The Content-Type header is invalid'],
  FST_ERR_BAD_URL: [400, 'bad_request', 'The URL is malformed'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'A path segment is longer than any identifier this API accepts'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'The request could not be routed'],
  FST_CSRF_MISSING_SECRET: [403, 'csrf_failed', 'CSRF check failed: no CSRF cookie; get a token from GET /api/v1/auth/csrf'],
  FST_CSRF_INVALID_TOKEN: [403, 'csrf_failed', 'CSRF check failed: send the X-CSRF-Token header issued with the session'],
};

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  errors: ErrorDetail[],
  headers: Record<string, string> = {},
) {
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(statusCode).send({ status: 'error', data: null, errors, meta: { request_id: String(request.id) } });
}

/**
 * Fastify's `frameworkErrors` hook: errors raised while routing (malformed
 * URL, over-long path parameter), before any route or error handler runs.
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const [status, code, message] = FRAMEWORK_CODES[err.code] ?? [400, 'bad_request', 'The request could not be routed'];
  return sendError(request, reply, status, [{ code, message }]);
}

export function installErrorHandler(
  app: FastifyInstance,
  answerUnrouted: (request: FastifyRequest, reply: FastifyReply) => FastifyReply,
) {
  app.setErrorHandler((err: FastifyError & { validationContext?: string }, request, reply) => {
    // A request that matched no route failed before reaching the not-found
    // handler (e.g. its body was malformed): the route problem comes first.
    if (request.is404) return answerUnrouted(request, reply);
    if (err instanceof AppError) {
      if (err.statusCode >= 500) request.log.error({ err }, err.message);
      return sendError(request, reply, err.statusCode, err.details, err.headers);
    }
    if (err.validation) {
      return sendError(request, reply, 400, validationDetails(err.validation as AjvError[], err.validationContext));
    }
    const framework = err.code ? FRAMEWORK_CODES[err.code] : undefined;
    if (framework) {
      const [status, code, message] = framework;
      return sendError(request, reply, status, [{ code, message }]);
    }
    if (err instanceof SyntaxError && err.statusCode === 400) {
      return sendError(request, reply, 400, [{ code: 'invalid_json', message: 'The request body is not valid JSON' }]);
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      return sendError(request, reply, 503, [
        { code: 'service_unavailable', message: 'The database is unavailable, retry later' },
      ], { 'retry-after': '5' });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Other client errors raised by plugins: keep their status, name a stable code.
      request.log.info({ err }, 'client error');
      return sendError(request, reply, err.statusCode, [
        { code: clientCode(err.statusCode), message: err.message },
      ]);
    }
    request.log.error({ err }, 'unhandled error');
    // Never leak the message or stack of an unexpected error.
    return sendError(request, reply, 500, [
      {
        code: 'internal_error',
        message: `An unexpected error occurred; quote request id ${request.id} when reporting it`,
      },
    ]);
  });
}

function clientCode(status: number): string {
  return (
    { 400: 'bad_request', 401: 'not_authenticated', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
      406: 'not_acceptable', 408: 'request_timeout', 409: 'conflict', 410: 'gone', 411: 'length_required',
      412: 'precondition_failed', 413: 'payload_too_large', 414: 'uri_too_long', 415: 'unsupported_media_type',
      416: 'range_not_satisfiable', 422: 'unprocessable_entity', 429: 'rate_limited', 431: 'headers_too_large' } as Record<
      number,
      string
    >
  )[status] ?? 'bad_request';
}
