// Request validation: JSON bodies are validated strictly (a number is not a
// string), while query strings, path params and headers — always text on
// the wire — are coerced to the declared types.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { AppError } from './errors.ts';

/** Dotted path of the first string holding a NUL character, if any. */
function nulField(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nulField(v, path ? `${path}.${k}` : k, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function makeAjv(extra: Options) {
  const ajv = new Ajv({
    allErrors: true, // one error per offending field, not just the first
    // An unknown field is an error naming it, never silently dropped (bodies are closed: routing.ts).
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    ...extra,
  });
  addFormats.default(ajv);
  return ajv;
}

export function installValidation(app: FastifyInstance) {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  for (const [id, schema] of Object.entries(app.getSchemas())) {
    strict.addSchema(schema as object, id);
    coercing.addSchema(schema as object, id);
  }
  // PostgreSQL text cannot hold NUL (U+0000): refuse it up front, for every
  // route, rather than fail in the database (found by the fuzz test).
  app.addHook('preValidation', async (request) => {
    const inBody = nulField(request.body, '');
    const inQuery = nulField(request.query, '');
    const inPath = nulField(request.params, '');
    const name = inBody !== undefined ? inBody || 'body' : inQuery !== undefined ? `query.${inQuery}` : inPath !== undefined ? `path.${inPath}` : undefined;
    if (name) throw new AppError(400, 'validation_error', `${name} must not contain NUL characters`, { field: name });
  });
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
