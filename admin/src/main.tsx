// The administration SPA: react-admin on the public API (same endpoints, same
// policy as every client), signed in with the browser session + CSRF.
import { createRoot } from 'react-dom/client';
import { HashRouter } from 'react-router-dom';
import { Admin, Resource } from 'react-admin';
import { authProvider } from './authProvider.tsx';
import { dataProvider } from './dataProvider.tsx';
import { i18nProvider } from './i18n.tsx';
import { JobList } from './jobs.tsx';
import { AuditList } from './audit.tsx';
import { Dashboard, PlaylistList } from './playlists.tsx';
import { ThemeCreate, ThemeEdit, channels, disciplines, GroupCreate, GroupEdit, GroupList, types, UserCreate, UserEdit, UserList, VideoEdit, VideoList } from './resources.tsx';

createRoot(document.getElementById('root')!).render(
  // Hash routes (/admin/#/videos/12): any deep link loads the one index.html.
  <HashRouter>
  <Admin dataProvider={dataProvider} authProvider={authProvider} i18nProvider={i18nProvider} dashboard={Dashboard} requireAuth title="Pod">
    <Resource name="videos" list={VideoList} edit={VideoEdit} />
    <Resource name="jobs" list={JobList} />
    <Resource name="playlists" list={PlaylistList} />
    <Resource name="channels" list={channels.List} edit={channels.Edit} create={channels.Create} />
    <Resource name="themes" create={ThemeCreate} edit={ThemeEdit} />
    <Resource name="users" list={UserList} edit={UserEdit} create={UserCreate} />
    <Resource name="groups" list={GroupList} edit={GroupEdit} create={GroupCreate} />
    <Resource name="audit" list={AuditList} />
    <Resource name="types" list={types.List} edit={types.Edit} create={types.Create} />
    <Resource name="disciplines" list={disciplines.List} edit={disciplines.Edit} create={disciplines.Create} />
  </Admin>
  </HashRouter>,
);
