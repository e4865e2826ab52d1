// The retention sweep, run every RETENTION_SWEEP_INTERVAL_S on one node at a
// time (an advisory lock), on the app's clock:
//  1. warns the owners (and additional owners) of each video whose date_delete
//     is within RETENTION_WARN_DAYS, once per date, in one e-mail per person; a
//     date nearer than that (or past: a V4 import) moves to the end of the notice;
//  2. at the date, archives the video (a draft since, its private links
//     revoked, files kept) or deletes it (soft delete now, files purged by the
//     durable purge job), per RETENTION_ACTION, each with its audit row;
//  3. e-mails managers and superusers a report of what it did;
// after dropping the audit rows older than AUDIT_RETENTION_DAYS.
// All of it in one transaction: a sweep that fails halfway did nothing, and
// the next one starts again. A dry run does the same work and rolls it back,
// so what it reports is exactly what a real run would do.
import type { FastifyInstance } from 'fastify';
import { sql, type Transaction } from 'kysely';
import { audit } from '../audit/log.ts';
import { pruneAudit } from '../audit/routes.ts';
import type { Database } from '../core/db/database.ts';
import { notifyUsers, videoLine } from '../notifications/notify.ts';
import { deleteVideo } from '../videos/purge.ts';
import { isoDay } from './policy.ts';

type Tx = Transaction<Database>;

export interface RetentionItem {
  video_id: number;
  slug: string;
  title: string;
  owner: string | null;
  date_delete: string;
}

export interface RetentionReport {
  day: string;
  dry_run: boolean;
  action: 'archive' | 'delete' | 'none';
  /** Another node was sweeping: this one did nothing. */
  skipped: boolean;
  warned: RetentionItem[];
  archived: RetentionItem[];
  deleted: RetentionItem[];
  emails_queued: number;
  audit_rows_pruned: number;
}

/** Videos handled per sweep at most: a backlog is worked off over the next sweeps. */
const BATCH = 500;

/** Thrown to roll a dry run back. */
class DryRun extends Error {}

function candidates(tx: Tx) {
  return tx.selectFrom('videos as v').leftJoin('users as o', 'o.id', 'v.owner_id')
    .select(['v.id as video_id', 'v.slug', 'v.title', 'o.username as owner', sql<string>`v.date_delete::text`.as('date_delete')])
    .where('v.deleted_at', 'is', null).where('v.archived_at', 'is', null).where('v.date_delete', 'is not', null)
    .orderBy('v.date_delete').orderBy('v.id').limit(BATCH);
}

