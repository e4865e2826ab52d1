// Encoding jobs: state, progress, error, attempts, encoder; "Retry" queues
// the video's encoding again (POST /videos/{id}/encode, as owners do).
import { Button, Datagrid, DateField, FunctionField, List, NumberField, SelectInput, TextField, useNotify, useRecordContext, useRefresh, useTranslate } from 'react-admin';
import { api } from './api.tsx';

const RetryButton = () => {
  const job = useRecordContext<{ status: string; video: { id: number } }>();
  const notify = useNotify();
  const refresh = useRefresh();
  const t = useTranslate();
  if (!job || (job.status !== 'error' && job.status !== 'ready')) return null;
  return (
    <Button label={t('pod.admin.retry')} onClick={async (e) => {
      e.stopPropagation();
      try {
        await api(`/videos/${job.video.id}/encode`, { method: 'POST' });
        notify('pod.admin.retried', { type: 'success' });
      } catch (err) {
        notify((err as Error).message, { type: 'error' });
      }
      refresh();
    }} />
  );
};

/** The same action from a video's page: "Encode again". */
export const EncodeAgainButton = () => {
  const video = useRecordContext<{ id: number; encoding: { status: string } }>();
  const notify = useNotify();
  const refresh = useRefresh();
  const t = useTranslate();
  if (!video || (video.encoding.status !== 'error' && video.encoding.status !== 'ready')) return null;
  return (
    <Button label={t('pod.admin.retry')} onClick={async () => {
      try {
        await api(`/videos/${video.id}/encode`, { method: 'POST' });
        notify('pod.admin.retried', { type: 'success' });
      } catch (err) {
        notify((err as Error).message, { type: 'error' });
      }
      refresh();
    }} />
  );
};

const filters = [<SelectInput source="status" key="status" alwaysOn choices={['queued', 'processing', 'ready', 'error'].map((s) => ({ id: s, name: s }))} />];

export const JobList = () => (
  <List filters={filters} sort={{ field: 'id', order: 'DESC' }}><Datagrid bulkActionButtons={false} rowClick={false}>
    <TextField source="video.title" label="video" /><TextField source="video.owner" label="owner" /><TextField source="status" />
    <NumberField source="progress" /><FunctionField label="error" render={(j: any) => (j.error ? `${j.error.code}: ${j.error.message}` : '')} />
    <FunctionField label="attempts" render={(j: any) => `${j.attempts} / ${j.max_attempts}`} /><TextField source="encoder" />
    <DateField source="updated_at" showTime /><RetryButton />
  </Datagrid></List>
);
