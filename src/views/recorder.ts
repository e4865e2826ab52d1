// View counting: the platform's hottest write (a popular lecture has
// thousands of viewers at once), so a view costs no database round trip.
// Each API node keeps the views it accepted in memory and writes them in one
// statement every VIEW_FLUSH_INTERVAL_MS: the de-duplication marks decide, in
// the database, which views count (so two nodes never count one viewer twice
// within the window), then the daily series and the totals are incremented.
// A crash loses at most one interval of this node's views; a graceful stop
// writes them (app close → stop()).
//
// Privacy (GDPR): a viewer is a keyed hash (HMAC-SHA256 under a key derived
// from SECRET_KEY, 16 bytes) of the video id and the user id, or of the video
// id, the client address and the user agent when anonymous. Neither address
// nor agent nor user id is stored, the hash differs per video (no linking
// across videos), and a mark is deleted once older than the window.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../core/db/engine.ts';

export interface ViewRecorderOptions {
  /** VIEW_DEDUP_WINDOW_S: one counted view per viewer per video within it (0: every view counts). */
  windowS: number;
  intervalMs: number;
  timeZone: string;
  recentDays: number;
  /** The HMAC key (derived from SECRET_KEY: the same on every node). */
  key: () => Buffer;
  now: () => Date;
  warn: (msg: string, err: unknown) => void;
}

interface Pending { videoId: number; key: Buffer; at: Date; n: number }

/**
 * Marks this node remembers (what it counted within the window), in two
 * generations of at most half this each: when the newer is full, the older is
 * forgotten whole (deleting Map entries one by one from the front slowed every
 * later insertion: throughput fell by half over three rounds of the bench). A
 * repeat this node no longer remembers goes to the database, which drops it.
 */
const RECENT_MAX = 200_000;
const DEADLOCK_OR_SERIALIZATION = new Set(['40P01', '40001']);

export class ViewRecorder {
  private pending = new Map<string, Pending>();
  /** mark → when this node accepted it (ms): repeats within the window never reach the database. */
  private recent = new Map<string, number>();
  private older = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<number> = Promise.resolve(0);
  private lastMaintenance = 0;
  /** A KeyObject: HMAC with a Buffer key imports it at every call (16 µs here, 3 µs with the object). */
  private hmacKey: KeyObject | undefined;
  private readonly dbh: DatabaseHandle;
  private readonly opts: ViewRecorderOptions;
  /** The clock views are counted by (statistics' "today" follows it). */
  now(): Date { return this.opts.now(); }

  /** Views this node accepted since it started (metrics: what the database must have counted, after a flush). */
  acceptedTotal = 0;

  /** Views accepted and not yet written (metrics, tests). */
  get backlog() { return this.pending.size; }

  constructor(dbh: DatabaseHandle, opts: ViewRecorderOptions) {
    this.dbh = dbh;
    this.opts = opts;
  }

