// Playlists (promote to the home page, delete) and the platform's statistics
// (the dashboard: totals, views per day, CSV export) — the same public API
// endpoints and policy as every client: managers promote, owners or managers delete.
import { useEffect, useState } from 'react';
import {
  BooleanField, Button, Datagrid, DateField, DeleteButton, List, NumberField, SearchInput, TextField,
  Title, useNotify, useRecordContext, useRefresh, useTranslate,
} from 'react-admin';
import { api } from './api.tsx';

const PromoteButton = () => {
  const playlist = useRecordContext<{ id: number; promoted: boolean; visibility: string }>();
  const notify = useNotify();
  const refresh = useRefresh();
  const t = useTranslate();
  if (!playlist || playlist.visibility !== 'public') return null;
  return (
    <Button label={t(playlist.promoted ? 'pod.admin.unpromote' : 'pod.admin.promote')} onClick={async (e) => {
      e.stopPropagation();
      try {
        await api(`/playlists/${playlist.id}`, { method: 'PATCH', body: { promoted: !playlist.promoted } });
      } catch (err) {
        notify((err as Error).message, { type: 'error' });
      }
      refresh();
    }} />
  );
};

export const PlaylistList = () => (
  <List filters={[<SearchInput source="q" alwaysOn key="q" />]} sort={{ field: 'title', order: 'ASC' }}>
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="title" /><TextField source="owner.username" label="owner" /><TextField source="visibility" />
      <NumberField source="video_count" /><BooleanField source="promoted" /><DateField source="updated_at" />
      <PromoteButton /><DeleteButton mutationMode="pessimistic" />
    </Datagrid>
  </List>
);

interface Platform {
  from: string; to: string; time_zone: string; views: number; views_total: number; videos: number; hours: number;
  storage_bytes: number; users: number; playlists: number; series: { date: string; views: number }[];
}

/** The platform's figures and the last 30 days of views (managers; others see the API's 403). */
export const Dashboard = () => {
  const t = useTranslate();
  const [stats, setStats] = useState<Platform | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Platform>('/statistics').then((r) => setStats(r.data), (err: Error) => setError(err.message));
  }, []);
  if (error) return <p role="alert">{error}</p>;
  if (!stats) return null;
  const max = Math.max(1, ...stats.series.map((d) => d.views));
  const figures: [string, string][] = [
    ['videos', stats.videos.toLocaleString()], ['hours', stats.hours.toLocaleString()],
    ['storage', `${(stats.storage_bytes / 1e9).toFixed(2)} GB`], ['users', stats.users.toLocaleString()],
    ['playlists', stats.playlists.toLocaleString()], ['views_total', stats.views_total.toLocaleString()],
    ['views_30_days', stats.views.toLocaleString()],
  ];
  return (
    <div style={{ padding: '1em' }}>
      <Title title={t('pod.admin.statistics')} />
      <dl data-testid="platform-figures" style={{ display: 'grid', gridTemplateColumns: 'repeat(7, auto)', gap: '0.5em 2em' }}>
        {figures.map(([k, v]) => <div key={k}><dt>{t(`pod.stats.${k}`)}</dt><dd data-figure={k} style={{ fontSize: '1.6em', margin: 0 }}>{v}</dd></div>)}
      </dl>
      <h3>{t('pod.stats.per_day', { from: stats.from, to: stats.to, zone: stats.time_zone })}</h3>
      <div style={{ display: 'flex', alignItems: 'flex-end', height: '120px', gap: '2px' }}>
        {stats.series.map((d) => <div key={d.date} title={`${d.date}: ${d.views}`} style={{ width: '12px', height: `${(100 * d.views) / max}%`, background: '#1976d2' }} />)}
      </div>
      <p><a href="/api/v1/statistics?format=csv" download>{t('pod.stats.csv')}</a></p>
    </div>
  );
};
