// Encoding jobs: state, progress, error, attempts, encoder; "Retry" queues
// the video's encoding again (POST /videos/{id}/encode, as owners do) — on
// the jobs page and on a video's page.
import { Button, Datagrid, DateField, FunctionField, List, NumberField, SelectInput, TextField, useNotify, useRecordContext, useRefresh, useTranslate } from 'react-admin';
import { api } from './api.tsx';

function EncodeAgain({ videoId, status }: { videoId: number; status: string }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const t = useTranslate();
  if (status !== 'error' && status !== 'ready') return null;
  return (
    <Button label={t('pod.admin.retry')} onClick={async (e) => {
      e.stopPropagation();
      try {
        await api(`/videos/${videoId}/encode`, { method: 'POST' });
        notify('pod.admin.retried', { type: 'success' });
      } catch (err) {
        notify((err as Error).message, { type: 'error' });
      }
      refresh();
    }} />
  );
}

const RetryButton = () => {
  const job = useRecordContext<{ status: string; video: { id: number } }>();
  return job ? <EncodeAgain videoId={job.video.id} status={job.status} /> : null;
};

/** The same action from a video's page. */
export const EncodeAgainButton = () => {
  const video = useRecordContext<{ id: number; encoding: { status: string } }>();
  return video ? <EncodeAgain videoId={video.id} status={video.encoding.status} /> : null;
};

/** The end of the encoder's log (Esup-Runner's script_output), folded: it is long. */
const LogTail = () => {
  const job = useRecordContext<{ log: string | null }>();
  if (!job?.log) return null;
  return (
    <details onClick={(e) => e.stopPropagation()}>
      <summary>log</summary>
      <pre style={{ maxHeight: '20em', maxWidth: '40em', overflow: 'auto', fontSize: '0.75em', whiteSpace: 'pre-wrap' }}>{job.log}</pre>
    </details>
  );
};

const filters = [<SelectInput source="status" key="status" alwaysOn choices={['queued', 'processing', 'ready', 'error'].map((s) => ({ id: s, name: s }))} />];

export const JobList = () => (
  <List filters={filters} sort={{ field: 'id', order: 'DESC' }}><Datagrid bulkActionButtons={false} rowClick={false}>
    <TextField source="video.title" label="video" /><TextField source="video.owner" label="owner" /><TextField source="status" />
    <NumberField source="progress" /><FunctionField label="error" render={(j: any) => (j.error ? `${j.error.code}: ${j.error.message}` : '')} />
    <LogTail />
    <FunctionField label="attempts" render={(j: any) => `${j.attempts} / ${j.max_attempts}`} /><TextField source="encoder" />
    <DateField source="updated_at" showTime /><RetryButton />
  </Datagrid></List>
);
