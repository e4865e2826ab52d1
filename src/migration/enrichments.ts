// What enriches a V4 video, imported with it: contributors, documents (their
// files judged on their bytes, as uploads are), overlays (their HTML
// sanitised as if an editor had typed it), comments in their threads, and
// advanced notes (V4's "shared with the owner" level has no equivalent: such
// notes stay their authors' private notes). Votes hang off comments, not
// videos: they are imported after every video (importVotes).
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../core/db/database.ts';
import { checkDocument } from '../documents/types.ts';
import { CONTRIBUTOR_ROLES } from '../enrichments/contributors.ts';
import { OVERLAY_POSITIONS } from '../enrichments/overlays.ts';
import { sanitizeOverlayHtml } from '../enrichments/sanitize.ts';
import { toMs } from '../enrichments/child-routes.ts';
import { checkedUrl } from '../enrichments/urls.ts';
import type { ImportContext } from './context.ts';
import { readEverywhere } from './dump.ts';
import type { V4Row } from './encodings.ts';
import { mediaPath } from './media.ts';

type Tx = Transaction<Database>;
type Mapped = { model: string; old: unknown; new: unknown }[];

/** The V4 models, hanging off a video, that this file imports. */
export const ENRICHMENT_MODELS = ['completion.contributor', 'completion.document', 'completion.overlay', 'video.comment', 'video.advancednotes', 'video.notes'] as const;

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
/** A web link by the API's own rule (an imported one that broke it would fail the next PATCH of its contributor), else none. */
const httpUrl = (v: unknown) => {
  try {
    return text(v) ? checkedUrl(text(v).slice(0, 2000), 'weblink') : null;
  } catch {
    return null;
  }
};
const seconds = (v: unknown) => (Number.isFinite(Number(v)) && Number(v) >= 0 && v !== null && v !== '' ? toMs(Number(v)) : null);
const date = (v: unknown) => (typeof v === 'string' && Number.isFinite(Date.parse(v)) ? new Date(v) : new Date());

