// E-mail notifications against a real SMTP server (smtp-server on
// loopback): encoding finished or failed → the owner and additional owners,
// each in their language, with a plain-text and an HTML part; a new
// additional owner hears of it; an opted-out user gets nothing; an SMTP
// outage delays mail (the durable job retries) but loses none.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { startMailbox, type TestMailbox } from '../test-support/smtp.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { wavBuffer } from '../test-support/media.ts';
import { tusUpload } from '../test-support/tus.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const address = (u: TestUser) => `${u.username}@univ.example`;

describe('e-mail notifications (real SMTP server)', () => {
  let t: TestApp;
  let mailbox: TestMailbox;
  let owner: TestUser, coowner: TestUser, quiet: TestUser, stranger: TestUser;
  const webhook = new Webhook(SECRET);

  const callback = (event: Record<string, unknown>) => {
    const body = JSON.stringify(event);
    const id = `evt_${randomUUID()}`;
    const now = new Date();
    return t.request('POST', '/api/v1/internal/encoding-callback', {
      body,
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': webhook.sign(id, now, body) },
    });
  };
  /** A video of `owner` with a source uploaded (so an encoding job): id, slug, job id. */
  const uploadedVideo = async (json: Record<string, unknown>) => {
    const created = await t.request('POST', '/api/v1/videos', { headers: owner.auth, json });
    assert.equal(created.status, 201, created.text);
    const done = await tusUpload(t, wavBuffer(100_000), { headers: owner.auth, metadata: { filename: 'lecture.wav', video: String(created.body.data.id) } });
    assert.equal(done.status, 204, JSON.stringify(done.body));
    const row = await t.app.dbh.db.selectFrom('videos').select('encoding_job_id').where('id', '=', created.body.data.id).executeTakeFirstOrThrow();
    return { id: created.body.data.id as number, slug: created.body.data.slug as string, job: row.encoding_job_id! };
  };

  before(async () => {
    mailbox = await startMailbox();
    t = await startTestApp({
      env: {
        ENCODER_WEBHOOK_SECRET: SECRET, SMTP_URL: mailbox.url, MAIL_FROM: 'Pod Test <pod@univ.example>', PLATFORM_NAME: 'Pod Test',
        FRONTEND_URL: 'https://pod.univ.example', EMAIL_RETRY_DELAY_S: '1',
      },
    });
    owner = await createUser(t, 'owner', { is_staff: true });
    coowner = await createUser(t, 'coowner');
    quiet = await createUser(t, 'quiet');
    stranger = await createUser(t, 'stranger');
    // Each chooses through their own profile: English e-mails; no e-mail at all.
    assert.equal((await t.request('PATCH', '/api/v1/users/me', { headers: coowner.auth, json: { language: 'en' } })).body.data.language, 'en');
    assert.equal((await t.request('PATCH', '/api/v1/users/me', { headers: quiet.auth, json: { email_notifications: false } })).body.data.email_notifications, false);
  });
  after(async () => {
    await t.close();
    await mailbox.stop();
  });

  it('encoding ready: the owner (French) and the co-owner (English) get it, text and HTML, escaped; the opted-out co-owner does not', async () => {
    const v = await uploadedVideo({ title: 'Cours <b>1</b> & TD', additional_owners: ['coowner', 'quiet'] });
    // Being added as co-owner was announced to the co-owner who accepts e-mail only.
    await mailbox.waitFor(() => mailbox.to(address(coowner)).some((m) => m.subject?.includes('additional owner')));
    const added = mailbox.to(address(coowner)).find((m) => m.subject?.includes('additional owner'))!;
    assert.match(added.text!, /owner added you as an additional owner/);

    const res = await callback({ type: 'encoding.ready', video_id: v.id, job_id: v.job, outputs: {
      renditions: [], mp4: [{ key: `encodings/${v.id}/360p.mp4`, height: 360 }], audio: null, thumbnails: [], poster: null, duration: 3, subtitles: [],
    } });
    assert.equal(res.status, 200, res.text);
    await mailbox.waitFor(() => mailbox.to(address(owner)).length >= 1 && mailbox.to(address(coowner)).length >= 2);
    const fr = mailbox.to(address(owner)).at(-1)!;
    assert.equal(fr.subject, '[Pod Test] Votre vidéo « Cours <b>1</b> & TD » est prête');
    assert.equal(fr.from?.value[0]?.address, 'pod@univ.example');
    assert.match(fr.text!, /Bonjour owner Test,/);
    assert.ok(fr.text!.includes(`https://pod.univ.example/video/${v.slug}/`));
    assert.ok(fr.html && fr.html.includes('Cours &lt;b&gt;1&lt;/b&gt; &amp; TD'), 'titles are escaped in the HTML part');
    assert.ok(!String(fr.html).includes('<b>1</b>'));
    assert.equal(fr.headers.get('auto-submitted'), 'auto-generated');
    const en = mailbox.to(address(coowner)).at(-1)!;
    assert.equal(en.subject, '[Pod Test] Your video "Cours <b>1</b> & TD" is ready');
    assert.match(en.text!, /Hello coowner Test,/);
    assert.equal(mailbox.to(address(quiet)).length, 0, 'opted out: nothing');
    assert.equal(mailbox.to(address(stranger)).length, 0);
  });

  it('encoding failed: the reason is in the message; a user who opts out later gets nothing more', async () => {
    const v = await uploadedVideo({ title: 'Broken' });
    const before = mailbox.messages.length;
    const res = await callback({ type: 'encoding.error', video_id: v.id, job_id: v.job, error: { code: 'probe_failed', message: 'No video stream in the file' } });
    assert.equal(res.status, 200, res.text);
    await mailbox.waitFor((m) => m.length > before);
    const mail = mailbox.to(address(owner)).at(-1)!;
    assert.equal(mail.subject, '[Pod Test] L\'encodage de « Broken » a échoué');
    assert.match(mail.text!, /Raison : No video stream in the file/);

    assert.equal((await t.request('PATCH', '/api/v1/users/me', { headers: owner.auth, json: { email_notifications: false } })).status, 200);
    const w = await uploadedVideo({ title: 'Silent' });
    await callback({ type: 'encoding.error', video_id: w.id, job_id: w.job, error: { code: 'probe_failed', message: 'x' } });
    // Nothing was queued for them: the queue holds no e-mail about "Silent".
    const queued = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'email-send' and data->>'subject' like '%Silent%'`.execute(t.app.dbh.db);
    assert.equal(queued.rows[0]!.n, 0);
    await t.request('PATCH', '/api/v1/users/me', { headers: owner.auth, json: { email_notifications: true } });
  });

  it('SMTP server down: the e-mail waits in the queue, is retried, and arrives once the server is back', async () => {
    await mailbox.stop();
    const v = await uploadedVideo({ title: 'During the outage' });
    await callback({ type: 'encoding.error', video_id: v.id, job_id: v.job, error: { code: 'probe_failed', message: 'x' } });
    // Wait for the first attempt to fail (the job goes back to the queue to be retried).
    const deadline = Date.now() + 15_000;
    let retried = 0;
    while (Date.now() < deadline) {
      const r = await sql<{ n: number }>`select coalesce(max(retry_count), 0)::int as n from pgboss.job where name = 'email-send' and data->>'subject' like '%During the outage%'`.execute(t.app.dbh.db);
      retried = r.rows[0]!.n;
      if (retried >= 1) break;
      await t.app.jobs.waitForJob('never', 200);
    }
    assert.ok(retried >= 1, 'the first attempt failed and was scheduled again');
    assert.equal(mailbox.messages.filter((m) => m.subject?.includes('During the outage')).length, 0);
    await mailbox.start();
    await mailbox.waitFor((m) => m.some((x) => x.subject?.includes('During the outage')), 20_000);
    assert.equal(mailbox.to(address(owner)).filter((m) => m.subject?.includes('During the outage')).length, 1, 'delivered once');
  });

  it('profile: language and email_notifications are validated (bad input → 400 naming the field)', async () => {
    for (const [json, field] of [[{ language: 'de' }, 'language'], [{ email_notifications: 'no' }, 'email_notifications'], [{ language: 1 }, 'language']] as const) {
      const res = await t.request('PATCH', '/api/v1/users/me', { headers: stranger.auth, json });
      assert.equal(res.status, 400, JSON.stringify(json));
      assert.equal(res.body.errors[0].field, field);
    }
    assert.equal((await t.request('PATCH', '/api/v1/users/me', { json: { language: 'en' } })).status, 401);
  });
});
