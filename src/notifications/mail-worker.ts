// Sends the queued e-mails through SMTP (nodemailer). A failure (server
// down, address refused for now) throws: the queue tries again later,
// backing off, up to EMAIL_MAX_ATTEMPTS. Every node may send: a job goes to
// one of them.
import type { FastifyInstance } from 'fastify';
import nodemailer from 'nodemailer';
import { QUEUES, type EmailJob } from '../core/jobs.ts';

export async function mailWorker(app: FastifyInstance) {
  const url = app.config.SMTP_URL;
  if (!url) return;
  const transport = nodemailer.createTransport(url, { from: app.config.MAIL_FROM });
  app.addHook('onClose', async () => transport.close());
  void app.jobs.ready.then(async () => {
    await app.jobs.boss.work<EmailJob>(QUEUES.email, { pollingIntervalSeconds: 1 }, async (jobs) => {
      for (const job of jobs) {
        const { to, subject, text, html, kind } = job.data;
        const info = await transport.sendMail({ to, subject, text, html, headers: { 'Auto-Submitted': 'auto-generated' } });
        app.log.info({ kind, job: job.id, message_id: info.messageId }, 'e-mail sent');
      }
    });
  }).catch((err: unknown) => app.log.error({ err }, 'the e-mail worker could not start'));
}