  start() {
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** The viewer's mark for this video (see the privacy note above). */
  viewerKey(videoId: number, viewer: string): Buffer {
    return createHmac('sha256', this.hmacKey ??= createSecretKey(this.opts.key())).update(`${videoId}\u0000${viewer}`).digest().subarray(0, 16);
  }

  /** Accepts a view; 'duplicate' when this node already counted this viewer within the window. */
  register(videoId: number, viewer: string): 'accepted' | 'duplicate' {
    const at = this.opts.now();
    const key = this.viewerKey(videoId, viewer);
    const mark = `${videoId}:${key.toString('base64')}`;
    const windowMs = this.opts.windowS * 1000;
    if (windowMs > 0) {
      const seen = this.recent.get(mark) ?? this.older.get(mark);
      if (seen !== undefined && at.getTime() - seen < windowMs) return 'duplicate';
      if (this.recent.size >= RECENT_MAX / 2) {
        this.older = this.recent;
        this.recent = new Map();
      }
      this.recent.set(mark, at.getTime());
      this.pending.set(mark, { videoId, key, at, n: 1 });
    } else {
      const same = this.pending.get(mark);
      if (same) same.n++;
      else this.pending.set(mark, { videoId, key, at, n: 1 });
    }
    this.acceptedTotal++;
    return 'accepted';
  }

  /** Writes the accepted views now; resolves with how many counted (after the database's de-duplication). */
  flush(): Promise<number> {
    this.flushing = this.flushing.then(() => this.write(), () => this.write());
    return this.flushing;
  }

  private async write(): Promise<number> {
    await this.maintainIfDue();
    if (this.pending.size === 0) return 0;
    // (The statement takes its rows in (video, key) order itself.)
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      return await this.writeBatch(batch);
    } catch (err) {
      // Kept for the next flush (a database restart, a deadlock between nodes): nothing is lost while this node lives.
      for (const p of batch) {
        const mark = `${p.videoId}:${p.key.toString('base64')}`;
        const newer = this.pending.get(mark);
        if (newer && this.opts.windowS === 0) newer.n += p.n;
        else if (!newer) this.pending.set(mark, p);
      }
      const code = (err as { code?: string }).code;
      if (!code || !DEADLOCK_OR_SERIALIZATION.has(code)) this.opts.warn('views could not be written; kept for the next flush', err);
      throw err;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<number> {
    const { windowS, timeZone, recentDays } = this.opts;
    const ids = batch.map((p) => p.videoId);
    const keys = batch.map((p) => p.key);
    const ats = batch.map((p) => p.at.toISOString());
    const ns = batch.map((p) => p.n);
    const now = this.opts.now().toISOString();
    // counted: the views that count (with a window: the marks inserted, or renewed because the last
    // counted view is older than the window). Rows are taken in (video, key) order: two nodes flushing
    // at once lock them in the same order, and never deadlock each other.
    const counted = windowS > 0
      ? sql`counted as (
          insert into view_marks (video_id, viewer_key, counted_at)
          select i.video_id, i.viewer_key, i.at from incoming i order by i.video_id, i.viewer_key
          on conflict (video_id, viewer_key) do update set counted_at = excluded.counted_at
            where view_marks.counted_at <= excluded.counted_at - make_interval(secs => ${windowS}::int)
          returning video_id, counted_at, 1::bigint as n)`
      : sql`counted as (select video_id, at as counted_at, n from incoming)`;
    const result = await sql<{ counted: string | number | null }>`/* writes: video_view_counts */
      with incoming as materialized (
        select i.video_id, i.viewer_key, i.at, i.n
        from unnest(${ids}::bigint[], ${keys}::bytea[], ${ats}::timestamptz[], ${ns}::bigint[]) as i(video_id, viewer_key, at, n)
        where exists (select 1 from videos v where v.id = i.video_id)
      ),
      ${counted},
      per_day as (
        select video_id, (counted_at at time zone ${timeZone})::date as day, sum(n)::bigint as n from counted group by 1, 2
      ),
      daily as (
        insert into video_views_daily (video_id, day, views) select video_id, day, n from per_day order by video_id, day
        on conflict (video_id, day) do update set views = video_views_daily.views + excluded.views
      ),
      totals as (
        select video_id, sum(n)::bigint as n,
          coalesce(sum(n) filter (where day > (${now}::timestamptz at time zone ${timeZone})::date - ${recentDays}::int), 0)::bigint as recent
        from per_day group by video_id
      ),
      locked as materialized (
        select c.video_id from video_view_counts c where c.video_id in (select video_id from totals) order by c.video_id for update
      ),
      updated as (
        update video_view_counts c set views = c.views + t.n, recent_views = c.recent_views + t.recent
        from totals t join locked l on l.video_id = t.video_id where c.video_id = t.video_id
      )
      select (select sum(n) from per_day) as counted`.execute(this.dbh.db);
    return Number(result.rows[0]?.counted ?? 0);
  }

  /**
   * Every ten minutes on each node (idempotent, so several nodes may): marks
   * older than the window are deleted, and the recent totals recomputed from
   * the daily series (the oldest day leaves the window as days pass).
   */
  private async maintainIfDue() {
    const nowMs = this.opts.now().getTime();
    if (nowMs - this.lastMaintenance < 10 * 60_000) return;
    this.lastMaintenance = nowMs;
    await this.maintain().catch((err: unknown) => this.opts.warn('view maintenance failed', err));
  }

  async maintain() {
    const { windowS, timeZone, recentDays } = this.opts;
    const now = this.opts.now().toISOString();
    await sql`delete from view_marks where counted_at < ${now}::timestamptz - make_interval(secs => ${windowS}::int)`.execute(this.dbh.db);
    const recent = sql`select video_id, sum(views)::bigint as n from video_views_daily
      where day > (${now}::timestamptz at time zone ${timeZone})::date - ${recentDays}::int group by video_id`;
    await sql`/* writes: video_view_counts */ with s as (${recent}) update video_view_counts c set recent_views = s.n from s
      where c.video_id = s.video_id and c.recent_views <> s.n`.execute(this.dbh.db);
    await sql`/* writes: video_view_counts */ with s as (${recent}) update video_view_counts c set recent_views = 0
      where c.recent_views <> 0 and not exists (select 1 from s where s.video_id = c.video_id)`.execute(this.dbh.db);
  }
}
