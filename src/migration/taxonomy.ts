// Taxonomy: types, disciplines, channels (owners, users, groups allowed to
// publish, visibility) and their theme trees. Slugs are kept (old channel
// and theme URLs resolve); a slug or title pod-api already has is matched to
// that row. Tags come with the videos (V4 stores them on the video).
import type { Transaction } from 'kysely';
import slugify from 'slugify';
import type { Database } from '../core/db/database.ts';
import type { ImportContext } from './context.ts';
import { readEverywhere } from './dump.ts';

type Tx = Transaction<Database>;
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const slugOf = (slug: unknown, title: string) => {
  const s = String(slug ?? '').toLowerCase();
  return SLUG.test(s) ? s.slice(0, 100) : slugify.default(title, { lower: true, strict: true, locale: 'fr' }).slice(0, 100) || 'untitled';
};

async function inTransaction(ctx: ImportContext, work: (tx: Tx | null) => Promise<void>) {
  if (ctx.db) await ctx.db.transaction().execute(work);
  else await work(null);
}

async function importSimple(ctx: ImportContext, model: 'video.type' | 'video.discipline', table: 'types' | 'disciplines') {
  const { ids, report } = ctx;
  await inTransaction(ctx, async (tx) => {
    for await (const r of readEverywhere(ctx.spool, model)) {
      report.seen(model);
      if (ids.has(model, r.pk)) {
        report.already(model);
        continue;
      }
      const title = String(r.fields.title ?? '').trim().slice(0, 100);
      if (!title) {
        report.skip(model, r.pk, 'no title');
        continue;
      }
      const slug = slugOf(r.fields.slug, title);
      const found = tx ? await tx.selectFrom(table).select('id').where((eb) => eb.or([eb('slug', '=', slug), eb('title', '=', title)])).executeTakeFirst() : undefined;
      let id: number;
      if (found) {
        id = found.id;
        report.matched(model);
      } else {
        id = tx ? (await tx.insertInto(table).values({ slug, title, description: String(r.fields.description ?? '') }).returning('id').executeTakeFirstOrThrow()).id : ids.fakeId();
        report.imported(model);
      }
      await ids.record(tx, [{ model, old: r.pk, new: id }]);
    }
  });
}

export async function importTaxonomy(ctx: ImportContext) {
  const { ids, report } = ctx;
  await importSimple(ctx, 'video.type', 'types');
  await importSimple(ctx, 'video.discipline', 'disciplines');

  await inTransaction(ctx, async (tx) => {
    for await (const c of readEverywhere(ctx.spool, 'video.channel')) {
      report.seen('video.channel');
      if (ids.has('video.channel', c.pk)) {
        report.already('video.channel');
        continue;
      }
      const title = String(c.fields.title ?? '').trim().slice(0, 100);
      if (!title) {
        report.skip('video.channel', c.pk, 'no title');
        continue;
      }
      const slug = slugOf(c.fields.slug, title);
      const found = tx ? await tx.selectFrom('channels').select('id').where((eb) => eb.or([eb('slug', '=', slug), eb('title', '=', title)])).executeTakeFirst() : undefined;
      let id: number;
      if (found) {
        id = found.id;
        report.matched('video.channel');
      } else {
        const color = /^#[0-9a-fA-F]{3,8}$/.test(String(c.fields.color ?? '')) ? String(c.fields.color) : '';
        id = tx ? (await tx.insertInto('channels').values({
          slug, title, description: String(c.fields.description ?? ''), color, visible: c.fields.visible !== false,
        }).returning('id').executeTakeFirstOrThrow()).id : ids.fakeId();
        report.imported('video.channel');
        const users = (list: unknown) => (Array.isArray(list) ? list : []).map((u) => ids.num('auth.user', u)).filter((u): u is number => u !== undefined);
        const groups = (Array.isArray(c.fields.allow_to_groups) ? c.fields.allow_to_groups : []).map((g: unknown) => ids.num('authentication.accessgroup', g)).filter((g: number | undefined): g is number => g !== undefined);
        if (tx) {
          const owners = users(c.fields.owners);
          const members = users(c.fields.users);
          if (owners.length) await tx.insertInto('channel_owners').values(owners.map((user_id) => ({ channel_id: id, user_id }))).onConflict((oc) => oc.doNothing()).execute();
          if (members.length) await tx.insertInto('channel_users').values(members.map((user_id) => ({ channel_id: id, user_id }))).onConflict((oc) => oc.doNothing()).execute();
          if (groups.length) await tx.insertInto('channel_groups').values(groups.map((group_id: number) => ({ channel_id: id, group_id }))).onConflict((oc) => oc.doNothing()).execute();
        }
      }
      await ids.record(tx, [{ model: 'video.channel', old: c.pk, new: id }, { model: 'channel.slug', old: c.fields.slug ?? slug, new: id }]);
    }

    // Themes form trees inside a channel: parents first, however the dump orders them.
    const themes: { pk: unknown; fields: Record<string, any> }[] = [];
    for await (const t of readEverywhere(ctx.spool, 'video.theme')) {
      report.seen('video.theme');
      if (ids.has('video.theme', t.pk)) report.already('video.theme');
      else themes.push(t);
    }
    let pending = themes;
    for (let round = 0; pending.length && round < 50; round++) {
      const waiting: typeof themes = [];
      for (const t of pending) {
        const parent = t.fields.parentId ?? t.fields.parent;
        if (parent !== null && parent !== undefined && !ids.has('video.theme', parent)) {
          waiting.push(t);
          continue;
        }
        const channelId = ids.num('video.channel', t.fields.channel);
        const title = String(t.fields.title ?? '').trim().slice(0, 100);
        if (channelId === undefined || !title) {
          report.skip('video.theme', t.pk, channelId === undefined ? 'its channel was not imported' : 'no title');
          continue;
        }
        const slug = slugOf(t.fields.slug, title);
        const found = tx ? await tx.selectFrom('themes').select('id').where('channel_id', '=', channelId).where('slug', '=', slug).executeTakeFirst() : undefined;
        let id: number;
        if (found) {
          id = found.id;
          report.matched('video.theme');
        } else {
          id = tx ? (await tx.insertInto('themes').values({
            channel_id: channelId, parent_id: parent === null || parent === undefined ? null : ids.num('video.theme', parent)!, slug, title, description: String(t.fields.description ?? ''),
          }).returning('id').executeTakeFirstOrThrow()).id : ids.fakeId();
          report.imported('video.theme');
        }
        await ids.record(tx, [{ model: 'video.theme', old: t.pk, new: id }]);
      }
      if (waiting.length === pending.length) break;
      pending = waiting;
    }
    for (const t of pending) if (!ids.has('video.theme', t.pk)) report.skip('video.theme', t.pk, 'its parent theme is missing (or the parents form a cycle)');
  });
}
