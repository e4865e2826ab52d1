// A Pod V4 import from start to end: spool the dump (or reuse the spool of an
// interrupted run), check that it is a V4 dump pod-api knows, then import in
// dependency order — people, taxonomy, videos with their files and children, playlists —
// recording each row in migration_map as it goes, and report everything,
// including what pod-api has no place for.
import { stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Config } from '../core/config.ts';
import type { Database } from '../core/db/database.ts';
import type { Storage } from '../core/storage/storage.ts';
import { IdMap, Report, type ImportContext } from './context.ts';
import { readEverywhere, spoolDump, spoolModels } from './dump.ts';
import { importPeople } from './people.ts';
import { importTaxonomy } from './taxonomy.ts';
import { importVideos } from './videos.ts';
import { importPlaylists } from './playlists.ts';
import { importVotes } from './enrichments.ts';

/** The models this importer reads; any other model of the dump is listed as not migrated. */
export const KNOWN_MODELS = new Set([
  'auth.user', 'auth.group', 'auth.permission', 'contenttypes.contenttype', 'authentication.owner', 'authentication.accessgroup',
  'authentication.owner_accessgroups', 'video.type', 'video.discipline', 'video.channel', 'video.theme', 'video.video',
  'video_encode_transcript.encodingvideo', 'video_encode_transcript.encodingaudio', 'video_encode_transcript.playlistvideo',
  'video_encode_transcript.videorendition', 'completion.track', 'chapter.chapter', 'video.videoaccesstoken',
  'main.customfilemodel', 'main.customimagemodel', 'podfile.customfilemodel', 'podfile.customimagemodel',
  'video.viewcount', 'video.usermarkertime', 'playlist.playlist', 'playlist.playlistcontent',
  'completion.contributor', 'completion.document', 'completion.overlay', 'video.comment', 'video.vote', 'video.advancednotes', 'video.notes',
]);

/** The fields a V4 dump has on the models the import cannot do without: another shape is another Pod version. */
const REQUIRED_FIELDS: Record<string, string[]> = {
  'auth.user': ['username', 'is_superuser', 'is_staff', 'is_active'],
  'authentication.owner': ['user', 'affiliation', 'hashkey'],
  'video.video': ['title', 'slug', 'owner', 'is_draft', 'is_restricted', 'date_added', 'restrict_access_to_groups', 'additional_owners'],
  'video.channel': ['title', 'slug', 'owners'],
  'video_encode_transcript.encodingvideo': ['name', 'video', 'encoding_format', 'source_file'],
};

export class UnknownVersionError extends Error {
  override name = 'UnknownVersionError';
}

export interface ImportOptions {
  dump: string;
  mediaRoot: string;
  spoolDir: string;
  dryRun?: boolean;
  resume?: boolean;
  /** Import only these parts (people, taxonomy, videos, playlists); the others must have been imported before. */
  only?: ('people' | 'taxonomy' | 'videos' | 'playlists')[];
  oldSecretKey?: string;
  progress?: (phase: string, done: number, total: number) => void;
}

/** Checks the dump's shape against the V4 pod-api knows (4.x): a clear error otherwise. */
async function checkVersion(spool: string, counts: Map<string, number>) {
  if (!counts.get('video.video') && !counts.get('auth.user')) {
    throw new UnknownVersionError('This dump has neither video.video nor auth.user records: not a dumpdata of a Pod V4 database (see docs/migrating-from-v4.md for the apps to export)');
  }
  if (counts.get('video.encodingvideo') && !counts.get('video_encode_transcript.encodingvideo')) {
    throw new UnknownVersionError('Encodings are in the "video" app (video.encodingvideo): a Pod older than 3.x/4.0, which this importer does not read');
  }
  for (const [model, fields] of Object.entries(REQUIRED_FIELDS)) {
    if (!counts.get(model)) continue;
    for await (const r of readEverywhere(spool, model)) {
      const missing = fields.filter((f) => !(f in r.fields));
      if (missing.length) {
        throw new UnknownVersionError(`${model} records lack ${missing.join(', ')} (record pk ${JSON.stringify(r.pk)}): a Pod version this importer does not know (it reads V4 4.x dumps)`);
      }
      break;
    }
  }
}

export async function runImport(db: Kysely<Database> | null, storage: Storage, config: Config, options: ImportOptions): Promise<Report> {
  const report = new Report();
  report.dryRun = Boolean(options.dryRun);
  const progress = options.progress ?? (() => {});
  if (!(await stat(options.mediaRoot).then((s) => s.isDirectory(), () => false))) {
    throw new Error(`The media folder ${options.mediaRoot} does not exist (give V4's MEDIA_ROOT with --media)`);
  }
  // Spool once; a resumed import reuses the spool of the run it continues.
  const reuse = options.resume && (await stat(`${options.spoolDir}/global`).then(() => true, () => false));
  const counts = reuse ? await spoolModels(options.spoolDir)
    : (await spoolDump(options.dump, options.spoolDir, (read, total) => progress('reading the dump', read, total))).counts;
  await checkVersion(options.spoolDir, counts);
  for (const [model, n] of counts) if (!KNOWN_MODELS.has(model)) report.notMapped.set(model, n);

  const ctx: ImportContext = {
    db: options.dryRun ? null : db, storage, config, mediaRoot: options.mediaRoot, spool: options.spoolDir,
    dryRun: Boolean(options.dryRun), ids: await IdMap.load(db), report, oldSecretKey: options.oldSecretKey, files: new Map(), progress,
  };
  // File models (thumbnails, WebVTT tracks): id → path, for the videos that point at them.
  for (const model of ['main.customfilemodel', 'podfile.customfilemodel', 'main.customimagemodel', 'podfile.customimagemodel']) {
    const kind = model.endsWith('imagemodel') ? 'image' : 'file';
    for await (const f of readEverywhere(options.spoolDir, model)) if (typeof f.fields.file === 'string') ctx.files.set(`${kind}:${f.pk}`, f.fields.file);
  }

  const parts = new Set(options.only ?? ['people', 'taxonomy', 'videos', 'playlists']);
  if (parts.has('people')) await importPeople(ctx);
  if (parts.has('taxonomy')) await importTaxonomy(ctx);
  if (parts.has('videos')) {
    await importVideos(ctx, counts.get('video.video') ?? 0);
    await importVotes(ctx);
  }
  if (parts.has('playlists')) await importPlaylists(ctx);

  if (ctx.db) {
    // New videos get ids after the imported ones.
    await sql`select setval(pg_get_serial_sequence('videos', 'id'), greatest((select max(id) from videos), 1))`.execute(ctx.db);
    if (config.UPLOAD_QUOTA_BYTES > 0) {
      const over = await ctx.db.selectFrom('videos as v').innerJoin('users as u', 'u.id', 'v.owner_id')
        .select(['u.username', (eb) => eb.fn.sum<number>('v.source_size').as('bytes')])
        .where('v.deleted_at', 'is', null).groupBy('u.username')
        .having((eb) => eb.fn.sum('v.source_size'), '>', config.UPLOAD_QUOTA_BYTES).execute();
      for (const o of over) report.overQuota.push({ username: o.username, bytes: Number(o.bytes) });
    }
  }
  report.finished = new Date();
  return report;
}
