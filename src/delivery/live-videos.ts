// "Is this video still there?" for every media file served, answered fresh
// (a DELETE must stop its media at once, on every API node) but without one
// database round trip per file: requests are answered in rounds. A round is
// one query for every video asked since the previous round started; a request
// never joins a round already running — it waits for the next one, whose
// query starts after the request arrived, so its answer is never older than
// the request. Under load that is one query per round trip to the database,
// whatever the number of requests (measured in docs/benchmarks.md).
import type { Kysely } from 'kysely';
import type { Database } from '../core/db/database.ts';

type Waiter = { resolve: (live: boolean) => void; reject: (err: unknown) => void };

export class LiveVideos {
  readonly #db: () => Kysely<Database>;
  #next = new Map<number, Waiter[]>();
  #running = false;
  /** Database round trips made (for benchmarks and tests). */
  rounds = 0;

  constructor(db: () => Kysely<Database>) {
    this.#db = db;
  }

  /** True when the video exists and is not deleted, as of a query started after this call. */
  isLive(videoId: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const waiters = this.#next.get(videoId);
      if (waiters) waiters.push({ resolve, reject });
      else this.#next.set(videoId, [{ resolve, reject }]);
      if (!this.#running) {
        this.#running = true;
        // Let the requests of this turn of the event loop join the first round.
        setImmediate(() => void this.#rounds());
      }
    });
  }

  async #rounds() {
    while (this.#next.size) {
      const batch = this.#next;
      this.#next = new Map();
      this.rounds++;
      try {
        const rows = await this.#db().selectFrom('videos').select('id')
          .where('id', 'in', [...batch.keys()]).where('deleted_at', 'is', null).execute();
        const live = new Set(rows.map((r) => r.id));
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(live.has(id));
      } catch (err) {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      }
    }
    this.#running = false;
  }
}
