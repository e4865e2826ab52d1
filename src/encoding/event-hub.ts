// The one source behind every live event stream of this process. Streams of
// the same video share it: one subscription to the in-process bus per video,
// and one periodic refresh for all watched videos together — one query for
// their rows, one for the sessions of their viewers, one for the private links
// in use — whatever the number of streams. Before anything is sent, and at
// every refresh, each viewer's access is checked again with the policy
// module; a viewer who lost it (video made draft or deleted, signed out,
// account disabled, group left, private link revoked) gets a last `closed`
// event and the stream ends. A change applied on this node is pushed at once;
// one applied on another node (or any change the bus was not told of) within
// REFRESH_MS.
import type { FastifyInstance } from 'fastify';
import { livePrincipals } from '../auth/sessions.ts';
import { canSee } from '../policy/video-policy.ts';
import { livePrivateLinks } from '../videos/access.ts';
import { factsOf, selectVideos, type VideoRow } from '../videos/queries.ts';
import type { EncodingState, EncodingStatus } from './state.ts';

export const REFRESH_MS = 3_000;
const KEEPALIVE_MS = 15_000;

export interface Watcher {
  videoId: number;
  /** The viewer's session when signed in (re-checked at every refresh), else null. */
  sessionId: string | null;
  /** Hash of the private-link token the stream was opened with, if any. */
  linkHash: string | null;
  /** Who counts against the per-client cap: the user, or the IP of an anonymous viewer. */
  client: string;
  /** Writes an `encoding` event (not twice the same in a row). */
  send(state: EncodingState): void;
  keepalive(): void;
  lastWrite: number;
  /** Sends the closing event and ends the stream. */
  end(reason: 'access_lost' | 'session_ended' | 'server_closing'): void;
}

export const stateOf = (row: Pick<VideoRow, 'encoding_status' | 'encoding_progress' | 'encoding_error_code' | 'encoding_error_message'>): EncodingState => ({
  status: row.encoding_status as EncodingStatus,
  progress: row.encoding_progress,
  error: row.encoding_error_code ? { code: row.encoding_error_code, message: row.encoding_error_message ?? '' } : null,
});

export class TooManyStreams extends Error {}

export class EventHub {
  readonly #app: FastifyInstance;
  readonly #maxPerClient: number;
  readonly #byVideo = new Map<number, { watchers: Set<Watcher>; unsubscribe: () => void; chain: Promise<void> }>();
  readonly #perClient = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  /** Database round trips made to refresh streams (each covers every watched video): for tests and metrics. */
  refreshQueries = 0;

  constructor(app: FastifyInstance, maxPerClient: number) {
    this.#app = app;
    this.#maxPerClient = maxPerClient;
  }

  get streams(): number {
    let n = 0;
    for (const v of this.#byVideo.values()) n += v.watchers.size;
    return n;
  }

  /** Registers a stream; throws TooManyStreams when its client already holds the maximum. */
  add(w: Watcher) {
    const held = this.#perClient.get(w.client) ?? 0;
    if (held >= this.#maxPerClient) throw new TooManyStreams();
    this.#perClient.set(w.client, held + 1);
    let video = this.#byVideo.get(w.videoId);
    if (!video) {
      const entry = { watchers: new Set<Watcher>(), unsubscribe: () => {}, chain: Promise.resolve() };
      // One bus subscription per video, shared by its streams; each push is checked then sent, in order.
      entry.unsubscribe = this.#app.encodingBus.subscribe(w.videoId, (state) => {
        entry.chain = entry.chain.then(() => this.#refresh([w.videoId], state ?? undefined)).catch((err: unknown) => {
          this.#app.log.warn({ err, video_id: w.videoId }, 'event stream refresh failed');
        });
      });
      video = entry;
      this.#byVideo.set(w.videoId, video);
    }
    video.watchers.add(w);
    this.#timer ??= setInterval(() => void this.tick(), REFRESH_MS).unref();
  }

  remove(w: Watcher) {
    const video = this.#byVideo.get(w.videoId);
    if (!video?.watchers.delete(w)) return;
    const held = (this.#perClient.get(w.client) ?? 1) - 1;
    if (held > 0) this.#perClient.set(w.client, held);
    else this.#perClient.delete(w.client);
    if (video.watchers.size === 0) {
      video.unsubscribe();
      this.#byVideo.delete(w.videoId);
    }
    if (this.#byVideo.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Every watched video at once: fresh state and access, keepalives. */
  async tick() {
    const ids = [...this.#byVideo.keys()];
    if (!ids.length) return;
    await this.#refresh(ids).catch(() => {}); // a database outage: the next tick tries again
    const now = Date.now();
    for (const video of this.#byVideo.values()) {
      for (const w of video.watchers) if (now - w.lastWrite >= KEEPALIVE_MS) w.keepalive();
    }
  }

  closeAll() {
    for (const video of [...this.#byVideo.values()]) for (const w of [...video.watchers]) w.end('server_closing');
  }

  /**
   * Re-reads the videos, the viewers' sessions and private links (one query
   * each), ends the streams of viewers who lost access, and sends the others
   * `pushed` (a state just applied here) or the state read.
   */
  async #refresh(ids: number[], pushed?: EncodingState) {
    const watchers = ids.flatMap((id) => [...(this.#byVideo.get(id)?.watchers ?? [])]);
    if (!watchers.length) return;
    const db = this.#app.dbh.db;
    const [rows, principals, links] = await Promise.all([
      selectVideos(db).where('v.id', 'in', ids).execute(),
      livePrincipals(db, [...new Set(watchers.flatMap((w) => (w.sessionId ? [w.sessionId] : [])))], 'bearer'),
      livePrivateLinks(db, watchers.flatMap((w) => (w.linkHash ? [{ videoId: w.videoId, hash: w.linkHash }] : []))),
    ]);
    this.refreshQueries += 1;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const w of watchers) {
      const row = byId.get(w.videoId);
      const viewer = w.sessionId ? principals.get(w.sessionId) ?? null : null;
      if (w.sessionId && !viewer) {
        w.end('session_ended');
        continue;
      }
      const privateLink = Boolean(w.linkHash && links.has(`${w.videoId}:${w.linkHash}`));
      if (!row || !canSee(viewer, factsOf(row), { privateLink })) {
        w.end('access_lost');
        continue;
      }
      w.send(pushed ?? stateOf(row));
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    eventHub: EventHub;
  }
}
