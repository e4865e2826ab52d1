// Creating and updating a video: scalar fields plus its relations, each
// reference validated (unknown → 400 naming the field), channel rights
// checked as Pod does, the password hashed, the search document refreshed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import slugify from 'slugify';
import type { Principal } from '../auth/principal.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Database } from '../core/db/database.ts';
import { AppError, badRequest, forbidden } from '../core/errors.ts';
import { groupIdsByCodeNames, userIdsByUsernames } from '../users/queries.ts';
import { audit, changedFields } from '../audit/log.ts';
import { notifyUsers, videoLine } from '../notifications/notify.ts';
import { dateDeleteProblem, defaultDateDelete } from '../retention/policy.ts';
import { refreshSearchDocument, type VideoRow } from './queries.ts';
import type { VideoWrite } from './schemas.ts';

type Tx = Transaction<Database>;

export function videoSlug(id: number, title: string): string {
  const words = slugify.default(title, { lower: true, strict: true, locale: 'fr' }).slice(0, 200).replace(/-+$/, '');
  return `${String(id).padStart(4, '0')}${words ? `-${words}` : ''}`;
}

async function idsBySlug(tx: Tx, table: 'types' | 'disciplines' | 'channels', slugs: string[], field: string) {
  if (!slugs.length) return [];
  const rows = await tx.selectFrom(table).select(['id', 'slug']).where('slug', 'in', slugs).execute();
  const known = new Map(rows.map((r) => [r.slug, r.id]));
  const missing = slugs.findIndex((s) => !known.has(s));
  if (missing >= 0) throw badRequest(`Unknown ${field.replace(/s$/, '')} ${JSON.stringify(slugs[missing])}`, `${field}.${missing}`, 'validation_error');
  return slugs.map((s) => known.get(s)!);
}

/** Channels this user may publish in: owner, user, or member of an allowed group (all for managers). */
export async function publishableChannelIds(tx: Tx, viewer: Principal, among: number[]): Promise<Set<number>> {
  if (!among.length) return new Set();
  if (viewer.is_superuser || viewer.is_manager) return new Set(among);
  const rows = await tx.selectFrom('channels as c').select('c.id').where('c.id', 'in', among)
    .where((eb) => eb.or([
      eb.exists(eb.selectFrom('channel_owners as co').select('co.user_id').whereRef('co.channel_id', '=', 'c.id').where('co.user_id', '=', viewer.id)),
      eb.exists(eb.selectFrom('channel_users as cu').select('cu.user_id').whereRef('cu.channel_id', '=', 'c.id').where('cu.user_id', '=', viewer.id)),
      ...(viewer.group_ids.length ? [eb.exists(eb.selectFrom('channel_groups as cg').select('cg.group_id').whereRef('cg.channel_id', '=', 'c.id').where('cg.group_id', 'in', viewer.group_ids))] : []),
    ]))
    .execute();
  return new Set(rows.map((r) => r.id));
}

async function replaceLinks<T extends 'video_additional_owners' | 'video_groups' | 'video_channels' | 'video_themes' | 'video_disciplines' | 'video_tags'>(
  tx: Tx, table: T, column: string, videoId: number, ids: number[],
) {
  // The link tables share the (video_id, <other>_id) shape.
  await tx.deleteFrom(table as 'video_tags').where('video_id', '=', videoId).execute();
  if (ids.length) {
    await tx.insertInto(table as 'video_tags').values(ids.map((id) => ({ video_id: videoId, [column]: id })) as never).execute();
  }
}

export function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase().replace(/\s+/g, ' ')).filter(Boolean))];
}

/** The owner, managers and superusers choose who else edits a video (additional owners do not). */
export function mayChooseAdditionalOwners(viewer: Principal, video: Pick<VideoRow, 'owner_id'>): boolean {
  return viewer.is_superuser || viewer.is_manager || video.owner_id === viewer.id;
}

/** What a write needs beside its data: the app (settings, queue), the request (audit), today's date (retention). */
export interface WriteContext {
  app: FastifyInstance;
  request: FastifyRequest;
  today: Date;
}

/** The date_delete of a new video owned by `ownerId`, added today (Pod's rule, src/retention/policy.ts). */
export async function initialDateDelete(tx: Tx, app: FastifyInstance, ownerId: number, today: Date): Promise<string> {
  const owner = await tx.selectFrom('users').select('affiliation').where('id', '=', ownerId).executeTakeFirst();
  return defaultDateDelete(app.config, today, owner?.affiliation ?? '');
}

/** The date_delete a caller asks for, checked (400 invalid_date_delete). */
function checkedDateDelete(ctx: WriteContext, viewer: Principal, date: string | null): string | null {
  const manager = viewer.is_superuser || viewer.is_manager;
  if (date === null) {
    if (!manager) throw badRequest('Only managers can keep a video indefinitely (date_delete null)', 'date_delete', 'invalid_date_delete');
    return null;
  }
  const problem = dateDeleteProblem(ctx.app.config, date, ctx.today, manager);
  if (problem) throw badRequest(problem, 'date_delete', 'invalid_date_delete');
  return date;
}

