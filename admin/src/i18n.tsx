// French and English, from react-admin's maintained translations plus ours.
import polyglotI18nProvider from 'ra-i18n-polyglot';
import englishMessages from 'ra-language-english';
import frenchMessages from 'ra-language-french';

const en = {
  ...englishMessages,
  pod: { admin: { title: 'Pod administration', only_admins: 'Administrators only (superusers and managers)', retry: 'Retry', retried: 'Encoding queued again' } },
  resources: {
    users: { name: 'User |||| Users' }, groups: { name: 'Access group |||| Access groups' }, channels: { name: 'Channel |||| Channels' },
    types: { name: 'Type |||| Types' }, disciplines: { name: 'Discipline |||| Disciplines' }, videos: { name: 'Video |||| Videos' },
    jobs: { name: 'Encoding job |||| Encoding jobs' }, themes: { name: 'Theme |||| Themes' },
  },
};
const fr = {
  ...frenchMessages,
  pod: { admin: { title: 'Administration de Pod', only_admins: 'Réservé aux administrateurs (superutilisateurs et gestionnaires)', retry: 'Relancer', retried: 'Encodage relancé' } },
  resources: {
    users: { name: 'Utilisateur |||| Utilisateurs' }, groups: { name: "Groupe d'accès |||| Groupes d'accès" }, channels: { name: 'Chaîne |||| Chaînes' },
    types: { name: 'Type |||| Types' }, disciplines: { name: 'Discipline |||| Disciplines' }, videos: { name: 'Vidéo |||| Vidéos' },
    jobs: { name: "Tâche d'encodage |||| Tâches d'encodage" }, themes: { name: 'Thème |||| Thèmes' },
  },
};

const initial = navigator.language?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
export const i18nProvider = polyglotI18nProvider((locale) => (locale === 'fr' ? fr : en), initial, [
  { locale: 'en', name: 'English' }, { locale: 'fr', name: 'Français' },
], { allowMissing: true });
