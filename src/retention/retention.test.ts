// Retention (Pod's obsolescence) on a fake clock: the date a video gets,
// who may move it and how far, the warning e-mails before it (real SMTP
// server), archiving at the date (hidden, private links revoked, files
// kept), deletion in RETENTION_ACTION=delete, the managers' report, dry runs
// (the preview endpoint and the command) that change nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { migrate } from '../core/db/migrate.ts';
import { markEncoded } from '../test-support/encoded.ts';
import { startMailbox, type TestMailbox } from '../test-support/smtp.ts';
import { createTestDatabase, startTestApp, TEST_POSTGRES_URL, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

let now = new Date('2027-01-10T10:00:00Z');
const setDay = (day: string) => { now = new Date(`${day}T10:00:00Z`); };
const address = (u: TestUser) => `${u.username}@univ.example`;

describe('retention', () => {
  let t: TestApp;
  let mailbox: TestMailbox;
  let student: TestUser, teacher: TestUser, coowner: TestUser, stranger: TestUser, manager: TestUser, root: TestUser;
  const video = async (who: TestUser, json: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/videos', { headers: who.auth, json: { is_draft: false, ...json } });
    assert.equal(res.status, 201, res.text);
    await markEncoded(t, res.body.data.id);
    return res.body.data as { id: number; slug: string; date_delete: string };
  };
  const get = (ref: string | number, headers: Record<string, string> = {}) => t.request('GET', `/api/v1/videos/${ref}`, { headers });
  const setDate = async (ref: number, date: string) => {
    await t.app.dbh.db.updateTable('videos').set({ date_delete: date }).where('id', '=', ref).execute();
  };

  before(async () => {
    mailbox = await startMailbox();
    t = await startTestApp({
      env: {
        SMTP_URL: mailbox.url, PLATFORM_NAME: 'Pod', RETENTION_DEFAULT_YEARS: '2', RETENTION_AFFILIATION_YEARS: 'faculty:5,staff:4',
        RETENTION_MAX_YEARS: '10', RETENTION_WARN_DAYS: '30', RETENTION_ACTION: 'archive', EMAIL_RETRY_DELAY_S: '1',
      },
      build: { now: () => now },
    });
    student = await createUser(t, 'student', { affiliation: 'student' });
    teacher = await createUser(t, 'teacher', { is_staff: true, affiliation: 'faculty' });
    coowner = await createUser(t, 'coowner');
    stranger = await createUser(t, 'stranger');
    manager = await createUser(t, 'manager', { is_manager: true });
    root = await createUser(t, 'root', { is_superuser: true });
  });
  after(async () => {
    await t.close();
    await mailbox.stop();
  });

  it('a new video is kept RETENTION_DEFAULT_YEARS, or its owner\'s affiliation\'s years', async () => {
    assert.equal((await video(student, { title: 'Student work' })).date_delete, '2029-01-10');
    assert.equal((await video(teacher, { title: 'Lecture' })).date_delete, '2032-01-10');
    // A manager creating a video for someone else: the owner's affiliation counts.
    const res = await t.request('POST', '/api/v1/videos', { headers: manager.auth, json: { title: 'For the teacher', owner: 'teacher' } });
    assert.equal(res.body.data.date_delete, '2032-01-10');
  });

  it('editors move date_delete within RETENTION_MAX_YEARS; managers further, or to never; others cannot', async () => {
    const v = await video(teacher, { title: 'Movable', additional_owners: ['coowner'] });
    const patch = (who: TestUser | null, date_delete: unknown) =>
      t.request('PATCH', `/api/v1/videos/${v.id}`, { headers: who?.auth ?? {}, json: { date_delete } });
    assert.equal((await patch(teacher, '2036-12-31')).body.data.date_delete, '2036-12-31');
    assert.equal((await patch(coowner, '2037-01-10')).body.data.date_delete, '2037-01-10', 'exactly ten years ahead');
    for (const [date, why] of [['2037-01-11', 'beyond ten years'], ['2027-01-10', 'today'], ['2026-06-01', 'past'], [null, 'never']] as const) {
      const res = await patch(teacher, date);
      assert.equal(res.status, 400, why);
      assert.equal(res.body.errors[0].code, 'invalid_date_delete', why);
      assert.equal(res.body.errors[0].field, 'date_delete');
    }
    assert.equal((await patch(manager, '2060-01-01')).body.data.date_delete, '2060-01-01');
    assert.equal((await patch(root, null)).body.data.date_delete, null);
    assert.equal((await patch(stranger, '2030-01-01')).status, 403);
    assert.equal((await patch(null, '2030-01-01')).status, 401);
    for (const bad of ['10/01/2030', 2030, '2030-02-30', 'x'.repeat(10_000)]) {
      const res = await patch(teacher, bad);
      assert.equal(res.status, 400, String(bad).slice(0, 20));
      assert.equal(res.body.errors[0].field, 'date_delete');
    }
    // Each move is on the audit trail, with before and after.
    const trail = await t.request('GET', `/api/v1/audit?action=video.retention_changed&target_type=video&target_id=${v.id}`, { headers: root.auth });
    assert.deepEqual(trail.body.data.map((e: any) => e.details.date_delete), [['2060-01-01', null], ['2037-01-10', '2060-01-01'], ['2036-12-31', '2037-01-10'], ['2032-01-10', '2036-12-31']]);
    assert.deepEqual(trail.body.data.map((e: any) => e.actor.username), ['root', 'manager', 'coowner', 'teacher']);
  });

  it('across the dates: warned once before, archived at the date (hidden, links revoked, files kept), reported to managers', async () => {
    setDay('2027-01-10');
    const a = await video(student, { title: 'Old lecture', additional_owners: ['coowner'] });
    const b = await video(teacher, { title: 'Other lecture' });
    await setDate(a.id, '2027-02-24');
    await setDate(b.id, '2027-03-01');
    const link = await t.request('POST', `/api/v1/videos/${a.id}/access-tokens`, { headers: student.auth, json: { name: 'for the class' } });
    assert.equal(link.status, 201);

    let report = await t.app.maintenance.retentionSweep();
    assert.deepEqual([report.warned.length, report.archived.length], [0, 0], '45 days ahead: not yet');

    setDay('2027-01-25');
    report = await t.app.maintenance.retentionSweep();
    assert.deepEqual(report.warned.map((v) => v.video_id), [a.id], 'a is 30 days away, b 35');
    const warnings = (u: TestUser) => mailbox.to(address(u)).filter((m) => m.subject?.includes('date de suppression'));
    await mailbox.waitFor(() => warnings(student).length === 1 && warnings(coowner).length === 1 && mailbox.to(address(manager)).length === 1);
    const warning = warnings(student)[0]!;
    assert.equal(warning.subject, '[Pod] 1 vidéo(s) arrivent à leur date de suppression');
    assert.match(warning.text!, /Old lecture \(2027-02-24\)/);
    assert.match(warning.text!, /archivées \(masquées, fichiers conservés\)/);
    assert.match(mailbox.to(address(manager))[0]!.subject!, /Rétention du 2027-01-25 : 0 archivée\(s\), 0 supprimée\(s\)/);
    report = await t.app.maintenance.retentionSweep();
    assert.equal(report.warned.length, 0, 'warned once per date');

    setDay('2027-02-24');
    report = await t.app.maintenance.retentionSweep();
    assert.deepEqual(report.archived.map((v) => v.video_id), [a.id]);
    // b is 5 days away, unwarned: its owners get their 30 days of notice, its date moves to the end of them.
    assert.deepEqual(report.warned.map((v) => [v.video_id, v.date_delete]), [[b.id, '2027-03-26']]);
    assert.equal((await get(b.id)).body.data.date_delete, '2027-03-26');
    assert.equal((await get(a.id)).status, 404, 'hidden from anonymous viewers');
    assert.equal((await get(a.id, stranger.auth)).status, 404);
    assert.equal((await get(`${a.id}?token=${link.body.data.token}`)).status, 404, 'its private links are revoked');
    const mine = await get(a.id, student.auth);
    assert.equal(mine.body.data.is_draft, true);
    assert.equal(mine.body.data.archived_at, now.toISOString());
    assert.ok(await t.app.storage.stat(`encodings/${a.id}/360p.mp4`), 'files kept');
    const trail = await t.request('GET', `/api/v1/audit?target_type=video&target_id=${a.id}&action=video.archived`, { headers: root.auth });
    assert.equal(trail.body.data.length, 1);
    assert.equal(trail.body.data[0].actor, null, 'the system did it');
    assert.deepEqual(trail.body.data[0].details, { reason: 'retention', date_delete: '2027-02-24', private_links_revoked: 1 });
    await mailbox.waitFor(() => mailbox.to(address(manager)).some((m) => m.subject?.includes('1 archivée')));
    assert.match(mailbox.to(address(manager)).find((m) => m.subject?.includes('1 archivée'))!.text!, /Old lecture/);

    // The owner keeps it: a later date takes it out of the archive; publishing again is theirs to do.
    const kept = await t.request('PATCH', `/api/v1/videos/${a.id}`, { headers: student.auth, json: { date_delete: '2028-02-20', is_draft: false } });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.data.archived_at, null);
    assert.equal((await get(a.id)).status, 200);
  });

  it('a date already past (a V4 import) is not acted on at once: warned, then given its notice', async () => {
    setDay('2027-06-01');
    const old = await video(teacher, { title: 'Imported from V4' });
    await setDate(old.id, '2024-01-01');
    const report = await t.app.maintenance.retentionSweep();
    assert.deepEqual(report.archived.filter((v) => v.video_id === old.id), []);
    assert.deepEqual(report.warned.filter((v) => v.video_id === old.id).map((v) => v.date_delete), ['2027-07-01']);
    const moved = await t.request('GET', `/api/v1/audit?action=video.retention_changed&target_id=${old.id}`, { headers: root.auth });
    assert.deepEqual(moved.body.data[0].details, { date_delete: ['2024-01-01', '2027-07-01'], reason: 'notice' });
    assert.equal(moved.body.data[0].actor, null);
    setDay('2027-07-01');
    assert.ok((await t.app.maintenance.retentionSweep()).archived.some((v) => v.video_id === old.id), 'archived at the end of the notice');
  });

  it('dry run (GET /retention/preview, managers): reports what a sweep would do on a day, changes nothing', async () => {
    setDay('2027-02-21');
    const c = await video(coowner, { title: 'Due soon' });
    await setDate(c.id, '2027-03-05');
    const preview = await t.request('GET', '/api/v1/retention/preview?date=2027-03-06', { headers: manager.auth });
    assert.equal(preview.status, 200, preview.text);
    assert.equal(preview.body.data.dry_run, true);
    assert.equal(preview.body.data.day, '2027-03-06');
    // Never warned, its date passed by then: the sweep would warn and give it its 30 days of notice.
    assert.deepEqual(preview.body.data.warned.filter((v: any) => v.video_id === c.id).map((v: any) => [v.owner, v.date_delete]), [['coowner', '2027-04-05']]);
    assert.ok(preview.body.data.emails_queued >= 1);
    const after = await get(c.id);
    assert.equal(after.status, 200, 'still public');
    assert.equal(after.body.data.archived_at, null);
    assert.equal(after.body.data.date_delete, '2027-03-05', 'the date did not move either');
    const row = await t.app.dbh.db.selectFrom('videos').select('retention_warned_at').where('id', '=', c.id).executeTakeFirstOrThrow();
    assert.equal(row.retention_warned_at, null, 'no warning recorded either');
    // ACL and bad input
    assert.equal((await t.request('GET', '/api/v1/retention/preview')).status, 401);
    assert.equal((await t.request('GET', '/api/v1/retention/preview', { headers: teacher.auth })).body.errors[0].code, 'forbidden');
    assert.equal((await t.request('GET', '/api/v1/retention/preview', { headers: root.auth })).status, 200);
    for (const q of ['date=2027-02-20', 'date=tomorrow', 'date=2027-02-30', 'date=']) {
      const res = await t.request('GET', `/api/v1/retention/preview?${q}`, { headers: manager.auth });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.errors[0].field, 'query.date', q);
    }
  });

  it('RETENTION_ACTION=delete: at the date the video is deleted (its files purged by the purge job), on the record', async () => {
    const d = await startTestApp({ env: { RETENTION_ACTION: 'delete', RETENTION_WARN_DAYS: '0' }, build: { now: () => new Date('2030-01-01T10:00:00Z') } });
    try {
      const owner = await createUser(d, 'owner');
      const made = await d.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Doomed', is_draft: false } });
      await d.app.dbh.db.updateTable('videos').set({ date_delete: '2029-12-31' }).where('id', '=', made.body.data.id).execute();
      const report = await d.app.maintenance.retentionSweep();
      assert.deepEqual(report.deleted.map((v) => v.video_id), [made.body.data.id]);
      assert.equal((await d.request('GET', `/api/v1/videos/${made.body.data.id}`, { headers: owner.auth })).status, 404);
      const jobs = await d.app.jobs.boss.findJobs('video-purge', { data: { video_id: made.body.data.id } });
      assert.equal(jobs.length, 1, 'the purge of its files is queued');
      const row = await d.app.dbh.db.selectFrom('audit_log').select(['action', 'actor_id']).where('target_id', '=', String(made.body.data.id)).executeTakeFirstOrThrow();
      assert.deepEqual(row, { action: 'video.deleted', actor_id: null });
    } finally {
      await d.close();
    }
  });

  // On PostgreSQL only: on PGlite the command would first create and migrate a data directory of its own
  // (about 12 s of CPU for nothing the command itself does); the sweep it runs is the one tested above.
  it('the command: npm run retention -- --dry-run prints the report and changes nothing', { skip: !TEST_POSTGRES_URL && 'runs in the PostgreSQL pass' }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pod-retention-'));
    const pg = await createTestDatabase(TEST_POSTGRES_URL!);
    const env = { ...process.env, NODE_ENV: 'test', SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop', MEDIA_DIR: path.join(dir, 'media'), DATABASE_URL: pg.url };
    // The schema and a video due by then, made here; the command runs once (each run starts a whole app).
    const handle = await openDatabase(loadConfig({ DATABASE_URL: pg.url, NODE_ENV: 'test' }));
    const run = promisify(execFile);
    try {
      await migrate(handle);
      const user = await handle.db.insertInto('users').values({ username: 'prof', email: 'prof@univ.example' }).returning('id').executeTakeFirstOrThrow();
      const video = await handle.db.insertInto('videos').values({ slug: '0001-due', title: 'Due', owner_id: user.id, is_draft: false, date_delete: '2031-04-01' })
        .returning('id').executeTakeFirstOrThrow();
      const report = JSON.parse((await run(process.execPath, ['src/retention/cli.ts', '--dry-run', '--date', '2031-05-01'], { env, timeout: 120_000 })).stdout);
      assert.deepEqual([report.day, report.dry_run, report.action], ['2031-05-01', true, 'archive']);
      // Never warned: a real sweep would warn its owner and move its date to the end of the notice…
      assert.deepEqual(report.warned.map((v: any) => [v.video_id, v.owner, v.date_delete]), [[video.id, 'prof', '2031-05-31']]);
      // …and this one, a dry run, left the row as it was.
      const after = await handle.db.selectFrom('videos').select(['is_draft', 'archived_at', 'retention_warned_at', sql<string>`date_delete::text`.as('date_delete')])
        .where('id', '=', video.id).executeTakeFirstOrThrow();
      assert.deepEqual(after, { is_draft: false, archived_at: null, retention_warned_at: null, date_delete: '2031-04-01' });
      await assert.rejects(run(process.execPath, ['src/retention/cli.ts', '--date', '2031-05-01'], { env }), (err: any) => err.code === 64);
    } finally {
      await handle.close();
      await pg.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
