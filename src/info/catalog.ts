// The fixed choices of a video's form, with their labels in French and
// English (Pod's LICENCE_CHOICES, CURSUS_CODES and the common part of
// LANG_CHOICES). A video's main_lang accepts any ISO 639 code; these are the
// ones a form offers first.
import { LICENCES } from '../videos/schemas.ts';

type Labels = { fr: string; en: string };

export const LICENCE_LABELS: Record<(typeof LICENCES)[number], Labels & { url: string }> = {
  'by': { fr: 'Attribution 4.0 International (CC BY 4.0)', en: 'Attribution 4.0 International (CC BY 4.0)', url: 'https://creativecommons.org/licenses/by/4.0/' },
  'by-nd': { fr: 'Attribution - Pas de modification (CC BY-ND 4.0)', en: 'Attribution-NoDerivatives (CC BY-ND 4.0)', url: 'https://creativecommons.org/licenses/by-nd/4.0/' },
  'by-nc-nd': { fr: 'Attribution - Pas d\'utilisation commerciale - Pas de modification (CC BY-NC-ND 4.0)', en: 'Attribution-NonCommercial-NoDerivatives (CC BY-NC-ND 4.0)', url: 'https://creativecommons.org/licenses/by-nc-nd/4.0/' },
  'by-nc': { fr: 'Attribution - Pas d\'utilisation commerciale (CC BY-NC 4.0)', en: 'Attribution-NonCommercial (CC BY-NC 4.0)', url: 'https://creativecommons.org/licenses/by-nc/4.0/' },
  'by-nc-sa': { fr: 'Attribution - Pas d\'utilisation commerciale - Partage dans les mêmes conditions (CC BY-NC-SA 4.0)', en: 'Attribution-NonCommercial-ShareAlike (CC BY-NC-SA 4.0)', url: 'https://creativecommons.org/licenses/by-nc-sa/4.0/' },
  'by-sa': { fr: 'Attribution - Partage dans les mêmes conditions (CC BY-SA 4.0)', en: 'Attribution-ShareAlike (CC BY-SA 4.0)', url: 'https://creativecommons.org/licenses/by-sa/4.0/' },
};

export const CURSUS: { code: string; labels: Labels }[] = [
  { code: '0', labels: { fr: 'Aucun / tous', en: 'None / all' } },
  { code: 'L', labels: { fr: 'Licence', en: 'Bachelor\'s degree' } },
  { code: 'M', labels: { fr: 'Master', en: 'Master\'s degree' } },
  { code: 'D', labels: { fr: 'Doctorat', en: 'Doctorate' } },
  { code: '1', labels: { fr: 'Autre', en: 'Other' } },
];

export const LANGUAGES: { code: string; labels: Labels }[] = [
  ['fr', 'Français', 'French'], ['en', 'Anglais', 'English'], ['de', 'Allemand', 'German'], ['es', 'Espagnol', 'Spanish'],
  ['it', 'Italien', 'Italian'], ['pt', 'Portugais', 'Portuguese'], ['nl', 'Néerlandais', 'Dutch'], ['ar', 'Arabe', 'Arabic'],
  ['zh', 'Chinois', 'Chinese'], ['ja', 'Japonais', 'Japanese'], ['ko', 'Coréen', 'Korean'], ['ru', 'Russe', 'Russian'],
  ['pl', 'Polonais', 'Polish'], ['ro', 'Roumain', 'Romanian'], ['el', 'Grec', 'Greek'], ['tr', 'Turc', 'Turkish'],
  ['br', 'Breton', 'Breton'], ['oc', 'Occitan', 'Occitan'], ['ca', 'Catalan', 'Catalan'], ['eu', 'Basque', 'Basque'],
  ['co', 'Corse', 'Corsican'], ['la', 'Latin', 'Latin'], ['sgn', 'Langue des signes', 'Sign language'],
].map(([code, fr, en]) => ({ code: code!, labels: { fr: fr!, en: en! } }));
