// Request validation: JSON bodies are validated strictly (a number is not a
// string), while query strings, path params and headers — always text on
// the wire — are coerced to the declared types.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

function makeAjv(extra: Options) {
  const ajv = new Ajv({
    allErrors: true, // one error per offending field, not just the first
    removeAdditional: true, // drop fields a schema closes with additionalProperties:false
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
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}