export async function runRetention(app: FastifyInstance, opts: { dryRun?: boolean; now?: Date } = {}): Promise<RetentionReport> {
  const now = opts.now ?? app.clock();
  const day = isoDay(now);
  const action = app.config.RETENTION_ACTION;
  const report: RetentionReport = {
    day, dry_run: Boolean(opts.dryRun), action, skipped: false, warned: [], archived: [], deleted: [], emails_queued: 0, audit_rows_pruned: 0,
  };
  try {
    await app.dbh.db.transaction().execute(async (tx) => {
      const lock = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('pod-api:retention')) as locked`.execute(tx);
      if (!lock.rows[0]?.locked) {
        report.skipped = true;
        return;
      }
      report.audit_rows_pruned = await pruneAudit(tx, app.config.AUDIT_RETENTION_DAYS, now);
      if (action !== 'none') {
        await warnOwners(app, tx, report, now);
        await expire(app, tx, report, now);
        report.emails_queued += await reportToManagers(app, tx, report);
      }
      if (opts.dryRun) throw new DryRun('dry run');
    });
  } catch (err) {
    if (!(err instanceof DryRun)) throw err;
  }
  return report;
}

async function warnOwners(app: FastifyInstance, tx: Tx, report: RetentionReport, now: Date) {
  const warnDays = app.config.RETENTION_WARN_DAYS;
  if (!warnDays) return;
  const until = isoDay(new Date(now.getTime() + warnDays * 86_400_000));
  // Past dates included: a video imported from V4 with a date long gone, or moved to tomorrow by a
  // manager, is not archived before its owners had their RETENTION_WARN_DAYS of notice.
  const due = await candidates(tx).where('v.retention_warned_at', 'is', null).where('v.date_delete', '<=', sql<string>`${until}::date`)
    .forUpdate('v').skipLocked().execute();
  if (!due.length) return;
  const ids = due.map((v) => v.video_id);
  await tx.updateTable('videos').set({ retention_warned_at: now }).where('id', 'in', ids).execute();
  for (const video of due.filter((v) => v.date_delete < until)) {
    await tx.updateTable('videos').set({ date_delete: until }).where('id', '=', video.video_id).execute();
    await audit(tx, null, { action: 'video.retention_changed', target_type: 'video', target_id: video.video_id, details: { date_delete: [video.date_delete, until], reason: 'notice' }, at: now });
    video.date_delete = until;
  }
  // One e-mail per person, listing all of their videos.
  const owners = await tx.selectFrom('videos').select(['id', 'owner_id as user_id']).where('id', 'in', ids)
    .unionAll(tx.selectFrom('video_additional_owners').select(['video_id as id', 'user_id']).where('video_id', 'in', ids)).execute();
  const byId = new Map(due.map((v) => [v.video_id, v]));
  const byUser = new Map<number, typeof due>();
  for (const { id, user_id } of owners) {
    if (user_id === null) continue;
    byUser.set(user_id, [...(byUser.get(user_id) ?? []), byId.get(id)!]);
  }
  for (const [userId, videos] of byUser) {
    report.emails_queued += await notifyUsers(app, tx, [userId], {
      kind: 'retention_warning', action: report.action === 'delete' ? 'delete' : 'archive', videos: videos.map((v) => videoLine(app, v)),
    });
  }
  report.warned = due;
}

async function expire(app: FastifyInstance, tx: Tx, report: RetentionReport, now: Date) {
  // With warnings on, only a video whose owners were warned (and so had their notice) goes.
  const due = await candidates(tx).where('v.date_delete', '<=', sql<string>`${report.day}::date`)
    .$if(app.config.RETENTION_WARN_DAYS > 0, (q) => q.where('v.retention_warned_at', 'is not', null))
    .forUpdate('v').skipLocked().execute();
  for (const video of due) {
    const details = { reason: 'retention', date_delete: video.date_delete };
    if (report.action === 'delete') {
      await deleteVideo(app, tx, video.video_id);
      await audit(tx, null, { action: 'video.deleted', target_type: 'video', target_id: video.video_id, details, at: now });
      report.deleted.push(video);
    } else {
      await tx.updateTable('videos').set({ is_draft: true, archived_at: now }).where('id', '=', video.video_id).execute();
      // Hidden means hidden: a private link would still open it.
      const revoked = await tx.deleteFrom('video_access_tokens').where('video_id', '=', video.video_id).executeTakeFirst();
      await audit(tx, null, { action: 'video.archived', target_type: 'video', target_id: video.video_id, details: { ...details, private_links_revoked: Number(revoked.numDeletedRows) }, at: now });
      report.archived.push(video);
    }
    app.encodingBus.touch(video.video_id);
  }
}

async function reportToManagers(app: FastifyInstance, tx: Tx, report: RetentionReport): Promise<number> {
  if (!report.warned.length && !report.archived.length && !report.deleted.length) return 0;
  const managers = await tx.selectFrom('users').select('id').where((eb) => eb.or([eb('is_manager', '=', true), eb('is_superuser', '=', true)])).execute();
  return notifyUsers(app, tx, managers.map((m) => m.id), {
    kind: 'retention_report', day: report.day, warned: report.warned.length,
    archived: report.archived.map((v) => videoLine(app, v)), deleted: report.deleted.map((v) => videoLine(app, v)),
  });
}

/** Sweeps every RETENTION_SWEEP_INTERVAL_S (0: only when called); registers app.maintenance.retentionSweep. */
export async function retentionWorker(app: FastifyInstance) {
  app.maintenance.retentionSweep = (opts = {}) => runRetention(app, opts);
  const intervalS = app.config.RETENTION_SWEEP_INTERVAL_S;
  if (!intervalS) return;
  const sweep = () => void runRetention(app).then((r) => {
    if (r.warned.length || r.archived.length || r.deleted.length || r.audit_rows_pruned) {
      app.log.info({ warned: r.warned.length, archived: r.archived.length, deleted: r.deleted.length, audit_rows_pruned: r.audit_rows_pruned }, 'retention sweep');
    }
  }).catch((err: unknown) => app.log.error({ err }, 'retention sweep failed'));
  // The first sweep a minute after start (not during a rolling restart's busiest seconds), then on the interval.
  const first = setTimeout(sweep, Math.min(60, intervalS) * 1000);
  const every = setInterval(sweep, intervalS * 1000);
  first.unref();
  every.unref();
  app.addHook('onClose', async () => {
    clearTimeout(first);
    clearInterval(every);
  });
}
