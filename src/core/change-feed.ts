// What changed in the database, as every API node learns it: the triggers of
// migration 0012 notify channel pod_changes at commit, and each node listens
// (PostgreSQL: one dedicated connection; PGlite: its own instance). Each topic
// has a generation that moves on every change; read caches (core/read-cache.ts)
// keep an answer only while its topic's generation has not moved. While the
// listening connection is down, nothing may be cached (`live` is false): a
// change could be missed. Reconnection moves every generation.
import type { DatabaseHandle } from './db/engine.ts';

/**
 * catalog: what listings, details and configurations show; auth: sessions;
 * counts: the view totals (written every few seconds under load: what only
 * shows them follows it, what decides access does not).
 */
export type Topic = 'catalog' | 'auth' | 'counts';
const TOPICS: Topic[] = ['catalog', 'auth', 'counts'];
export const CHANGES_CHANNEL = 'pod_changes';

export class ChangeFeed {
  private readonly generations: Record<Topic, number> = { catalog: 0, auth: 0, counts: 0 };
  /** True while notifications are being received: caches may serve. */
  live = false;
  private stopped = false;
  private stopListening: (() => Promise<void>) | undefined;
  private retry: NodeJS.Timeout | undefined;

  private readonly log: (msg: string, err?: unknown) => void;

  constructor(log: (msg: string, err?: unknown) => void = () => {}) {
    this.log = log;
  }

  generation(topic: Topic): number {
    return this.generations[topic];
  }

  /** A change seen by this node (a notification, or a write the node knows of). */
  changed(payload: string) {
    const topics = payload === 'all' || !TOPICS.includes(payload as Topic) ? TOPICS : [payload as Topic];
    for (const t of topics) this.generations[t]++;
  }

  async start(dbh: DatabaseHandle): Promise<void> {
    if (dbh.kind === 'pglite') {
      this.stopListening = await dbh.pglite!.listen(CHANGES_CHANNEL, (payload) => this.changed(payload));
      this.live = true;
      return;
    }
    await this.connect(dbh.url!);
  }

  private async connect(url: string): Promise<void> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    let over = false;
    const lost = (err?: unknown) => {
      if (over) return;
      over = true;
      this.live = false;
      this.changed('all');
      void client.end().catch(() => {});
      if (this.stopped) return;
      this.log('change feed: no PostgreSQL connection to listen on; read caches are off until it is back', err);
      this.retry = setTimeout(() => void this.connect(url), 1000);
      this.retry.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => this.changed(n.payload ?? 'all'));
    try {
      await client.connect();
      await client.query(`listen ${CHANGES_CHANNEL}`);
    } catch (err) {
      lost(err);
      return;
    }
    if (this.stopped) {
      over = true;
      await client.end().catch(() => {});
      return;
    }
    this.stopListening = async () => {
      over = true;
      await client.end().catch(() => {});
    };
    // What changed before LISTEN took effect was missed: nothing cached before counts.
    this.changed('all');
    this.live = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.live = false;
    clearTimeout(this.retry);
    await this.stopListening?.().catch(() => {});
    this.stopListening = undefined;
  }
}
