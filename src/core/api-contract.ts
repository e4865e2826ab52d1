// What each operation can answer: its success statuses, and per error status
// the codes it may carry. Built once per route at registration from the
// route's schema and config (conventions: who may call, what it reads, rate
// limits) plus the codes the route declares (`schema.errors`). The OpenAPI
// document (core/openapi-document.ts) is written from it, and in tests the
// contract check below holds every real answer to it.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, isErrorCode, type DocumentedError, type ErrorCode } from './error-codes.ts';
import type { HeaderName } from './openapi-headers.ts';

/** Route-level documentation a route schema carries next to its JSON schemas (declared in openapi.ts). */
export interface RouteDocs {
  /** Headers of the answers, per status (names from core/openapi-headers.ts). */
  responseHeaders?: Record<number, readonly HeaderName[]>;
  /** Answers that are not JSON: media type → what it is, per status. */
  mediaTypes?: Record<number, Record<string, { description?: string; schema?: Record<string, unknown> }>>;
  /** A request body that is not JSON (binary uploads). */
  rawBody?: { contentType: string; description: string; required?: boolean };
  /** The JSON body may be left out altogether. */
  optionalBody?: boolean;
}

export interface RouteContract {
  method: string;
  /** Fastify's path (`/api/v1/videos/:ref`). */
  url: string;
  /** The OpenAPI path (`/api/v1/videos/{ref}`; a trailing wildcard is `{path}`). */
  path: string;
  operationId: string;
  /** Error status → the codes the operation may answer with it. */
  errors: Map<number, Set<ErrorCode>>;
  successStatuses: Set<number>;
  rateLimited: boolean;
  /** Requires a signed-in caller (no anonymous alternative in `security`). */
  requiresUser: boolean;
  /** Cookie-authenticated calls need X-CSRF-Token. */
  csrf: boolean;
  docs: RouteDocs;
}

