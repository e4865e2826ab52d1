// Finishes the OpenAPI document @fastify/swagger generates from the route
// schemas, with what the schemas alone cannot say: each operation's error
// statuses and codes (from its contract, core/api-contract.ts), the headers
// of its answers, non-JSON media types and bodies, explicit security, valid
// wildcard paths, named components (schemas with a `title`) and examples.
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';
import type { RouteContract } from './api-contract.ts';
import { HEADERS, type HeaderName } from './openapi-headers.ts';

type Json = Record<string, any>;

export type Examples = Record<string, { request?: unknown; responses?: Record<string, unknown>; errors?: Record<string, { message: string; field?: string }> }>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'options', 'head'];

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted: the work goes on in the background', 204: 'No Content', 206: 'Partial Content (a Range was asked)',
  302: 'Found: the file is at Location', 304: 'Not Modified: the cached copy (If-None-Match) is current',
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export function refineDocument(doc: Json, contracts: Iterable<RouteContract>, examples: Examples = {}): Json {
  const byOperation = new Map<string, RouteContract>();
  for (const c of contracts) byOperation.set(`${c.method} ${c.path}`, c);

  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.headers = Object.fromEntries(Object.entries(HEADERS).map(([name, h]) => [name, { description: h.description, schema: h.schema }]));
  Object.assign(doc.components.schemas, errorSchemas());
  doc.components.examples = Object.fromEntries((Object.keys(ERROR_CODES) as ErrorCode[]).sort().map((code) => [code, { summary: ERROR_CODES[code].description, value: errorExample(code) }]));

  const paths: Json = {};
  for (const [rawPath, item] of Object.entries<Json>(doc.paths ?? {})) {
    const path = rawPath.replace(/\{\*\}$/, '{path}');
    paths[path] = item;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const contract = byOperation.get(`${method.toUpperCase()} ${path}`);
      if (!contract) throw new Error(`No contract for ${method.toUpperCase()} ${path}`);
      refineOperation(op, contract, examples[contract.operationId], doc.components);
    }
  }
  doc.paths = paths;
  nameComponents(doc);
  dropUnused(doc, 'headers');
  dropUnused(doc, 'examples');
  return doc;
}

function refineOperation(op: Json, c: RouteContract, example: Examples[string] | undefined, components: Json) {
  op.operationId = c.operationId;
  op.description ??= op.summary;
  // Public operations say so (`security: []`) rather than inherit nothing.
  op.security = (op.security ?? []).map((s: Json) => (c.csrf && 'cookieAuth' in s ? { ...s, csrfToken: [] } : s));
  const tokenParam = (op.parameters ?? []).some((p: Json) => p.in === 'query' && p.name === 'token');
  if (tokenParam) op.security.push({ videoToken: [] });

  for (const p of op.parameters ?? []) {
    if (p.name === '*' && p.in === 'path') {
      p.name = 'path';
      p.description = 'The file\'s path under its prefix (the rest of the URL): it may contain `/`, sent as is or encoded as %2F';
    }
  }

  if (c.docs.rawBody) {
    op.requestBody = {
      required: c.docs.rawBody.required ?? true,
      description: c.docs.rawBody.description,
      content: { [c.docs.rawBody.contentType]: { schema: { type: 'string', contentMediaType: c.docs.rawBody.contentType } } },
    };
  }
  if (c.docs.optionalBody && op.requestBody) {
    op.requestBody.required = false;
    const schema = op.requestBody.content?.['application/json']?.schema;
    const branches = schema?.anyOf?.filter((b: Json) => b.type !== 'null');
    if (branches?.length === 1) op.requestBody.content['application/json'].schema = branches[0];
  }
  const bodyContent = op.requestBody?.content?.['application/json'];
  if (bodyContent && example?.request !== undefined) bodyContent.example = example.request;

  const responses: Json = {};
  for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
    if (!/^\d{3}$/.test(status)) continue; // the 4XX/5XX ranges give way to the exact statuses below
    const code = Number(status);
    if (!response.description || response.description === 'Default Response') response.description = STATUS_TEXT[code] ?? 'Success';
    const media = c.docs.mediaTypes?.[code];
    if (media) {
      // application/json without a schema of its own keeps the route's response schema (JSON or CSV, say).
      const json = response.content?.['application/json'];
      response.content = Object.fromEntries(Object.entries(media).map(([type, m]) => [type, type === 'application/json' && !m.schema && json ? json : { schema: m.schema ?? { type: 'string' } }]));
      const described = Object.entries(media).filter(([, m]) => m.description).map(([type, m]) => `\`${type}\`: ${m.description}`);
      if (described.length) response.description += `. ${described.join('; ')}`;
    }
    if (code === 304 || code === 204) delete response.content;
    const sample = example?.responses?.[status];
    const json = response.content?.['application/json'];
    if (json && sample !== undefined) json.example = sample;
    response.headers = headersFor([...(c.docs.responseHeaders?.[code] ?? []), ...(c.rateLimited ? ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const : [])]);
    responses[status] = response;
  }
  for (const [status, codes] of [...c.errors].sort(([a], [b]) => a - b)) {
    const list = [...codes].sort();
    const extra: HeaderName[] = status === 401 ? ['WWW-Authenticate'] : status === 429 || status === 503 ? ['Retry-After'] : status === 416 ? ['Content-Range'] : [];
    if (c.rateLimited && status === 429) extra.push('X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset');
    // The same answer shared by many operations (internal_error, not_found…) is one named response, with the code's generic example.
    const shared = list.length === 1 && !(c.rateLimited && status === 429) && ERROR_CODES[list[0]!].status === status ? pascal(list[0]!) : undefined;
    const response = {
      description: list.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join('; '),
      headers: headersFor(extra),
      content: {
        'application/json': {
          // The envelope, its codes narrowed to the ones this operation answers with this status.
          schema: {
            allOf: [ref('ErrorEnvelope')],
            properties: { errors: { type: 'array', items: { allOf: [ref('ErrorItem')], properties: { code: { type: 'string', enum: list } } } } },
          },
          // A real answer of this operation where one was recorded, else the code's generic example.
          examples: Object.fromEntries(list.map((code) => {
            const seen = shared ? undefined : example?.errors?.[`${status} ${code}`];
            return [code, seen ? { summary: ERROR_CODES[code].description, value: errorExample(code, seen) } : { $ref: `#/components/examples/${code}` }];
          })),
        },
      },
    };
    if (shared) {
      components.responses ??= {};
      components.responses[shared] ??= response;
      responses[String(status)] = { $ref: `#/components/responses/${shared}` };
    } else {
      responses[String(status)] = response;
    }
  }
  op.responses = responses;
}

