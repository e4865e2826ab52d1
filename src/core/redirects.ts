// Where the API may send a browser after a flow it ends (SSO sign-in): a path
// of this site or a page of a configured frontend origin — decided on the URL
// exactly as a browser will read it, never on the raw text. Browsers drop tabs
// and newlines inside URLs and read `\` as `/`, so `/\t/evil.example/` and
// `/\evil.example` both mean `//evil.example`: another host. The WHATWG URL
// parser (Node's `URL`) applies the same rules, so the origin it finds is the
// origin the browser goes to.
import { listSetting, type Config } from './config.ts';
import { badRequest } from './errors.ts';

type RedirectConfig = Pick<Config, 'PUBLIC_URL' | 'FRONTEND_URL' | 'CORS_ORIGINS'>;

/** Origins a redirect may go to: this API's, the frontend's and the CORS-allowed ones. */
export function redirectOrigins(config: RedirectConfig): Set<string> {
  return new Set([
    new URL(config.PUBLIC_URL).origin,
    ...(config.FRONTEND_URL ? [new URL(config.FRONTEND_URL).origin] : []),
    ...listSetting(config.CORS_ORIGINS).map((o) => new URL(o).origin),
  ]);
}

/**
 * The absolute URL to redirect to, or a 400 `unsafe_redirect` naming `field`.
 * Relative paths resolve against PUBLIC_URL; the result is always absolute,
 * so no later reading (`//host`, `/\host`) can turn it into another host.
 */
export function safeRedirect(target: string, config: RedirectConfig, field: string): string {
  const unsafe = () => badRequest('The redirect target must be a path of this site or a page of a configured frontend origin', field, 'unsafe_redirect');
  // Control characters have no business in a redirect target; browsers would silently drop some of them.
  if (/[\u0000-\u001f\u007f]/.test(target) || target !== target.trim()) throw unsafe();
  let url: URL;
  try {
    url = new URL(target, config.PUBLIC_URL);
  } catch {
    throw unsafe();
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password) throw unsafe();
  if (!redirectOrigins(config).has(url.origin)) throw unsafe();
  return url.href;
}
