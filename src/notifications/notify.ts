// E-mail notifications: who gets which message. A notification is queued in
// the transaction of what it reports (an encoding that ends, a co-owner
// added, a retention date near): it goes out only if that commits, and a
// request never waits for an SMTP server. Nothing is queued when SMTP_URL is
// unset, nor for an account that opted out, is disabled or has no address.
import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import { frontendBase } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import { renderMail, type MailKind, type VideoLine } from './templates.ts';

type Tx = Transaction<Database>;

/** The page of a video in the frontend (as oEmbed links it). */
export function videoPageUrl(app: FastifyInstance, slug: string): string {
  return `${frontendBase(app.config)}/video/${encodeURIComponent(slug)}/`;
}

export const videoLine = (app: FastifyInstance, v: { slug: string; title: string; date_delete?: string | null }): VideoLine => ({
  title: v.title, url: videoPageUrl(app, v.slug), ...(v.date_delete ? { date_delete: v.date_delete } : {}),
});

/** Queues `mail` for each of these users who may get it; returns how many were queued. */
export async function notifyUsers(app: FastifyInstance, tx: Tx, userIds: readonly number[], mail: MailKind): Promise<number> {
  if (!app.config.SMTP_URL || !userIds.length) return 0;
  const users = await tx.selectFrom('users').select(['id', 'email', 'username', 'first_name', 'last_name', 'language'])
    .where('id', 'in', [...new Set(userIds)]).where('is_active', '=', true).where('email_notifications', '=', true).where('email', '!=', '')
    .orderBy('id').execute();
  for (const u of users) {
    const name = [u.first_name, u.last_name].filter(Boolean).join(' ') || u.username;
    const message = renderMail(mail, u.language, app.config.PLATFORM_NAME, name);
    await app.jobs.enqueueEmail(tx, { to: u.email, kind: mail.kind, ...message });
  }
  if (users.length) app.jobs.notify('email-send');
  return users.length;
}

/** The owner and additional owners of a video (ids). */
export async function videoOwnerIds(tx: Tx, videoId: number): Promise<number[]> {
  const row = await tx.selectFrom('videos').select('owner_id').where('id', '=', videoId).executeTakeFirst();
  const extra = await tx.selectFrom('video_additional_owners').select('user_id').where('video_id', '=', videoId).execute();
  return [...(row?.owner_id ? [row.owner_id] : []), ...extra.map((r) => r.user_id)];
}

/** An encoding ended (ready or error): its owners hear of it, in the transaction that records it. */
export async function notifyEncodingEnded(app: FastifyInstance, tx: Tx, videoId: number, outcome: { status: 'ready' } | { status: 'error'; message: string }) {
  if (!app.config.SMTP_URL) return;
  const video = await tx.selectFrom('videos').select(['slug', 'title']).where('id', '=', videoId).executeTakeFirst();
  if (!video) return;
  const line = videoLine(app, video);
  await notifyUsers(app, tx, await videoOwnerIds(tx, videoId), outcome.status === 'ready'
    ? { kind: 'encoding_ready', video: line }
    : { kind: 'encoding_failed', video: line, reason: outcome.message });
}
