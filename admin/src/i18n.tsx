// French and English, from react-admin's maintained translations plus ours.
import polyglotI18nProvider from 'ra-i18n-polyglot';
import englishMessages from 'ra-language-english';
import frenchMessages from 'ra-language-french';

const en = {
  ...englishMessages,
  pod: { admin: { title: 'Pod administration', only_admins: 'Administrators only (superusers and managers)', retry: 'Retry', retried: 'Encoding queued again', promote: 'Promote', unpromote: 'Unpromote', statistics: 'Statistics' },
    stats: { videos: 'Videos', hours: 'Hours', storage: 'Storage (sources)', users: 'Active users', playlists: 'Playlists', views_total: 'Views (all time)', views_30_days: 'Views (range)', per_day: 'Views per day, %{from} to %{to} (%{zone})', csv: 'Download CSV' },
    enrichments: { comments: 'Comments', notes: 'Public notes', documents: 'Documents', contributors: 'Contributors', overlays: 'Overlays', links: 'Timed links', hide: 'Hide', show: 'Show' } },
  resources: {
    users: { name: 'User |||| Users' }, groups: { name: 'Access group |||| Access groups' }, channels: { name: 'Channel |||| Channels' },
    types: { name: 'Type |||| Types' }, disciplines: { name: 'Discipline |||| Disciplines' }, videos: { name: 'Video |||| Videos' },
    jobs: { name: 'Encoding job |||| Encoding jobs' }, themes: { name: 'Theme |||| Themes' }, playlists: { name: 'Playlist |||| Playlists' },
    audit: { name: 'Audit trail |||| Audit trail' },
  },
};
const fr = {
  ...frenchMessages,
  pod: { admin: { title: 'Administration de Pod', only_admins: 'Réservé aux administrateurs (superutilisateurs et gestionnaires)', retry: 'Relancer', retried: 'Encodage relancé', promote: 'Mettre en avant', unpromote: 'Retirer de la une', statistics: 'Statistiques' },
    stats: { videos: 'Vidéos', hours: 'Heures', storage: 'Stockage (sources)', users: 'Utilisateurs actifs', playlists: 'Listes de lecture', views_total: 'Vues (total)', views_30_days: 'Vues (période)', per_day: 'Vues par jour, du %{from} au %{to} (%{zone})', csv: 'Télécharger en CSV' },
    enrichments: { comments: 'Commentaires', notes: 'Notes publiques', documents: 'Documents', contributors: 'Contributeurs', overlays: 'Surimpressions', links: 'Liens minutés', hide: 'Masquer', show: 'Afficher' } },
  resources: {
    users: { name: 'Utilisateur |||| Utilisateurs' }, groups: { name: "Groupe d'accès |||| Groupes d'accès" }, channels: { name: 'Chaîne |||| Chaînes' },
    types: { name: 'Type |||| Types' }, disciplines: { name: 'Discipline |||| Disciplines' }, videos: { name: 'Vidéo |||| Vidéos' },
    jobs: { name: "Tâche d'encodage |||| Tâches d'encodage" }, themes: { name: 'Thème |||| Thèmes' }, playlists: { name: 'Liste de lecture |||| Listes de lecture' },
    audit: { name: "Journal d'audit |||| Journal d'audit" },
  },
};

const initial = navigator.language?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
export const i18nProvider = polyglotI18nProvider((locale) => (locale === 'fr' ? fr : en), initial, [
  { locale: 'en', name: 'English' }, { locale: 'fr', name: 'Français' },
], { allowMissing: true });
