// Videos, bucket by bucket (dump.ts spreads each video's rows over 64
// buckets by id): the video with every ACL field (draft, restricted, groups,
// additional owners, its plaintext V4 password hashed), dates, licence,
// cursus, language, taxonomy and tags; its V4 encodings registered as ready
// outputs without re-encoding (encodings.ts); its subtitle tracks, chapters
// and private links (the UUID tokens, and the permanent hashkey link when
// V4's SECRET_KEY is given). A video keeps its V4 id when pod-api has no
// video with that id, so its slug `0042-title` and every old URL map one to one.
import { createHash, randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { hashPassword } from '../auth/passwords.ts';
import type { Database } from '../core/db/database.ts';
import { normaliseSubtitles } from '../delivery/tracks.ts';
import { LICENCES } from '../videos/schemas.ts';
import { normaliseTags, videoSlug } from '../videos/write.ts';
import type { ImportContext } from './context.ts';
import { BUCKETS, readSpool } from './dump.ts';
import { videoOutputs, type V4Row } from './encodings.ts';
import { readText } from './media.ts';
import { ENRICHMENT_MODELS, importEnrichments } from './enrichments.ts';

type Tx = Transaction<Database>;
const CHUNK = 100;
const CHILDREN = ['video_encode_transcript.encodingvideo', 'video_encode_transcript.encodingaudio', 'video_encode_transcript.playlistvideo',
  'completion.track', 'chapter.chapter', 'video.videoaccesstoken', 'video.viewcount', 'video.usermarkertime', ...ENRICHMENT_MODELS] as const;
const SLUG = /^\d+-[a-z0-9-]*$|^\d+$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Tagulous writes tags as one string: space-separated, or comma-separated when it has a comma, "quoted phrases" kept whole. */
export function parseTagString(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || !value.trim()) return [];
  if (value.includes(',')) return value.split(',').map((t) => t.replace(/"/g, '').trim()).filter(Boolean);
  const tags: string[] = [];
  for (const m of value.matchAll(/"([^"]*)"|(\S+)/g)) if ((m[1] ?? m[2])!.trim()) tags.push((m[1] ?? m[2])!.trim());
  return tags;
}

interface BucketData {
  videos: V4Row[];
  children: Map<string, Map<string, V4Row[]>>; // model → V4 video pk → rows
}

async function loadBucket(ctx: ImportContext, bucket: number): Promise<BucketData> {
  const where = `bucket-${bucket}`;
  const videos: V4Row[] = [];
  for await (const v of readSpool(ctx.spool, where, 'video.video')) videos.push(v);
  const children = new Map<string, Map<string, V4Row[]>>();
  for (const model of CHILDREN) {
    const byVideo = new Map<string, V4Row[]>();
    for await (const r of readSpool(ctx.spool, where, model)) {
      const key = String(r.fields.video);
      const list = byVideo.get(key);
      if (list) list.push(r);
      else byVideo.set(key, [r]);
    }
    children.set(model, byVideo);
  }
  return { videos, children };
}

export async function importVideos(ctx: ImportContext, total: number) {
  const renditions = new Map<string, Record<string, any>>();
  for await (const r of readSpool(ctx.spool, 'global', 'video_encode_transcript.videorendition')) renditions.set(String(r.pk), r.fields);
  let done = 0;
  for (let bucket = 0; bucket < BUCKETS; bucket++) {
    const data = await loadBucket(ctx, bucket);
    for (const model of CHILDREN) for (const rows of data.children.get(model)!.values()) ctx.report.seen(model, rows.length);
    for (let i = 0; i < data.videos.length; i += CHUNK) {
      const chunk = data.videos.slice(i, i + CHUNK);
      await importChunk(ctx, chunk, data, renditions);
      done += chunk.length;
      ctx.progress('videos', done, total);
    }
  }
}

async function importChunk(ctx: ImportContext, chunk: V4Row[], data: BucketData, renditions: Map<string, Record<string, any>>) {
  const { ids, report, db } = ctx;
  const todo = chunk.filter((v) => {
    report.seen('video.video');
    if (ids.has('video.video', v.pk)) {
      report.already('video.video');
      return false;
    }
    if (ids.num('auth.user', v.fields.owner) === undefined) {
      report.skip('video.video', v.pk, 'its owner is missing from the dump (or was skipped)');
      return false;
    }
    return true;
  });
  if (!todo.length) return;
  // V4 ids that another (non-imported) pod-api video already holds get a new id.
  const wanted = todo.map((v) => Number(v.pk)).filter((n) => Number.isSafeInteger(n) && n > 0);
  const taken = new Set(db && wanted.length ? (await db.selectFrom('videos').select('id').where('id', 'in', wanted).execute()).map((r) => r.id) : []);
  // Passwords (V4 keeps them in plaintext) are hashed in parallel, off the event loop.
  const hashes = new Map<string, string>();
  await Promise.all(todo.filter((v) => typeof v.fields.password === 'string' && v.fields.password).map(async (v) => {
    hashes.set(String(v.pk), ctx.dryRun ? 'dry-run' : await hashPassword(String(v.fields.password)));
  }));
  const prepared: Prepared[] = [];
  for (const v of todo) {
    const keepId = Number.isSafeInteger(Number(v.pk)) && Number(v.pk) > 0 && !taken.has(Number(v.pk));
    // Its id is known before its files are copied: they live under encodings/<id>/.
    const id = keepId ? Number(v.pk) : db
      ? Number((await sql<{ id: string }>`select nextval(pg_get_serial_sequence('videos', 'id')) as id`.execute(db)).rows[0]!.id)
      : ids.fakeId();
    const outputs = await videoOutputs(ctx, v, data.children, renditions, id);
    prepared.push({ v, keepId, id, outputs });
  }
  const work = async (tx: Tx | null) => {
    const rows = prepared.map((p) => videoRow(ctx, p, hashes.get(String(p.v.pk)) ?? null));
    const mapped: { model: string; old: unknown; new: unknown }[] = [];
    if (tx) {
      // V4's slug when it starts with the id (it always does in V4) and is free, else pod-api's own.
      const taken = new Set((await tx.selectFrom('videos').select('slug').where('slug', 'in', rows.map((r) => r.slug)).execute()).map((r) => r.slug));
      for (const r of rows) if (taken.has(r.slug)) r.slug = videoSlug(r.id, r.title);
      await tx.insertInto('videos').values(rows).execute();
      await linkRelations(ctx, tx, prepared);
    }
    for (const p of prepared) {
      if (!p.keepId) report.adjust('V4 id already used by a pod-api video: a new id (old links resolve through /legacy/resolve)', `${p.v.pk} → ${p.id}`);
      report.imported('video.video');
      mapped.push({ model: 'video.video', old: p.v.pk, new: p.id });
      await importChildren(ctx, tx, p.v, p.id, data, mapped);
    }
    await ids.record(tx, mapped);
  };
  if (db) await db.transaction().execute(work);
  else await work(null);
}

type Prepared = { v: V4Row; keepId: boolean; id: number; outputs: Awaited<ReturnType<typeof videoOutputs>> };

/** The pod-api row of a V4 video, its values checked and mapped (what had to change is reported). */
function videoRow(ctx: ImportContext, p: Prepared, passwordHash: string | null) {
  const { ids, report } = ctx;
  const f = p.v.fields;
  let title = String(f.title ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 250);
  if (!title) {
    title = `Video ${p.v.pk}`;
    report.adjust('empty title replaced', String(p.v.pk));
  }
  let mainLang = String(f.main_lang ?? 'fr').toLowerCase();
  if (!/^[a-z]{2,3}$/.test(mainLang)) {
    report.adjust('main_lang not a language code, set to fr', `${p.v.pk}: ${JSON.stringify(f.main_lang)}`);
    mainLang = 'fr';
  }
  let licence = f.licence ? String(f.licence).toLowerCase() : null;
  if (licence && !(LICENCES as readonly string[]).includes(licence)) {
    report.adjust('licence not one of the Creative Commons licences pod-api knows, dropped', `${p.v.pk}: ${licence}`);
    licence = null;
  }
  const v4Slug = String(f.slug ?? '');
  const o = p.outputs.outputs;
  const source = p.outputs.source;
  const dateAdded = f.date_added ? new Date(f.date_added) : new Date();
  const groups = Array.isArray(f.restrict_access_to_groups) && f.restrict_access_to_groups.some((g: unknown) => ids.has('authentication.accessgroup', g));
  return {
    id: p.id,
    slug: p.keepId && SLUG.test(v4Slug) && v4Slug.startsWith(String(p.v.pk).padStart(4, '0')) ? v4Slug : videoSlug(p.id, title),
    title, description: String(f.description ?? ''), owner_id: ids.num('auth.user', f.owner)!,
    type_id: f.type !== null && f.type !== undefined ? ids.num('video.type', f.type) ?? null : null,
    date_added: dateAdded, date_evt: typeof f.date_evt === 'string' ? f.date_evt.slice(0, 10) : null,
    duration: Math.max(0, Math.round(Number(f.duration) || o?.duration || 0)),
    // Access groups imply "restricted" in pod-api (as Pod's form enforced).
    is_draft: f.is_draft !== false, is_restricted: Boolean(f.is_restricted) || groups, password_hash: passwordHash,
    allow_downloading: Boolean(f.allow_downloading), is_360: Boolean(f.is_360), licence, main_lang: mainLang,
    cursus: String(f.cursus ?? '0').slice(0, 1) || '0', date_delete: typeof f.date_delete === 'string' ? f.date_delete.slice(0, 10) : null,
    encoding_status: o ? 'ready' as const : 'pending' as const, encoding_progress: o ? 100 : null,
    encoding_outputs: o ? JSON.stringify(o) : null, ready_at: o ? dateAdded : null, encoding_updated_at: o ? new Date() : null,
    thumbnail_url: o?.poster ?? null,
    source_key: source?.key ?? null, source_filename: source?.filename ?? null, source_size: source?.size ?? null,
  };
}

/** The links of a chunk of videos: one insert per link table, tags included, then their search documents. */
async function linkRelations(ctx: ImportContext, tx: Tx, prepared: Prepared[]) {
  const { ids } = ctx;
  const many = (list: unknown, model: string) => [...new Set((Array.isArray(list) ? list : []).map((x) => ids.num(model, x)).filter((x): x is number => x !== undefined))];
  const tables: [keyof Database, string, (f: Record<string, any>) => number[]][] = [
    ['video_additional_owners', 'user_id', (f) => many(f.additional_owners, 'auth.user').filter((u) => u !== ids.num('auth.user', f.owner))],
    ['video_groups', 'group_id', (f) => many(f.restrict_access_to_groups, 'authentication.accessgroup')],
    ['video_channels', 'channel_id', (f) => many(f.channel, 'video.channel')],
    ['video_themes', 'theme_id', (f) => many(f.theme, 'video.theme')],
    ['video_disciplines', 'discipline_id', (f) => many(f.discipline, 'video.discipline')],
  ];
  for (const [table, column, of] of tables) {
    const rows = prepared.flatMap((p) => of(p.v.fields).map((x) => ({ video_id: p.id, [column]: x })));
    if (rows.length) await tx.insertInto(table as 'video_tags').values(rows as never).onConflict((oc) => oc.doNothing()).execute();
  }
  const tagsOf = new Map(prepared.map((p) => [p.id, normaliseTags(parseTagString(p.v.fields.tags)).filter((t) => t.length <= 50)]));
  const names = [...new Set([...tagsOf.values()].flat())];
  if (names.length) {
    await tx.insertInto('tags').values(names.map((name) => ({ name }))).onConflict((oc) => oc.column('name').doNothing()).execute();
    const tagIds = new Map((await tx.selectFrom('tags').select(['id', 'name']).where('name', 'in', names).execute()).map((r) => [r.name, r.id]));
    const rows = [...tagsOf].flatMap(([videoId, tags]) => tags.map((t) => ({ video_id: videoId, tag_id: tagIds.get(t)! })));
    await tx.insertInto('video_tags').values(rows).onConflict((oc) => oc.doNothing()).execute();
  }
  await sql`update videos set search_vector = video_search_document(id) where id in (${sql.join(prepared.map((p) => p.id))})`.execute(tx);
}

/** Tracks, chapters, private links, view counts, resume positions, and the enrichments (enrichments.ts). */
async function importChildren(ctx: ImportContext, tx: Tx | null, v: V4Row, videoId: number, data: BucketData, mapped: { model: string; old: unknown; new: unknown }[]) {
  const { report } = ctx;
  const rows = (model: string) => data.children.get(model)?.get(String(v.pk)) ?? [];
  const ownerId = ctx.ids.num('auth.user', v.fields.owner)!;

  for (const t of rows('completion.track')) {
    const file = ctx.files.get(`file:${t.fields.src}`);
    const text = await readText(ctx, file);
    if (!text) {
      if (file) report.missing(file);
      report.skip('completion.track', t.pk, file ? 'its WebVTT file is missing' : 'its file is not in the dump');
      continue;
    }
    let vtt: { vtt: string; cues: number };
    try {
      vtt = normaliseSubtitles(text);
    } catch (err) {
      report.skip('completion.track', t.pk, `not valid WebVTT (${(err as Error).message})`);
      continue;
    }
    const kind = t.fields.kind === 'captions' ? 'captions' as const : 'subtitles' as const;
    const lang = String(t.fields.lang ?? '').toLowerCase();
    if (!/^[a-z]{2,3}$/.test(lang)) {
      report.skip('completion.track', t.pk, `language ${JSON.stringify(t.fields.lang)} is not a language code`);
      continue;
    }
    const key = `tracks/${videoId}/v4-${t.pk}.vtt`;
    if (tx) {
      await ctx.storage.put(key, Buffer.from(vtt.vtt), { contentType: 'text/vtt' });
      const created = await tx.insertInto('video_tracks').values({ video_id: videoId, kind, lang, label: lang, storage_key: key, cue_count: vtt.cues })
        .onConflict((oc) => oc.columns(['video_id', 'kind', 'lang']).doNothing()).returning('id').executeTakeFirst();
      if (!created) {
        report.skip('completion.track', t.pk, `a second ${kind} track in ${lang}`);
        continue;
      }
      mapped.push({ model: 'completion.track', old: t.pk, new: created.id });
    }
    report.imported('completion.track');
  }

  const chapters = new Map<number, { pk: unknown; title: string }>();
  for (const c of rows('chapter.chapter')) {
    const title = String(c.fields.title ?? '').trim().slice(0, 100);
    const start = Math.round(Number(c.fields.time_start) * 1000) / 1000;
    if (!title || !Number.isFinite(start) || start < 0) report.skip('chapter.chapter', c.pk, 'no title or no valid start');
    else if (chapters.has(start)) report.skip('chapter.chapter', c.pk, 'another chapter starts at the same time');
    else chapters.set(start, { pk: c.pk, title });
  }
  if (chapters.size) {
    if (tx) {
      const created = await tx.insertInto('video_chapters').values([...chapters].map(([time_start, c]) => ({ video_id: videoId, title: c.title, time_start })))
        .returning(['id', 'time_start']).execute();
      for (const row of created) mapped.push({ model: 'chapter.chapter', old: chapters.get(Number(row.time_start))!.pk, new: row.id });
    }
    report.imported('chapter.chapter', chapters.size);
  }

  const links = rows('video.videoaccesstoken').map((t) => ({ token: String(t.pk), name: String(t.fields.name ?? '').slice(0, 100) || 'V4 private link', model: 'video.videoaccesstoken', pk: t.pk }));
  // V4's permanent private link: sha256(SECRET_KEY-id), when the old secret is given.
  if (ctx.oldSecretKey) links.push({ token: sha256(`${ctx.oldSecretKey}-${v.pk}`), name: 'V4 private link (hashkey)', model: 'video.hashkey', pk: v.pk });
  for (const l of links) {
    if (tx) {
      await tx.insertInto('video_access_tokens').values({
        id: randomUUID(), video_id: videoId, name: l.name, token_hash: sha256(l.token), token_hint: l.token.slice(-4), created_by: ownerId, expires_at: null,
      }).onConflict((oc) => oc.doNothing()).execute();
    }
    if (l.model === 'video.videoaccesstoken') report.imported(l.model);
  }

  // Daily view counts (V4's days) and the total; resume positions of the users that were imported.
  const days = new Map<string, number>();
  let dayRows = 0;
  for (const r of rows('video.viewcount')) {
    const day = typeof r.fields.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(r.fields.date) ? r.fields.date : null;
    const count = Number(r.fields.count);
    if (!day || !Number.isSafeInteger(count) || count < 0) report.skip('video.viewcount', r.pk, 'no valid date or count');
    else {
      days.set(day, (days.get(day) ?? 0) + count);
      dayRows++;
    }
  }
  if (days.size) {
    if (tx) {
      await tx.insertInto('video_views_daily').values([...days].map(([day, views]) => ({ video_id: videoId, day, views })))
        .onConflict((oc) => oc.columns(['video_id', 'day']).doUpdateSet((eb) => ({ views: eb.ref('excluded.views') }))).execute();
      await sql`update video_view_counts set views = (select coalesce(sum(views), 0) from video_views_daily where video_id = ${videoId}) where video_id = ${videoId}`.execute(tx);
    }
    report.imported('video.viewcount', dayRows);
  }
  const positions = new Map<number, number>();
  for (const m of rows('video.usermarkertime')) {
    const user = ctx.ids.num('auth.user', m.fields.user);
    const at = Number(m.fields.markerTime);
    if (user === undefined) report.skip('video.usermarkertime', m.pk, 'its user was not imported');
    else if (!Number.isFinite(at) || at <= 0) report.skip('video.usermarkertime', m.pk, 'no position');
    else positions.set(user, at);
  }
  if (positions.size) {
    if (tx) {
      await tx.insertInto('video_positions').values([...positions].map(([user_id, position_s]) => ({ user_id, video_id: videoId, position_s })))
        .onConflict((oc) => oc.columns(['user_id', 'video_id']).doNothing()).execute();
    }
    report.imported('video.usermarkertime', positions.size);
  }

  await importEnrichments(ctx, tx, videoId, rows, mapped);
}
