// Named models of the API document: a schema given a title here becomes
// #/components/schemas/<title>, referenced by $ref wherever it appears
// (core/openapi-document.ts), so client generators emit one type for it.
import type { TSchema } from 'typebox';

/**
 * Titles the schema itself (not a copy: TypeBox keeps hidden metadata that
 * Type.Partial and friends need). A schema derived from a model must be a
 * model of its own, or the document refuses two schemas under one title.
 */
export const model = <T extends TSchema>(title: string, schema: T): T => Object.assign(schema, { title });
