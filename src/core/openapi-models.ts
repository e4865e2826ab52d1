// Named models of the API document: a schema given a title here becomes
// #/components/schemas/<title>, referenced by $ref wherever it appears
// (core/openapi-document.ts), so client generators emit one type for it.
import type { TSchema } from 'typebox';

export const model = <T extends TSchema>(title: string, schema: T): T => ({ ...schema, title }) as T;
