// One list / edit / create per resource, on the API's own fields.
import { EncodeAgainButton } from './jobs.tsx';
import { VideoEnrichments } from './enrichments.tsx';
import {
  CreateButton, DeleteButton, ReferenceManyField, useRecordContext,
  TopToolbar,
  BooleanField, BooleanInput, Create, Datagrid, DateField, Edit, EditButton, List, NumberField, PasswordInput, SearchInput,
  SimpleForm, TextField, TextInput, required,
} from 'react-admin';

const search = [<SearchInput source="q" alwaysOn key="q" />];

export const UserList = () => (
  <List filters={search}><Datagrid rowClick="edit" bulkActionButtons={false}>
    <TextField source="username" /><TextField source="email" /><BooleanField source="is_staff" /><BooleanField source="is_manager" />
    <BooleanField source="is_superuser" /><BooleanField source="is_active" />
  </Datagrid></List>
);
const userInputs = [
  <TextInput source="email" key="email" />, <TextInput source="first_name" key="first" />, <TextInput source="last_name" key="last" />,
  <BooleanInput source="is_staff" key="staff" />, <BooleanInput source="is_manager" key="manager" />, <BooleanInput source="is_active" key="active" />,
];
export const UserEdit = () => <Edit mutationMode="pessimistic"><SimpleForm><TextField source="username" />{userInputs}</SimpleForm></Edit>;
export const UserCreate = () => (
  <Create><SimpleForm><TextInput source="username" validate={required()} /><PasswordInput source="password" />{userInputs}</SimpleForm></Create>
);

export const GroupList = () => (
  <List filters={search}><Datagrid rowClick="edit" bulkActionButtons={false}><TextField source="code_name" /><TextField source="display_name" /></Datagrid></List>
);
export const GroupEdit = () => <Edit mutationMode="pessimistic"><SimpleForm><TextField source="code_name" /><TextInput source="display_name" /></SimpleForm></Edit>;
export const GroupCreate = () => (
  <Create><SimpleForm><TextInput source="code_name" validate={required()} /><TextInput source="display_name" validate={required()} /></SimpleForm></Create>
);

/** Channels, types and disciplines: a title and a description. */
const titled = (extra: JSX.Element[] = [], below: JSX.Element | null = null) => ({
  List: () => (
    <List filters={search}><Datagrid rowClick="edit" bulkActionButtons={false}><TextField source="title" /><TextField source="slug" />{extra.length ? <BooleanField source="visible" /> : null}</Datagrid></List>
  ),
  Edit: () => <Edit mutationMode="pessimistic"><SimpleForm><TextInput source="title" validate={required()} /><TextInput source="description" multiline />{extra}{below}</SimpleForm></Edit>,
  Create: () => <Create><SimpleForm><TextInput source="title" validate={required()} /><TextInput source="description" multiline />{extra}</SimpleForm></Create>,
});
/** A channel's themes, under its edit form. */
const ChannelThemes = () => {
  const channel = useRecordContext<{ slug: string }>();
  if (!channel) return null;
  return (
    <ReferenceManyField reference="themes" target="channel" label="resources.themes.name">
      <Datagrid rowClick="edit" bulkActionButtons={false}><TextField source="title" /><TextField source="slug" /><DeleteButton mutationMode="pessimistic" redirect={false} /></Datagrid>
      <CreateButton resource="themes" state={{ record: { channel: channel.slug } }} />
    </ReferenceManyField>
  );
};
export const channels = titled([<BooleanInput source="visible" key="visible" defaultValue />], <ChannelThemes />);

export const ThemeCreate = () => (
  <Create redirect={(_r: string, _id: unknown, data: any) => `channels/${data.channel}`}><SimpleForm>
    <TextInput source="channel" validate={required()} /><TextInput source="title" validate={required()} /><TextInput source="description" multiline />
  </SimpleForm></Create>
);
export const ThemeEdit = () => (
  <Edit mutationMode="pessimistic" redirect={(_r: string, _id: unknown, data: any) => `channels/${data.channel}`}><SimpleForm>
    <TextField source="channel" /><TextInput source="title" validate={required()} /><TextInput source="description" multiline />
  </SimpleForm></Edit>
);
export const types = titled();
export const disciplines = titled();

export const VideoList = () => (
  <List filters={search} sort={{ field: 'date_added', order: 'DESC' }}><Datagrid rowClick="edit" bulkActionButtons={false}>
    <NumberField source="id" /><TextField source="title" /><TextField source="owner.username" label="owner" />
    <TextField source="encoding.status" label="encoding" /><BooleanField source="is_draft" /><NumberField source="views" /><DateField source="date_added" /><EditButton />
  </Datagrid></List>
);
// The owner travels as a username (the API's write format); the JSON shows a person.
const username = (v: unknown) => (v && typeof v === 'object' ? (v as { username: string }).username : v);
export const VideoEdit = () => (
  <Edit mutationMode="pessimistic" actions={<TopToolbar><EncodeAgainButton /></TopToolbar>}><SimpleForm>
    <TextInput source="title" validate={required()} fullWidth /><TextInput source="description" multiline fullWidth />
    <TextInput source="owner" format={username} helperText="username (ownership transfer)" />
    <BooleanInput source="is_draft" /><BooleanInput source="is_restricted" /><BooleanInput source="allow_downloading" />
    <BooleanInput source="disable_comment" /><BooleanInput source="disable_public_notes" />
    <VideoEnrichments />
  </SimpleForm></Edit>
);
