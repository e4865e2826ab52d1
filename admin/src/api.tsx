// The API as the browser admin uses it: same origin, the cookie session,
// and the CSRF token (from sign-in or GET /auth/csrf) on every unsafe method.
import { HttpError } from 'react-admin';

const CSRF_KEY = 'pod-admin-csrf';
export const setCsrf = (token: string | undefined) => (token ? sessionStorage.setItem(CSRF_KEY, token) : sessionStorage.removeItem(CSRF_KEY));

async function csrf(): Promise<string> {
  const known = sessionStorage.getItem(CSRF_KEY);
  if (known) return known;
  const res = await fetch('/api/v1/auth/csrf', { credentials: 'same-origin' });
  const token = (await res.json())?.data?.csrf_token as string | undefined;
  setCsrf(token);
  return token ?? '';
}

export interface Envelope<T = any> { status: 'success' | 'error'; data: T; errors?: { code: string; message: string; field?: string }[]; meta?: { next_cursor?: string | null } }

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<Envelope<T>> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (!['GET', 'HEAD'].includes(method)) headers['x-csrf-token'] = await csrf();
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const body = (await res.json().catch(() => null)) as Envelope<T> | null;
  if (!res.ok || !body || body.status !== 'success') {
    const first = body?.errors?.[0];
    if (first?.code === 'csrf_failed') setCsrf(undefined);
    throw new HttpError(first?.message ?? res.statusText, res.status, body);
  }
  return body;
}
