// What every step of a V4 import shares: where it writes (or, in a dry run,
// does not), the map of V4 ids to new ids, the report, the progress display.
import type { Kysely, Transaction } from 'kysely';
import type { Config } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import type { Storage } from '../core/storage/storage.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * V4 id → new id, per model, for every row imported (in migration_map). Read
 * whole at the start (an interrupted import resumes where it stopped); new
 * entries are written in the transaction that imports their rows.
 */
export class IdMap {
  readonly #maps = new Map<string, Map<string, string>>();
  #fake = 0;

  static async load(db: Kysely<Database> | null): Promise<IdMap> {
    const map = new IdMap();
    if (!db) return map;
    // A dry run on a database never migrated has no map yet: nothing was imported.
    const rows = await db.selectFrom('migration_map').select(['model', 'old_id', 'new_id']).execute().catch((err: { code?: string }) => {
      if (err.code === '42P01') return [];
      throw err;
    });
    for (const row of rows) map.remember(row.model, row.old_id, row.new_id);
    return map;
  }

  get(model: string, oldId: unknown): string | undefined {
    return this.#maps.get(model)?.get(String(oldId));
  }

  /** The new numeric id, when that row was imported. */
  num(model: string, oldId: unknown): number | undefined {
    const id = this.get(model, oldId);
    return id === undefined ? undefined : Number(id);
  }

  has(model: string, oldId: unknown): boolean {
    return this.get(model, oldId) !== undefined;
  }

  size(model: string): number {
    return this.#maps.get(model)?.size ?? 0;
  }

  remember(model: string, oldId: unknown, newId: unknown) {
    let m = this.#maps.get(model);
    if (!m) this.#maps.set(model, (m = new Map()));
    m.set(String(oldId), String(newId));
  }

  /** Records a mapping: in memory, and in the caller's transaction (none in a dry run). */
  async record(tx: Db | null, rows: { model: string; old: unknown; new: unknown }[]) {
    for (const r of rows) this.remember(r.model, r.old, r.new);
    if (!tx || !rows.length) return;
    // One row per key (the last wins): an upsert may not touch a row twice.
    const unique = new Map(rows.map((r) => [`${r.model}\u0000${String(r.old)}`, r]));
    await tx.insertInto('migration_map').values([...unique.values()].map((r) => ({ model: r.model, old_id: String(r.old), new_id: String(r.new) })))
      .onConflict((oc) => oc.columns(['model', 'old_id']).doUpdateSet((eb) => ({ new_id: eb.ref('excluded.new_id') }))).execute();
  }

  /** A placeholder id for a dry run (nothing is written). */
  fakeId(): number {
    return --this.#fake;
  }
}

export interface SkippedRow { model: string; pk: unknown; reason: string }

const LIST_CAP = 1000;

/** What the import did and did not do, as JSON and as a human summary. */
export class Report {
  readonly started = new Date();
  finished: Date | null = null;
  dryRun = false;
  /** Per model: rows seen in the dump, imported now, found imported by an earlier run, matched to existing pod-api rows, skipped. */
  readonly models = new Map<string, { seen: number; imported: number; already: number; matched: number; skipped: number }>();
  readonly skipped: SkippedRow[] = [];
  readonly missingMedia: string[] = [];
  missingMediaCount = 0;
  bytesCopied = 0;
  filesCopied = 0;
  /** Models of the dump pod-api has no place for, with their row counts. */
  readonly notMapped = new Map<string, number>();
  /** Changes made to fit pod-api's rules (a language, a licence…): reason → count, with examples. */
  readonly adjusted = new Map<string, { count: number; examples: string[] }>();
  readonly overQuota: { username: string; bytes: number }[] = [];

  #model(model: string) {
    let m = this.models.get(model);
    if (!m) this.models.set(model, (m = { seen: 0, imported: 0, already: 0, matched: 0, skipped: 0 }));
    return m;
  }
  seen(model: string, n = 1) { this.#model(model).seen += n; }
  imported(model: string, n = 1) { this.#model(model).imported += n; }
  already(model: string, n = 1) { this.#model(model).already += n; }
  matched(model: string, n = 1) { this.#model(model).matched += n; }
  skip(model: string, pk: unknown, reason: string) {
    this.#model(model).skipped++;
    if (this.skipped.length < LIST_CAP * 10) this.skipped.push({ model, pk, reason });
  }
  missing(file: string) {
    this.missingMediaCount++;
    if (this.missingMedia.length < LIST_CAP) this.missingMedia.push(file);
  }
  adjust(reason: string, example: string) {
    let a = this.adjusted.get(reason);
    if (!a) this.adjusted.set(reason, (a = { count: 0, examples: [] }));
    a.count++;
    if (a.examples.length < 5) a.examples.push(example);
  }

  toJSON() {
    return {
      dry_run: this.dryRun,
      started_at: this.started.toISOString(),
      finished_at: this.finished?.toISOString() ?? null,
      models: Object.fromEntries([...this.models].sort()),
      skipped: this.skipped,
      missing_media: { count: this.missingMediaCount, first: this.missingMedia },
      files_copied: this.filesCopied,
      bytes_copied: this.bytesCopied,
      not_mapped: Object.fromEntries([...this.notMapped].sort()),
      adjusted: Object.fromEntries(this.adjusted),
      over_quota: this.overQuota,
    };
  }

  summary(): string {
    const lines = [`Pod V4 import${this.dryRun ? ' (dry run: nothing was written)' : ''}, ${this.started.toISOString()} → ${this.finished?.toISOString() ?? '…'}`, ''];
    lines.push('model                                       seen  imported  before  matched  skipped');
    for (const [model, c] of [...this.models].sort()) {
      lines.push(`${model.padEnd(42)} ${String(c.seen).padStart(6)} ${String(c.imported).padStart(9)} ${String(c.already).padStart(7)} ${String(c.matched).padStart(8)} ${String(c.skipped).padStart(8)}`);
    }
    lines.push('', `media: ${this.filesCopied} files copied (${(this.bytesCopied / 1024 ** 2).toFixed(1)} MiB), ${this.missingMediaCount} missing`);
    if (this.notMapped.size) lines.push(`not migrated (pod-api has no such thing yet; rows kept in the report): ${[...this.notMapped].map(([m, n]) => `${m} ${n}`).join(', ')}`);
    for (const [reason, a] of this.adjusted) lines.push(`adjusted: ${reason}: ${a.count} (e.g. ${a.examples.join('; ')})`);
    const reasons = new Map<string, number>();
    for (const s of this.skipped) reasons.set(`${s.model}: ${s.reason}`, (reasons.get(`${s.model}: ${s.reason}`) ?? 0) + 1);
    for (const [reason, n] of reasons) lines.push(`skipped: ${reason}: ${n}`);
    if (this.overQuota.length) lines.push(`over the upload quota after the import: ${this.overQuota.length} users (listed in the JSON report)`);
    return lines.join('\n');
  }
}

export interface ImportContext {
  /** null in a dry run: nothing is written. */
  db: Kysely<Database> | null;
  storage: Storage;
  config: Config;
  mediaRoot: string;
  spool: string;
  dryRun: boolean;
  ids: IdMap;
  report: Report;
  /** V4's SECRET_KEY, when given: each video's permanent private link (its hashkey) keeps working. */
  oldSecretKey?: string;
  /** V4 file models (`main.customfilemodel:12`) → their file path under MEDIA_ROOT. */
  files: Map<string, string>;
  progress(phase: string, done: number, total: number): void;
}