/**
 * Applies `body` to a new video (existing = null, owner = viewer unless a
 * manager names another) or an existing one. Returns the video id. What it
 * changes of who may see or own the video goes to the audit trail, and new
 * additional owners get an e-mail, in the same transaction.
 */
export async function saveVideo(tx: Tx, ctx: WriteContext, viewer: Principal, body: VideoWrite & { title?: string }, existing: VideoRow | null): Promise<number> {
  const isManager = viewer.is_superuser || viewer.is_manager;
  let ownerId = existing?.owner_id ?? viewer.id;
  if (body.owner !== undefined) {
    const [requested] = await userIdsByUsernames(tx, [body.owner], 'owner').catch(() => {
      throw badRequest(`Unknown user ${JSON.stringify(body.owner)}`, 'owner', 'validation_error');
    });
    if (requested !== ownerId && !isManager) throw forbidden('Only managers can change the owner of a video', 'forbidden');
    ownerId = requested!;
  }

  const scalar: Record<string, unknown> = {};
  for (const key of ['title', 'description', 'date_evt', 'is_draft', 'is_restricted', 'allow_downloading', 'disable_comment', 'disable_public_notes', 'is_360', 'licence', 'main_lang', 'cursus'] as const) {
    if (body[key] !== undefined) scalar[key] = body[key];
  }
  if (body.password !== undefined) scalar.password_hash = body.password === null ? null : await hashPassword(body.password);
  scalar.owner_id = ownerId;
  if (body.date_delete !== undefined && (!existing || body.date_delete !== existing.date_delete)) {
    scalar.date_delete = checkedDateDelete(ctx, viewer, body.date_delete);
    // A new date: warned again before it, out of the archive if it was archived.
    if (existing) Object.assign(scalar, { archived_at: null, retention_warned_at: null });
  } else if (!existing) {
    scalar.date_delete = await initialDateDelete(tx, ctx.app, ownerId, ctx.today);
  }
  if (body.type !== undefined) scalar.type_id = body.type === null ? null : (await idsBySlug(tx, 'types', [body.type], 'type').catch(() => {
    throw badRequest(`Unknown type ${JSON.stringify(body.type)}`, 'type', 'validation_error');
  }))[0];

  const groupIds = body.restrict_access_to_groups !== undefined
    ? await groupIdsByCodeNames(tx, body.restrict_access_to_groups, 'restrict_access_to_groups') : undefined;
  // Access groups imply "restricted" (as Pod's form enforced).
  if (groupIds?.length) scalar.is_restricted = true;

  let previousOwners: number[] = [];
  let videoId: number;
  if (existing) {
    videoId = existing.id;
    await tx.updateTable('videos').set(scalar).where('id', '=', videoId).execute();
  } else {
    const row = await tx.insertInto('videos')
      .values({ ...(scalar as { title: string; owner_id: number }), slug: `tmp-${crypto.randomUUID()}` })
      .returning('id').executeTakeFirstOrThrow();
    videoId = row.id;
    await tx.updateTable('videos').set({ slug: videoSlug(videoId, body.title ?? '') }).where('id', '=', videoId).execute();
  }

  if (groupIds !== undefined) await replaceLinks(tx, 'video_groups', 'group_id', videoId, groupIds);
  if (body.additional_owners !== undefined) {
    const ids = await userIdsByUsernames(tx, body.additional_owners, 'additional_owners');
    const ownerIndex = ids.indexOf(ownerId);
    if (ownerIndex >= 0) throw badRequest('The owner cannot also be an additional owner', `additional_owners.${ownerIndex}`, 'validation_error');
    previousOwners = existing?.additional_owners.map((p) => p.id) ?? [];
    if (existing && !mayChooseAdditionalOwners(viewer, existing)) {
      // Pod gives additional owners "the same rights as you except deletion"; who shares those
      // rights is the owner's choice (or a manager's): an additional owner may only leave.
      const current = new Set(existing.additional_owners.map((p) => p.id));
      const leaving = new Set([...current].filter((id) => id !== viewer.id));
      const requested = new Set(ids);
      const same = (a: Set<number>, b: Set<number>) => a.size === b.size && [...a].every((id) => b.has(id));
      if (!same(requested, current) && !same(requested, leaving)) {
        throw new AppError(403, 'owner_only', 'Only the owner or a manager chooses the additional owners; an additional owner may only remove themself', { field: 'additional_owners' });
      }
    }
    await replaceLinks(tx, 'video_additional_owners', 'user_id', videoId, ids);
  }
  if (body.disciplines !== undefined) {
    await replaceLinks(tx, 'video_disciplines', 'discipline_id', videoId, await idsBySlug(tx, 'disciplines', body.disciplines, 'disciplines'));
  }
  if (body.tags !== undefined) {
    const names = normaliseTags(body.tags);
    if (names.length) await tx.insertInto('tags').values(names.map((name) => ({ name }))).onConflict((oc) => oc.column('name').doNothing()).execute();
    const rows = names.length ? await tx.selectFrom('tags').select('id').where('name', 'in', names).execute() : [];
    await replaceLinks(tx, 'video_tags', 'tag_id', videoId, rows.map((r) => r.id));
  }

  let channelIds = existing ? existing.channels.map((c) => c.id) : [];
  if (body.channels !== undefined) {
    const requested = await idsBySlug(tx, 'channels', body.channels, 'channels');
    const allowed = await publishableChannelIds(tx, viewer, [...new Set([...requested, ...channelIds])]);
    const refused = requested.findIndex((id) => !allowed.has(id) && !channelIds.includes(id));
    if (refused >= 0) throw new AppError(403, 'forbidden', 'You cannot publish in this channel', { field: `channels.${refused}` });
    // Channels this user cannot manage keep the video (Pod's clean_channel).
    const kept = channelIds.filter((id) => !allowed.has(id));
    channelIds = [...new Set([...requested, ...kept])];
    await replaceLinks(tx, 'video_channels', 'channel_id', videoId, channelIds);
  }
  if (body.themes !== undefined || body.channels !== undefined) {
    const themeIds = body.themes ?? (existing?.themes.map((t) => t.id) ?? []);
    const themes = themeIds.length ? await tx.selectFrom('themes').select(['id', 'channel_id']).where('id', 'in', themeIds).execute() : [];
    const byId = new Map(themes.map((t) => [t.id, t.channel_id]));
    const bad = themeIds.findIndex((id) => !byId.has(id) || !channelIds.includes(byId.get(id)!));
    if (bad >= 0) {
      if (body.themes === undefined) {
        // Channels changed: drop themes of channels the video left.
        await replaceLinks(tx, 'video_themes', 'theme_id', videoId, themeIds.filter((id) => channelIds.includes(byId.get(id)!)));
      } else {
        throw badRequest('This theme does not belong to one of the video channels', `themes.${bad}`, 'validation_error');
      }
    } else {
      await replaceLinks(tx, 'video_themes', 'theme_id', videoId, themeIds);
    }
  }
  await refreshSearchDocument(tx, videoId);
  if (existing) await auditVideoChanges(tx, ctx, existing, body, scalar);
  if (body.additional_owners !== undefined) {
    const now = await tx.selectFrom('video_additional_owners').select('user_id').where('video_id', '=', videoId).execute();
    const added = now.map((r) => r.user_id).filter((id) => !previousOwners.includes(id) && id !== viewer.id);
    if (added.length) {
      const video = await tx.selectFrom('videos').select(['slug', 'title']).where('id', '=', videoId).executeTakeFirstOrThrow();
      await notifyUsers(ctx.app, tx, added, { kind: 'coowner_added', video: videoLine(ctx.app, video), by: viewer.username });
    }
  }
  return videoId;
}

