// The e-mails the platform sends, in French and English (the recipient's
// `language`), each with a plain-text part and an HTML part. Every value
// put into the HTML is escaped: titles and names come from users.

export type Language = 'fr' | 'en';

export interface VideoLine {
  title: string;
  url: string;
  date_delete?: string;
}

export type MailKind =
  | { kind: 'encoding_ready'; video: VideoLine }
  | { kind: 'encoding_failed'; video: VideoLine; reason: string }
  | { kind: 'coowner_added'; video: VideoLine; by: string }
  | { kind: 'retention_warning'; videos: VideoLine[]; action: 'archive' | 'delete' }
  | { kind: 'retention_report'; day: string; warned: number; archived: VideoLine[]; deleted: VideoLine[] };

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A paragraph: plain text, or a link list. */
type Block = string | { links: VideoLine[]; withDate?: boolean };

function compose(platform: string, subject: string, greeting: string, blocks: Block[], footer: string): RenderedMail {
  const textBlocks = blocks.map((b) => typeof b === 'string' ? b
    : b.links.map((v) => `- ${v.title}${b.withDate && v.date_delete ? ` (${v.date_delete})` : ''}\n  ${v.url}`).join('\n'));
  const htmlBlocks = blocks.map((b) => typeof b === 'string' ? `<p>${escapeHtml(b)}</p>`
    : `<ul>${b.links.map((v) => `<li><a href="${escapeHtml(v.url)}">${escapeHtml(v.title)}</a>${b.withDate && v.date_delete ? ` (${escapeHtml(v.date_delete)})` : ''}</li>`).join('')}</ul>`);
  return {
    subject: `[${platform}] ${subject}`,
    text: [greeting, ...textBlocks, '--', footer].join('\n\n') + '\n',
    html: `<!doctype html><html><body><p>${escapeHtml(greeting)}</p>${htmlBlocks.join('')}<hr><p><small>${escapeHtml(footer)}</small></p></body></html>`,
  };
}

const FOOTER: Record<Language, (p: string) => string> = {
  fr: (p) => `Ce message vous est envoyé par ${p}. Vous pouvez désactiver ces notifications dans votre profil (email_notifications).`,
  en: (p) => `This message was sent by ${p}. You can turn these notifications off in your profile (email_notifications).`,
};

/** Renders one e-mail for one recipient. */
export function renderMail(mail: MailKind, lang: Language, platform: string, name: string): RenderedMail {
  const fr = lang === 'fr';
  const hello = fr ? `Bonjour ${name},` : `Hello ${name},`;
  const footer = FOOTER[lang](platform);
  switch (mail.kind) {
    case 'encoding_ready':
      return compose(platform, fr ? `Votre vidéo « ${mail.video.title} » est prête` : `Your video "${mail.video.title}" is ready`, hello, [
        fr ? 'L\'encodage de votre vidéo est terminé : elle peut être regardée.' : 'Your video has been encoded: it can be watched now.',
        { links: [mail.video] },
      ], footer);
    case 'encoding_failed':
      return compose(platform, fr ? `L'encodage de « ${mail.video.title} » a échoué` : `Encoding "${mail.video.title}" failed`, hello, [
        fr ? 'L\'encodage de votre vidéo a échoué. Vous pouvez relancer l\'encodage ou déposer un autre fichier.' : 'Your video could not be encoded. You can encode it again or upload another file.',
        (fr ? 'Raison : ' : 'Reason: ') + mail.reason,
        { links: [mail.video] },
      ], footer);
    case 'coowner_added':
      return compose(platform, fr ? `Vous êtes propriétaire additionnel de « ${mail.video.title} »` : `You are now an additional owner of "${mail.video.title}"`, hello, [
        fr ? `${mail.by} vous a ajouté comme propriétaire additionnel : vous pouvez modifier cette vidéo.` : `${mail.by} added you as an additional owner: you can now edit this video.`,
        { links: [mail.video] },
      ], footer);
    case 'retention_warning': {
      const what = mail.action === 'delete' ? (fr ? 'supprimées' : 'deleted') : (fr ? 'archivées (masquées, fichiers conservés)' : 'archived (hidden, files kept)');
      return compose(platform, fr ? `${mail.videos.length} vidéo(s) arrivent à leur date de suppression` : `${mail.videos.length} video(s) reach their deletion date`, hello, [
        fr ? `Les vidéos suivantes seront ${what} à la date indiquée :` : `The following videos will be ${what} on the date shown:`,
        { links: mail.videos, withDate: true },
        fr ? 'Pour les garder, repoussez leur date de suppression (date_delete) avant cette date.' : 'To keep them, move their deletion date (date_delete) later before that day.',
      ], footer);
    }
    case 'retention_report':
      return compose(platform, fr ? `Rétention du ${mail.day} : ${mail.archived.length} archivée(s), ${mail.deleted.length} supprimée(s)` : `Retention on ${mail.day}: ${mail.archived.length} archived, ${mail.deleted.length} deleted`, hello, [
        fr ? `Propriétaires prévenus pour ${mail.warned} vidéo(s).` : `Owners warned for ${mail.warned} video(s).`,
        ...(mail.archived.length ? [fr ? 'Archivées :' : 'Archived:', { links: mail.archived, withDate: true }] : []),
        ...(mail.deleted.length ? [fr ? 'Supprimées :' : 'Deleted:', { links: mail.deleted, withDate: true }] : []),
      ], footer);
  }
}
