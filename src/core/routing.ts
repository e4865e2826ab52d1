// Route conventions enforced at registration time:
//  - every route declares a response schema (a route without one is a bug and
//    the app refuses to start); hidden routes (docs UI assets) are exempt;
//  - every route's responses include the error envelope for 4xx and 5xx;
//  - JSON bodies are closed: every object of a body schema that does not say
//    otherwise gets additionalProperties:false, so an unknown field is a 400
//    naming it (never silently dropped), and the OpenAPI document says so;
//  - unknown paths answer 404 not_found, known paths with another method
//    answer 405 method_not_allowed with an Allow header.
import FindMyWay from 'find-my-way';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { sendError } from './error-handler.ts';
import { buildContract, type RouteContract } from './api-contract.ts';

export interface RegisteredRoute {
  method: string;
  url: string;
  hidden: boolean;
}

export type UnroutedHandler = (request: FastifyRequest, reply: FastifyReply) => FastifyReply;

const ERROR_REF = { $ref: 'ErrorEnvelope#' };

export function installRouteConventions(app: FastifyInstance): {
  routes: RegisteredRoute[];
  contracts: Map<string, RouteContract>;
  answerUnrouted: UnroutedHandler;
} {
  const routes: RegisteredRoute[] = [];
  const contracts = new Map<string, RouteContract>();
  const operationIds = new Set<string>();
  const pathsOnly = FindMyWay({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false });

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
    const hidden = schema.hide === true;
    // Catch-all routes (the CORS preflight `OPTIONS *`) do not make a path "known".
    const catchAll = route.url === '*' || route.url === '/*';
    for (const method of methods) {
      if (catchAll) continue;
      routes.push({ method: String(method), url: route.url, hidden });
      try {
        pathsOnly.on(method as 'GET', route.url, () => {});
      } catch {
        // The same method and path seen twice (e.g. HEAD twice): already known.
      }
    }
    if ((route.schema as { body?: unknown } | undefined)?.body) {
      route.schema = { ...route.schema, body: closedSchema((route.schema as { body: unknown }).body) };
    }
    if (hidden) return;
    const response = schema.response;
    const hasSuccess = response && Object.keys(response).some((k) => /^[23]/.test(k));
    if (!hasSuccess) {
      throw new Error(`Route ${methods.join(',')} ${route.url} has no success response schema: every route must declare one`);
    }
    response['4xx'] ??= ERROR_REF;
    response['5xx'] ??= ERROR_REF;
    route.schema = { ...route.schema, response };
    for (const method of methods) {
      // HEAD routes Fastify adds beside each GET share its contract (and operation).
      if (method === 'HEAD' && contracts.has(`GET ${route.url}`)) continue;
      const contract = buildContract({ method: String(method), url: route.url, schema: route.schema as Record<string, unknown>, config: route.config as never });
      if (operationIds.has(contract.operationId)) throw new Error(`operationId ${contract.operationId} is used twice (${method} ${route.url})`);
      operationIds.add(contract.operationId);
      contracts.set(`${contract.method} ${route.url}`, contract);
    }
  });

  /** 404 not_found, or 405 method_not_allowed when the path exists for another method. */
  const answerUnrouted: UnroutedHandler = (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    const allowed = new Set<string>();
    for (const r of routes) {
      if (r.method !== request.method && pathsOnly.find(r.method as 'GET', pathname)) allowed.add(r.method);
    }
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(', ');
      return sendError(request, reply, 405, [
        { code: 'method_not_allowed', message: `${request.method} is not allowed here; allowed: ${allow}` },
      ], { allow });
    }
    return sendError(request, reply, 404, [
      { code: 'not_found', message: `No route matches ${request.method} ${pathname}` },
    ]);
  };
  app.setNotFoundHandler(answerUnrouted);
  return { routes, contracts, answerUnrouted };
}

// Keywords whose values are data, not subschemas: left as they are.
const DATA_KEYWORDS = new Set(['default', 'examples', 'example', 'const', 'enum', 'required']);

/** A copy of a body schema where every object with declared properties and no additionalProperties says false. */
export function closedSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closedSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DATA_KEYWORDS.has(key)) out[key] = value;
    else if ((key === 'properties' || key === 'patternProperties' || key === '$defs') && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, closedSchema(sub)]));
    } else out[key] = closedSchema(value);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
