// react-admin ↔ pod-api: the envelope, each resource's own key (id, slug,
// code_name), and cursor pagination mapped onto react-admin's pages (the
// cursor of each page is remembered; unpaginated lists are sliced here).
import type { DataProvider, RaRecord } from 'react-admin';
import { api } from './api.tsx';

const RESOURCES: Record<string, { path: string; key: string; sorts?: string[] }> = {
  users: { path: '/users', key: 'id' },
  groups: { path: '/groups', key: 'code_name' },
  channels: { path: '/channels', key: 'slug' },
  types: { path: '/types', key: 'slug' },
  disciplines: { path: '/disciplines', key: 'slug' },
  videos: { path: '/videos', key: 'id', sorts: ['date_added', 'title', 'duration', 'views'] },
  jobs: { path: '/encoding/jobs', key: 'job_id' },
  playlists: { path: '/playlists', key: 'id', sorts: ['title'] },
  audit: { path: '/audit', key: 'id' },
};

const conf = (resource: string) => {
  const c = RESOURCES[resource];
  if (!c) throw new Error(`unknown resource ${resource}`);
  return c;
};
const withId = (resource: string, r: any): RaRecord => ({ ...r, id: r[conf(resource).key] });
const enc = (v: unknown) => encodeURIComponent(String(v));

/** cursors.get(listKey)[page - 1] = the cursor that opens that page. */
const cursors = new Map<string, (string | undefined)[]>();

function query(params: Record<string, unknown>) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}

// Themes live under their channel (/channels/{slug}/themes/{id}): their
// react-admin id is "channel-slug:theme-id".
const themeId = (id: unknown) => {
  const [channel, theme] = String(id).split(':');
  return { channel: channel!, theme: theme! };
};
const themeRecord = (r: any): RaRecord => ({ ...r, theme_id: r.id, id: `${r.channel}:${r.id}` });
const themes: Partial<DataProvider> = {
  async getList(_resource, { filter = {}, pagination = { page: 1, perPage: 100 } }) {
    if (!filter.channel) return { data: [], total: 0 };
    const all = ((await api(`/channels/${enc(filter.channel)}/themes`)).data as any[]).map(themeRecord);
    return { data: all.slice((pagination.page - 1) * pagination.perPage, pagination.page * pagination.perPage), total: all.length };
  },
  async getOne(_resource, { id }) {
    const { channel, theme } = themeId(id);
    const found = ((await api(`/channels/${enc(channel)}/themes`)).data as any[]).find((t) => String(t.id) === theme);
    if (!found) throw new Error('ra.notification.item_doesnt_exist');
    return { data: themeRecord(found) };
  },
  async create(_resource, { data }) {
    const { channel, ...body } = data as { channel: string };
    return { data: themeRecord((await api(`/channels/${enc(channel)}/themes`, { method: 'POST', body })).data) };
  },
  async update(_resource, { id, data, previousData }) {
    const { channel, theme } = themeId(id);
    const changed = Object.fromEntries(Object.entries(data).filter(([k, v]) => ['title', 'description', 'parent_id'].includes(k) && JSON.stringify(v) !== JSON.stringify((previousData as any)?.[k])));
    return { data: themeRecord((await api(`/channels/${enc(channel)}/themes/${theme}`, { method: 'PATCH', body: changed })).data) };
  },
  async delete(_resource, { id, previousData }) {
    const { channel, theme } = themeId(id);
    await api(`/channels/${enc(channel)}/themes/${theme}`, { method: 'DELETE' });
    return { data: (previousData ?? { id }) as any };
  },
};

const resourceProvider: DataProvider = {
  async getList(resource, { pagination = { page: 1, perPage: 25 }, sort, filter = {} }) {
    const c = conf(resource);
    const { page, perPage } = pagination;
    const sortParam = sort && c.sorts?.includes(sort.field) ? `${sort.order === 'DESC' ? '-' : ''}${sort.field}` : undefined;
    const base = { ...filter, sort: sortParam };
    const first = await api(`${c.path}${query({ ...base, limit: Math.min(perPage, 100) })}`);
    if (!first.meta || !('next_cursor' in first.meta)) {
      // An unpaginated list (channels, groups, taxonomy: small): the API gave everything; search here.
      const q = typeof filter.q === 'string' ? filter.q.toLowerCase() : '';
      const all = (first.data as any[]).map((r) => withId(resource, r)).filter((r) => !q || JSON.stringify(r).toLowerCase().includes(q));
      return { data: all.slice((page - 1) * perPage, page * perPage), total: all.length };
    }
    const key = JSON.stringify([resource, base, perPage]);
    const known = cursors.get(key) ?? [undefined];
    known[1] = first.meta.next_cursor ?? undefined;
    let body = first;
    for (let p = 2; p <= page; p++) {
      if (known[p - 1] === undefined) return { data: [], pageInfo: { hasNextPage: false, hasPreviousPage: true } };
      body = await api(`${c.path}${query({ ...base, limit: Math.min(perPage, 100), cursor: known[p - 1] })}`);
      known[p] = body.meta?.next_cursor ?? undefined;
    }
    cursors.set(key, known);
    return {
      data: (body.data as any[]).map((r) => withId(resource, r)),
      pageInfo: { hasNextPage: Boolean(body.meta?.next_cursor), hasPreviousPage: page > 1 },
    };
  },
  async getOne(resource, { id }) {
    return { data: withId(resource, (await api(`${conf(resource).path}/${enc(id)}`)).data) };
  },
  async getMany(resource, { ids }) {
    return { data: await Promise.all(ids.map(async (id) => withId(resource, (await api(`${conf(resource).path}/${enc(id)}`)).data))) };
  },
  async getManyReference(resource, params) {
    return resourceProvider.getList(resource, { ...params, filter: { ...params.filter, [params.target]: params.id } });
  },
  async create(resource, { data }) {
    return { data: withId(resource, (await api(conf(resource).path, { method: 'POST', body: data })).data) };
  },
  async update(resource, { id, data, previousData }) {
    // Only what changed: the API refuses nothing it does not know, but it owns read-only fields.
    const changed = Object.fromEntries(Object.entries(data).filter(([k, v]) => k !== 'id' && JSON.stringify(v) !== JSON.stringify((previousData as any)?.[k])));
    return { data: withId(resource, (await api(`${conf(resource).path}/${enc(id)}`, { method: 'PATCH', body: changed })).data) };
  },
  async updateMany(resource, { ids, data }) {
    for (const id of ids) await api(`${conf(resource).path}/${enc(id)}`, { method: 'PATCH', body: data });
    return { data: ids };
  },
  async delete(resource, { id, previousData }) {
    await api(`${conf(resource).path}/${enc(id)}`, { method: 'DELETE' });
    return { data: (previousData ?? { id }) as any };
  },
  async deleteMany(resource, { ids }) {
    for (const id of ids) await api(`${conf(resource).path}/${enc(id)}`, { method: 'DELETE' });
    return { data: ids };
  },
};

/** Every resource through resourceProvider, themes through their channel. */
export const dataProvider = new Proxy(resourceProvider, {
  get: (target, method: keyof DataProvider) => (resource: string, params: any) =>
    resource === 'themes' && (themes as any)[method] ? (themes as any)[method](resource, params)
      : resource === 'themes' && method === 'getManyReference' ? themes.getList!(resource, { ...params, filter: { channel: params.id } })
        : (target as any)[method](resource, params),
}) as DataProvider;
