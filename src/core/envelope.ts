// The one response shape of the API. Success: {status, data, meta?};
// failure: {status:"error", data:null, errors:[{code,message,field?}], meta?}.
import Type, { type Static, type TSchema } from 'typebox';

export const ApiErrorItem = Type.Object(
  {
    code: Type.String({ description: 'Machine-readable error code, e.g. not_found, validation_error' }),
    message: Type.String({ description: 'Human-readable explanation (English)' }),
    field: Type.Optional(Type.String({ description: 'Offending input field, dotted path' })),
  },
  { additionalProperties: false },
);

export const ErrorEnvelope = Type.Object(
  {
    status: Type.Literal('error'),
    data: Type.Null(),
    errors: Type.Array(ApiErrorItem),
    meta: Type.Optional(
      Type.Object({ request_id: Type.Optional(Type.String()) }, { additionalProperties: true }),
    ),
  },
  { $id: 'ErrorEnvelope', description: 'Error envelope: every 4xx/5xx answer has this shape' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

/** Success envelope around a data schema, with an optional meta schema. */
export function Envelope<D extends TSchema>(data: D, meta?: TSchema, options: { description?: string } = {}) {
  return Type.Object(
    {
      status: Type.Literal('success'),
      data,
      ...(meta ? { meta } : {}),
    },
    options,
  );
}

export function ok<D>(data: D): { status: 'success'; data: D };
export function ok<D, M>(data: D, meta: M): { status: 'success'; data: D; meta: M };
export function ok(data: unknown, meta?: unknown) {
  return meta === undefined ? { status: 'success', data } : { status: 'success', data, meta };
}
