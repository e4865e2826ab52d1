// Everything the platform holds about one person, as JSON (GDPR art. 15 and
// 20): their profile, memberships, sign-in sessions, videos they own (with
// signed links to their media files and documents) or co-own, playlists,
// comments, votes, notes, resume positions, uploads, private links they
// made, and their own actions in the audit trail. Nothing about anyone else:
// no other person's name, comment or note, even on their own videos.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { mediaBase } from '../delivery/media-urls.ts';
import { signMediaToken } from '../delivery/media-tokens.ts';
import { documentJson, documentRows } from '../documents/routes.ts';
import type { EncodingOutputs } from '../encoding/state.ts';
import { userById, userJson } from '../users/queries.ts';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Signed links to the files of one of their videos (valid MEDIA_URL_TTL_S). */
function mediaLinks(app: FastifyInstance, videoId: number, outputs: EncodingOutputs | null, trackKeys: string[]) {
  const { token } = signMediaToken(app.keys.derive('media-url'), videoId, app.config.MEDIA_URL_TTL_S);
  const url = (key: string) => `${mediaBase(app)}/media/t/${token}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    mp4: (outputs?.mp4 ?? []).map((m) => ({ height: m.height, url: url(m.key) })),
    audio: outputs?.audio ? url(outputs.audio.key) : null,
    hls: outputs?.hls_master ? url(outputs.hls_master) : null,
    poster: outputs?.poster ? url(outputs.poster) : null,
    subtitles: trackKeys.map(url),
  };
}

export async function exportPersonalData(app: FastifyInstance, userId: number) {
  const db = app.dbh.db;
  const user = await userById(db, userId);
  if (!user) return null;
  const [sessions, owned, coOwned, playlists, comments, votes, notes, positions, uploads, links, actions] = await Promise.all([
    db.selectFrom('auth_sessions').select(['id', 'kind', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'revoked_reason', 'user_agent', 'ip'])
      .where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('videos').select(['id', 'slug', 'title', 'description', 'date_added', 'date_evt', 'date_delete', 'archived_at', 'is_draft', 'is_restricted',
      'licence', 'main_lang', 'cursus', 'duration', 'encoding_status', 'encoding_outputs', 'source_filename', 'source_size'])
      .where('owner_id', '=', userId).where('deleted_at', 'is', null).orderBy('id').execute(),
    db.selectFrom('video_additional_owners as ao').innerJoin('videos as v', 'v.id', 'ao.video_id').select(['v.id', 'v.slug', 'v.title'])
      .where('ao.user_id', '=', userId).where('v.deleted_at', 'is', null).orderBy('v.id').execute(),
    db.selectFrom('playlists').select(['id', 'slug', 'title', 'description', 'visibility', 'is_favorites',
      sql<number[]>`coalesce((select array_agg(i.video_id order by i.position) from playlist_items i where i.playlist_id = playlists.id), '{}')`.as('video_ids')])
      .where('owner_id', '=', userId).orderBy('id').execute(),
    db.selectFrom('video_comments').select(['id', 'video_id', 'parent_id', 'text', 'created_at', 'edited_at', 'hidden_at']).where('author_id', '=', userId).orderBy('id').execute(),
    db.selectFrom('video_comment_votes').select('comment_id').where('user_id', '=', userId).orderBy('comment_id').execute(),
    db.selectFrom('video_notes').select(['id', 'video_id', 'time_start', 'text', 'is_public', 'created_at', 'updated_at']).where('user_id', '=', userId).orderBy('id').execute(),
    db.selectFrom('video_positions').select(['video_id', 'position_s', 'updated_at']).where('user_id', '=', userId).orderBy('video_id').execute(),
    db.selectFrom('uploads').select(['id', 'filename', 'size', 'created_at', 'completed_at', 'result_video_id']).where('user_id', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('video_access_tokens').select(['id', 'video_id', 'name', 'created_at', 'expires_at']).where('created_by', '=', userId).orderBy('created_at').execute(),
    db.selectFrom('audit_log').select(['at', 'action', 'target_type', 'target_id', 'ip']).where('actor_id', '=', userId).orderBy('id').execute(),
  ]);
  const tracks = owned.length
    ? await db.selectFrom('video_tracks').select(['video_id', 'storage_key']).where('video_id', 'in', owned.map((v) => v.id)).orderBy('id').execute() : [];
  const videos = [];
  for (const v of owned) {
    const outputs = (typeof v.encoding_outputs === 'string' ? JSON.parse(v.encoding_outputs) : v.encoding_outputs) as EncodingOutputs | null;
    videos.push({
      id: v.id, slug: v.slug, title: v.title, description: v.description, date_added: iso(v.date_added), date_evt: v.date_evt,
      date_delete: v.date_delete, archived_at: iso(v.archived_at), is_draft: v.is_draft, is_restricted: v.is_restricted,
      licence: v.licence, main_lang: v.main_lang, cursus: v.cursus, duration: v.duration, encoding_status: v.encoding_status,
      source: v.source_filename ? { filename: v.source_filename, size: Number(v.source_size ?? 0) } : null,
      media: mediaLinks(app, v.id, outputs, tracks.filter((t) => t.video_id === v.id).map((t) => t.storage_key)),
      documents: documentJson(app, await documentRows(db, v.id, true)).map(({ title, filename, content_type, size, url }) => ({ title, filename, content_type, size, url })),
    });
  }
  return {
    format: 'pod-api personal data export, version 1',
    exported_at: new Date().toISOString(),
    links_expire_in_s: app.config.MEDIA_URL_TTL_S,
    user: { ...userJson(user), updated_at: iso(user.updated_at) },
    sessions: sessions.map((s) => ({ ...s, created_at: iso(s.created_at), last_used_at: iso(s.last_used_at), expires_at: iso(s.expires_at), revoked_at: iso(s.revoked_at) })),
    videos,
    co_owned_videos: coOwned,
    playlists: playlists.map((p) => ({ ...p, video_ids: p.video_ids.map(Number) })),
    comments: comments.map((c) => ({ ...c, created_at: iso(c.created_at), edited_at: iso(c.edited_at), hidden_at: iso(c.hidden_at) })),
    comment_votes: votes.map((v) => v.comment_id),
    notes: notes.map((n) => ({ ...n, time_start: n.time_start === null ? null : Number(n.time_start), created_at: iso(n.created_at), updated_at: iso(n.updated_at) })),
    positions: positions.map((p) => ({ ...p, updated_at: iso(p.updated_at) })),
    uploads: uploads.map((u) => ({ ...u, size: Number(u.size), created_at: iso(u.created_at), completed_at: iso(u.completed_at) })),
    private_links: links.map((l) => ({ ...l, created_at: iso(l.created_at), expires_at: iso(l.expires_at) })),
    actions: actions.map((a) => ({ ...a, at: iso(a.at) })),
  };
}