interface RouteLike {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  config?: { rateLimit?: unknown; csrfExempt?: boolean; ownAuthorization?: boolean } | undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{path}');

type Security = Record<string, string[]>[];

export function buildContract(route: RouteLike): RouteContract {
  const { schema, config = {} } = route;
  const method = route.method.toUpperCase();
  const security = (schema.security as Security | undefined) ?? [];
  const anonymousAllowed = security.length === 0 || security.some((s) => Object.keys(s).length === 0);
  const schemes = new Set(security.flatMap((s) => Object.keys(s)));
  const requiresUser = !anonymousAllowed && (schemes.has('bearerAuth') || schemes.has('cookieAuth'));
  const csrf = schemes.has('cookieAuth') && UNSAFE.has(method) && !config.csrfExempt;
  // Fastify reads a body on any POST, PUT, PATCH or DELETE, declared or not: a malformed, oversized,
  // slow or unknown-type one is refused before the route runs.
  const body = Boolean(schema.body) || UNSAFE.has(method);
  const codes: DocumentedError[] = ['internal_error', 'service_unavailable'];
  if (schema.querystring || schema.params || schema.body || schema.headers) codes.push('validation_error');
  if (schema.params) codes.push('uri_too_long');
  if (body) codes.push('invalid_json', 'payload_too_large', 'unsupported_media_type', 'bad_request', 'request_timeout');
  if (!config.ownAuthorization) codes.push('invalid_token', 'token_expired');
  if (requiresUser) codes.push('not_authenticated');
  if (csrf) codes.push('csrf_failed');
  if (config.rateLimit) codes.push('rate_limited');
  codes.push(...((schema.errors as DocumentedError[] | undefined) ?? []));

  const errors = new Map<number, Set<ErrorCode>>();
  for (const e of codes) {
    const code = typeof e === 'string' ? e : e.code;
    if (!isErrorCode(code)) throw new Error(`${method} ${route.url} declares the unknown error code ${code} (core/error-codes.ts)`);
    const status = typeof e === 'string' ? ERROR_CODES[code].status : e.status;
    if (!errors.has(status)) errors.set(status, new Set());
    errors.get(status)!.add(code);
  }
  const response = (schema.response ?? {}) as Record<string, unknown>;
  const successStatuses = new Set(Object.keys(response).filter((k) => /^[23]\d\d$/.test(k)).map(Number));
  const operationId = schema.operationId;
  if (typeof operationId !== 'string' || !/^[a-z][A-Za-z0-9]+$/.test(operationId)) {
    throw new Error(`Route ${method} ${route.url} has no operationId (camelCase, e.g. listVideos): every route must declare one`);
  }
  return {
    method, url: route.url, path: openApiPath(route.url), operationId, errors, successStatuses,
    rateLimited: Boolean(config.rateLimit), requiresUser, csrf,
    docs: { responseHeaders: schema.responseHeaders as RouteDocs['responseHeaders'], mediaTypes: schema.mediaTypes as RouteDocs['mediaTypes'], rawBody: schema.rawBody as RouteDocs['rawBody'], optionalBody: schema.optionalBody as boolean | undefined },
  };
}

/** A real exchange, for the document's examples (scripts/openapi-examples.ts). */
export interface ExchangeSample {
  operationId: string;
  status: number;
  request?: unknown;
  response?: unknown;
}

/**
 * Holds every answer to its operation's contract: a status the operation
 * does not document, an error code it does not list for that status, or a
 * success body outside the route's response schema is reported (tests fail
 * on it). HEAD answers are held to their GET's contract.
 */
export function installContractCheck(
  app: FastifyInstance, contracts: Map<string, RouteContract>, report: (violation: string) => void, record?: (sample: ExchangeSample) => void,
) {
  // Success bodies are checked against the route's own response schema: the serializer refuses a missing
  // required field or a value outside an enum, but lets bounds, formats and patterns through.
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction | null>();
  const validatorOf = (contract: RouteContract, status: number, schema: unknown) => {
    const key = `${contract.operationId} ${status}`;
    if (!validators.has(key)) validators.set(key, schema && typeof schema === 'object' && !('$ref' in schema) ? ajv.compile(schema) : null);
    return validators.get(key);
  };
  const contractOf = (method: string, url: string | undefined) =>
    url === undefined ? undefined : contracts.get(`${method} ${url}`) ?? (method === 'HEAD' ? contracts.get(`GET ${url}`) : undefined);

  app.addHook('onSend', async (request, reply, payload) => {
    const contract = contractOf(request.method, request.routeOptions.url);
    // Cached answers are sent as bytes (core/read-cache.ts).
    const text = Buffer.isBuffer(payload) && String(reply.getHeader('content-type')).startsWith('application/json') ? payload.toString() : payload;
    if (!contract || typeof text !== 'string' || !text.startsWith('{')) return payload;
    let parsed: { errors?: { code: string }[] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return payload;
    }
    if (record && request.method !== 'HEAD') {
      record({ operationId: contract.operationId, status: reply.statusCode, request: reply.statusCode < 400 ? request.body ?? undefined : undefined, response: parsed });
    }
    if (reply.statusCode < 400) {
      const schema = (request.routeOptions.schema?.response as Record<string, unknown> | undefined)?.[String(reply.statusCode)];
      const validate = validatorOf(contract, reply.statusCode, schema);
      if (validate && !validate(parsed)) {
        report(`${contract.operationId} (${contract.method} ${contract.path}) answered ${reply.statusCode} with a body outside its schema: ${ajv.errorsText(validate.errors)}`);
      }
      return payload;
    }
    const codes = parsed.errors?.map((e) => e.code) ?? [];
    const allowed = contract.errors.get(reply.statusCode);
    for (const code of codes) {
      if (!allowed?.has(code as ErrorCode)) report(`${contract.operationId} (${contract.method} ${contract.path}) answered ${reply.statusCode} ${code}, which it does not document`);
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const contract = contractOf(request.method, request.routeOptions.url);
    if (!contract) return;
    const status = reply.raw.statusCode;
    const documented = status < 400 ? contract.successStatuses.has(status) || (status === 304 && request.method === 'HEAD') : contract.errors.has(status);
    if (!documented) report(`${contract.operationId} (${contract.method} ${contract.path}) answered status ${status}, which it does not document`);
  });
}