export async function importEnrichments(ctx: ImportContext, tx: Tx | null, videoId: number, rows: (model: string) => V4Row[], mapped: Mapped) {
  const { report, ids } = ctx;

  for (const c of rows('completion.contributor')) {
    const name = text(c.fields.name).slice(0, 200);
    const role = CONTRIBUTOR_ROLES.includes(c.fields.role as never) ? String(c.fields.role) : 'contributor';
    if (name.length < 2) {
      report.skip('completion.contributor', c.pk, 'no name');
      continue;
    }
    if (tx) {
      const created = await tx.insertInto('video_contributors').values({
        video_id: videoId, name, role, email: text(c.fields.email_address).slice(0, 254) || null, weblink: httpUrl(c.fields.weblink),
      }).onConflict((oc) => oc.columns(['video_id', 'name', 'role']).doNothing()).returning('id').executeTakeFirst();
      if (!created) {
        report.skip('completion.contributor', c.pk, 'the same person with the same role twice');
        continue;
      }
      mapped.push({ model: 'completion.contributor', old: c.pk, new: created.id });
    }
    report.imported('completion.contributor');
  }

  for (const o of rows('completion.overlay')) {
    const start = seconds(o.fields.time_start), end = seconds(o.fields.time_end);
    const content = sanitizeOverlayHtml(String(o.fields.content ?? '')).slice(0, 20_000);
    if (start === null || end === null || end <= start) report.skip('completion.overlay', o.pk, 'its time range is empty or invalid');
    else if (!content) report.skip('completion.overlay', o.pk, 'nothing is left of its content once unsafe HTML is removed');
    else {
      if (tx) {
        const created = await tx.insertInto('video_overlays').values({
          video_id: videoId, title: text(o.fields.title).slice(0, 100) || 'Overlay', time_start: start, time_end: end, content,
          position: OVERLAY_POSITIONS.includes(o.fields.position as never) ? String(o.fields.position) : 'bottom-right', background: o.fields.background !== false,
        }).returning('id').executeTakeFirstOrThrow();
        mapped.push({ model: 'completion.overlay', old: o.pk, new: created.id });
      }
      report.imported('completion.overlay');
    }
  }

  for (const d of rows('completion.document')) {
    const relative = ctx.files.get(`file:${d.fields.document}`);
    const source = relative ? mediaPath(ctx, relative) : null;
    const size = source ? (await stat(source).catch(() => null))?.size : undefined;
    if (!relative || !source || size === undefined) {
      if (relative) report.missing(relative);
      report.skip('completion.document', d.pk, relative ? 'its file is missing' : 'its file is not in the dump');
      continue;
    }
    if (size === 0 || size > ctx.config.DOCUMENT_MAX_BYTES) {
      report.skip('completion.document', d.pk, `its size (${size} bytes) is outside 1 … DOCUMENT_MAX_BYTES`);
      continue;
    }
    const filename = path.basename(relative).slice(-200);
    const bytes = await readFile(source);
    const verdict = await checkDocument(filename, bytes);
    if (!verdict.ok) {
      report.skip('completion.document', d.pk, verdict.message);
      continue;
    }
    if (tx) {
      const key = `documents/${videoId}/v4-${d.pk}.${verdict.ext}`;
      await ctx.storage.put(key, bytes, { contentType: verdict.mime, size });
      const created = await tx.insertInto('video_documents').values({
        video_id: videoId, title: filename.replace(/\.[^.]+$/, '').slice(0, 200) || filename, filename, storage_key: key,
        content_type: verdict.mime, size, is_private: d.fields.private === true,
      }).onConflict((oc) => oc.column('storage_key').doNothing()).returning('id').executeTakeFirst();
      if (created) mapped.push({ model: 'completion.document', old: d.pk, new: created.id });
    }
    report.imported('completion.document');
  }

  // Parents before their replies (V4 pks grow with time); a reply whose parent did not come is skipped.
  const commentIds = new Map<string, number>();
  for (const c of [...rows('video.comment')].sort((a, b) => Number(a.pk) - Number(b.pk))) {
    const author = ids.num('auth.user', c.fields.author);
    const content = text(c.fields.content).slice(0, 5000);
    const parentPk = c.fields.direct_parent ?? c.fields.parent;
    const parent = parentPk === null || parentPk === undefined ? null : commentIds.get(String(parentPk));
    if (author === undefined) report.skip('video.comment', c.pk, 'its author was not imported');
    else if (!content) report.skip('video.comment', c.pk, 'no text');
    else if (parent === undefined) report.skip('video.comment', c.pk, 'the comment it answers was not imported');
    else {
      let id = ids.fakeId();
      if (tx) {
        id = (await tx.insertInto('video_comments').values({ video_id: videoId, author_id: author, parent_id: parent, text: content, created_at: date(c.fields.added) })
          .returning('id').executeTakeFirstOrThrow()).id;
        mapped.push({ model: 'video.comment', old: c.pk, new: id });
      }
      commentIds.set(String(c.pk), Number(id));
      report.imported('video.comment');
    }
  }

  // Advanced notes (a moment, a level), and V4's older one note per user and video (private, about the whole video).
  for (const n of [...rows('video.advancednotes'), ...rows('video.notes')]) {
    const model = 'status' in n.fields ? 'video.advancednotes' : 'video.notes';
    const user = ids.num('auth.user', n.fields.user);
    const note = text(n.fields.note).slice(0, 10_000);
    if (user === undefined) report.skip(model, n.pk, 'its author was not imported');
    else if (!note) report.skip(model, n.pk, 'no text');
    else {
      if (tx) {
        await tx.insertInto('video_notes').values({
          video_id: videoId, user_id: user, time_start: seconds(n.fields.timestamp), text: note, is_public: String(n.fields.status) === '2',
          created_at: date(n.fields.added_on), updated_at: date(n.fields.modified_on),
        }).execute();
      }
      report.imported(model);
    }
  }
}

/** V4's comment votes, once every comment is in: one per (user, comment), then each comment's count. */
export async function importVotes(ctx: ImportContext) {
  const { ids, report } = ctx;
  const votes: { comment_id: number; user_id: number }[] = [];
  for await (const v of readEverywhere(ctx.spool, 'video.vote')) {
    report.seen('video.vote');
    const comment = ids.num('video.comment', v.fields.comment), user = ids.num('auth.user', v.fields.user);
    if (comment === undefined || user === undefined) report.skip('video.vote', v.pk, comment === undefined ? 'its comment was not imported' : 'its user was not imported');
    else votes.push({ comment_id: comment, user_id: user });
  }
  if (!ctx.db || !votes.length) {
    if (votes.length) report.imported('video.vote', votes.length);
    return;
  }
  let inserted = 0;
  await ctx.db.transaction().execute(async (tx) => {
    for (let i = 0; i < votes.length; i += 1000) {
      // A resumed or repeated import finds its votes there already: they count as such.
      inserted += (await tx.insertInto('video_comment_votes').values(votes.slice(i, i + 1000)).onConflict((oc) => oc.doNothing()).returning('comment_id').execute()).length;
    }
    const touched = [...new Set(votes.map((v) => v.comment_id))];
    for (let i = 0; i < touched.length; i += 1000) {
      await sql`update video_comments c set votes = (select count(*)::int from video_comment_votes v where v.comment_id = c.id) where c.id in (${sql.join(touched.slice(i, i + 1000))})`.execute(tx);
    }
  });
  if (inserted) report.imported('video.vote', inserted);
  if (votes.length > inserted) report.already('video.vote', votes.length - inserted);
}