/** Audit rows for what changed of who may see (acl), own (owner) or keep (retention) the video. */
async function auditVideoChanges(tx: Tx, ctx: WriteContext, existing: VideoRow, body: VideoWrite, scalar: Record<string, unknown>) {
  const target = { target_type: 'video' as const, target_id: existing.id };
  const before = {
    is_draft: existing.is_draft, is_restricted: existing.is_restricted, password: existing.has_password ? 'set' : 'none',
    restrict_access_to_groups: existing.groups.map((g) => g.code_name), additional_owners: existing.additional_owners.map((p) => p.username),
  };
  const after = {
    is_draft: scalar.is_draft as boolean | undefined, is_restricted: scalar.is_restricted as boolean | undefined,
    password: body.password === undefined ? undefined : body.password === null ? 'none' : 'set',
    restrict_access_to_groups: body.restrict_access_to_groups, additional_owners: body.additional_owners,
  };
  const acl = changedFields(before, after, ['is_draft', 'is_restricted', 'password', 'restrict_access_to_groups', 'additional_owners']);
  // A new password is a change even when there was one (its value is never logged).
  if (body.password && existing.has_password) acl.password = ['set', 'changed'];
  if (Object.keys(acl).length) await audit(tx, ctx.request, { action: 'video.acl_changed', ...target, details: acl });
  if (scalar.owner_id !== existing.owner_id) {
    const heir = await tx.selectFrom('users').select('username').where('id', '=', scalar.owner_id as number).executeTakeFirst();
    await audit(tx, ctx.request, { action: 'video.owner_changed', ...target, details: { owner: [existing.owner.username, heir?.username ?? null] } });
  }
  if ('date_delete' in scalar) {
    await audit(tx, ctx.request, { action: 'video.retention_changed', ...target, details: { date_delete: [existing.date_delete, scalar.date_delete] } });
  }
}
