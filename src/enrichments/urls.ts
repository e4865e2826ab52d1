// Web links a viewer may follow from a video (timed links, contributors'
// pages): absolute http(s) URLs only, never javascript:, data: or a relative path.
import Type from 'typebox';
import { badRequest } from '../core/errors.ts';

export const WebUrl = Type.String({ minLength: 8, maxLength: 2000, pattern: '^[hH][tT][tT][pP][sS]?://', description: 'An absolute http(s) URL' });

/** The URL normalised by the WHATWG parser, or 400 invalid_url. */
export function checkedUrl(raw: string, field: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest('Not an absolute URL', field, 'invalid_url');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) throw badRequest('Only http and https links are accepted', field, 'invalid_url');
  if (url.username || url.password) throw badRequest('A link may not carry credentials', field, 'invalid_url');
  return url.href;
}
