// The audit trail (superusers): who changed what, newest first, filtered by
// action, target or actor — "who made this video public?" in two clicks.
import { Datagrid, DateField, FunctionField, List, SelectInput, TextField, TextInput } from 'react-admin';

const ACTIONS = [
  'auth.sign_in_failed', 'user.created', 'user.updated', 'user.roles_changed', 'user.deleted', 'user.data_exported',
  'group.created', 'group.updated', 'group.deleted', 'group.members_changed',
  'video.acl_changed', 'video.owner_changed', 'video.retention_changed', 'video.deleted', 'video.archived',
  'video.private_link_created', 'video.private_link_revoked', 'comment.deleted',
];

const filters = [
  <SelectInput source="action" key="action" alwaysOn choices={ACTIONS.map((a) => ({ id: a, name: a }))} />,
  <SelectInput source="target_type" key="target_type" alwaysOn choices={['user', 'group', 'video', 'comment'].map((t) => ({ id: t, name: t }))} />,
  <TextInput source="target_id" key="target_id" alwaysOn />,
  <TextInput source="actor_id" key="actor_id" />,
];

/** {field: [before, after]} as "field: before → after" lines; anything else as JSON. */
const changes = (details: Record<string, unknown>) => Object.entries(details).map(([k, v]) =>
  `${k}: ${Array.isArray(v) && v.length === 2 ? `${JSON.stringify(v[0])} → ${JSON.stringify(v[1])}` : JSON.stringify(v)}`).join('\n');

export const AuditList = () => (
  <List filters={filters} sort={{ field: 'id', order: 'DESC' }}><Datagrid bulkActionButtons={false} rowClick={false}>
    <DateField source="at" showTime /><FunctionField label="actor" render={(r: any) => (r.actor ? r.actor.username : 'system')} />
    <TextField source="action" /><FunctionField label="target" render={(r: any) => (r.target_type ? `${r.target_type} ${r.target_id}` : '')} />
    <FunctionField label="details" render={(r: any) => <pre style={{ margin: 0, fontSize: '0.8em', whiteSpace: 'pre-wrap' }}>{changes(r.details)}</pre>} />
    <TextField source="ip" />
  </Datagrid></List>
);