const pascal = (code: string) => code.replace(/(^|_)([a-z])/g, (_m, _s, ch: string) => ch.toUpperCase());

function headersFor(names: readonly HeaderName[]) {
  return Object.fromEntries(['X-Request-Id', ...names].map((n) => [n, { $ref: `#/components/headers/${n}` }]));
}

function errorExample(code: ErrorCode, seen?: { message: string; field?: string }) {
  return {
    status: 'error', data: null,
    errors: [{ code, message: seen?.message ?? ERROR_CODES[code].description, ...(seen?.field ? { field: seen.field } : {}) }],
    meta: { request_id: '6f1c2a4e-8d0b-4a39-9b5e-2f1d7c3e9a10' },
  };
}

function errorSchemas(): Json {
  const codes = Object.keys(ERROR_CODES).sort() as ErrorCode[];
  return {
    ErrorCode: {
      type: 'string', enum: codes,
      description: 'Every code the API answers with; each operation lists the ones it may return per status.\n\n'
        + codes.map((c) => `- \`${c}\` (${ERROR_CODES[c].status}): ${ERROR_CODES[c].description}`).join('\n'),
    },
    ErrorItem: {
      type: 'object', additionalProperties: false, required: ['code', 'message'],
      properties: {
        code: ref('ErrorCode'),
        message: { type: 'string', description: 'Human-readable explanation (English)' },
        field: { type: 'string', description: 'The offending input, as a dotted path (`title`, `query.limit`, `path.ref`, `header.upload-offset`)' },
      },
    },
    ErrorEnvelope: {
      type: 'object', required: ['status', 'data', 'errors'],
      description: 'Every 4xx and 5xx answer has this shape',
      properties: {
        status: { type: 'string', const: 'error' },
        data: { type: 'null' },
        errors: { type: 'array', minItems: 1, items: ref('ErrorItem') },
        meta: { type: 'object', properties: { request_id: { type: 'string', description: 'Also in the X-Request-Id header: quote it when reporting a problem' } } },
      },
    },
  };
}

/** Removes the components of a kind that nothing references (catalogs list more than one deployment uses). */
function dropUnused(doc: Json, kind: 'headers' | 'examples') {
  const text = JSON.stringify([doc.paths, doc.components.responses ?? {}]);
  for (const name of Object.keys(doc.components[kind])) {
    if (!text.includes(`"#/components/${kind}/${name}"`)) delete doc.components[kind][name];
  }
}

const SCHEMA_CHILDREN = ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else', 'propertyNames'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs'];

/**
 * Every schema with a `title` becomes #/components/schemas/<title>, referenced
 * wherever it appears. Two different schemas with one title are a bug: refused.
 */
function nameComponents(doc: Json) {
  const named = doc.components.schemas as Json;
  const seen = new Map<string, string>();
  const visit = (schema: any): any => {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema) || schema.$ref) return schema;
    for (const key of SCHEMA_CHILDREN) if (schema[key] && typeof schema[key] === 'object') schema[key] = visit(schema[key]);
    for (const key of SCHEMA_LISTS) if (Array.isArray(schema[key])) schema[key] = schema[key].map(visit);
    for (const key of SCHEMA_MAPS) {
      if (schema[key] && typeof schema[key] === 'object') for (const name of Object.keys(schema[key])) schema[key][name] = visit(schema[key][name]);
    }
    const title = schema.title;
    if (typeof title !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(title)) return schema;
    const text = JSON.stringify(schema);
    const before = seen.get(title);
    if (before === undefined) {
      if (named[title]) throw new Error(`The component name ${title} is taken`);
      seen.set(title, text);
      named[title] = schema;
    } else if (before !== text) {
      throw new Error(`Two different schemas are titled ${title}: give one another title`);
    }
    return ref(title);
  };
  for (const item of Object.values<Json>(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const p of op.parameters ?? []) if (p.schema) p.schema = visit(p.schema);
      for (const media of Object.values<Json>(op.requestBody?.content ?? {})) if (media.schema) media.schema = visit(media.schema);
      for (const response of Object.values<Json>(op.responses ?? {})) {
        for (const media of Object.values<Json>(response.content ?? {})) if (media.schema) media.schema = visit(media.schema);
      }
    }
  }
}
