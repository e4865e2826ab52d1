// Sign-in with the browser session (POST /auth/session) and its CSRF token;
// only superusers and managers are let in (the API enforces it on every call
// anyway: a signed-in teacher gets 403s, never data).
import type { AuthProvider } from 'react-admin';
import { api, setCsrf } from './api.tsx';

interface SessionUser { id: number; username: string; first_name?: string; last_name?: string; is_superuser: boolean; is_manager: boolean }
const isAdmin = (u: SessionUser) => u.is_superuser || u.is_manager;

export const authProvider: AuthProvider = {
  async login({ username, password }) {
    const res = await api<{ user: SessionUser; csrf_token?: string }>('/auth/session', { method: 'POST', body: { username, password } });
    setCsrf(res.data.csrf_token);
    if (!isAdmin(res.data.user)) {
      await api('/auth/session', { method: 'DELETE' }).catch(() => {});
      setCsrf(undefined);
      throw new Error('pod.admin.only_admins');
    }
  },
  async logout() {
    await api('/auth/session', { method: 'DELETE' }).catch(() => {});
    setCsrf(undefined);
  },
  async checkAuth() {
    const res = await api<{ user: SessionUser }>('/auth/session');
    if (!isAdmin(res.data.user)) throw new Error('pod.admin.only_admins');
  },
  async checkError(error) {
    if (error?.status === 401) throw error;
  },
  async getIdentity() {
    const { data } = await api<{ user: SessionUser }>('/auth/session');
    return { id: data.user.id, fullName: [data.user.first_name, data.user.last_name].filter(Boolean).join(' ') || data.user.username };
  },
  async getPermissions() {
    const { data } = await api<{ user: SessionUser }>('/auth/session');
    return data.user.is_superuser ? 'superuser' : 'manager';
  },
};
