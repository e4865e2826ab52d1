// A bounded in-memory cache of computed answers, exact under writes: an entry
// serves only while its topics' generations (core/change-feed.ts) are the ones it
// was computed under, and for at most `ttlMs` (signed URLs inside an answer
// age). A computation that overlaps a change is not kept. Concurrent misses of
// one key share one computation (a whole amphitheatre opening the same video
// in the same second costs one query). Keys must hold everything the answer
// depends on — in particular who is asking.
import type { ChangeFeed, Topic } from './change-feed.ts';

/** An answer as sent: its body, UTF-8 encoded once (not at every send), and the headers that go with it. */
export interface CachedAnswer {
  body: Buffer;
  etag?: string;
  cacheControl?: string;
}

interface Entry<V> {
  value: V;
  generation: number;
  expires: number;
  bytes: number;
}

export interface ReadCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export interface ReadCacheOptions<V> {
  maxEntries: number;
  ttlMs: number;
  /** Bounds the memory of the values `sizeOf` measures (answers' bodies), besides their number. */
  maxBytes?: number;
  sizeOf?: (value: V) => number;
}

export class ReadCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, { generation: number; promise: Promise<V> }>();
  readonly stats: ReadCacheStats = { hits: 0, misses: 0, entries: 0, bytes: 0 };
  private readonly feed: ChangeFeed;
  private readonly topics: readonly Topic[];
  private readonly options: ReadCacheOptions<V>;

  constructor(feed: ChangeFeed, topics: Topic | readonly Topic[], options: ReadCacheOptions<V>) {
    this.feed = feed;
    this.topics = typeof topics === 'string' ? [topics] : topics;
    this.options = options;
  }

  async get(key: string, compute: () => Promise<V>): Promise<V> {
    const { ttlMs } = this.options;
    if (!this.feed.live || this.options.maxEntries <= 0) return compute();
    const generation = this.generation();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.generation === generation && hit.expires > now) {
      this.stats.hits++;
      // Most recently used last: the first entry is the one to evict.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    this.stats.misses++;
    const running = this.inFlight.get(key);
    if (running && running.generation === generation) return running.promise;
    const promise = compute();
    this.inFlight.set(key, { generation, promise });
    try {
      const value = await promise;
      // Kept only if nothing changed while it was computed (it may predate the change).
      if (this.feed.live && this.generation() === generation && ttlMs > 0) {
        this.remove(key);
        const bytes = this.options.sizeOf?.(value) ?? 0;
        this.entries.set(key, { value, generation, expires: now + ttlMs, bytes });
        this.stats.bytes += bytes;
        const maxBytes = this.options.maxBytes ?? Infinity;
        while (this.entries.size > this.options.maxEntries || this.stats.bytes > maxBytes) this.remove(this.entries.keys().next().value!);
      }
      return value;
    } finally {
      if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
      this.stats.entries = this.entries.size;
    }
  }

  /** The sum of its topics' generations: each only grows, so the sum moves whenever one does. */
  private generation(): number {
    let sum = 0;
    for (const t of this.topics) sum += this.feed.generation(t);
    return sum;
  }

  private remove(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.stats.bytes -= entry.bytes;
  }
}
