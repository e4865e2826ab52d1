// A Pod V4 instance in miniature, as `manage.py dumpdata` and its MEDIA_ROOT
// would give it: users of every affiliation with their Owner profiles, a
// Django group holding video.change_video, access groups, a channel with a
// theme tree, every visibility case (public, draft, restricted, groups,
// password, restricted + password, private link), encoded videos with their
// files on disk (real single-file HLS made by ffmpeg, MP4, MP3, overview,
// thumbnail), subtitle tracks, chapters, view counts, contributors,
// documents, overlays, comments and votes, notes, a playlist and favourites — and broken rows: a video whose owner is missing,
// a video whose files are gone, an invalid WebVTT, a username that differs
// from another only by case.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { pbkdf2Sync } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const V4_SECRET_KEY = 'v4-secret-key-of-the-old-pod';
export const ADMIN_PASSWORD = 'v4 admin password';
export const hashkeyOf = (videoId: number) => createHash('sha256').update(`${V4_SECRET_KEY}-${videoId}`).digest('hex');
const ownerHash = (username: string) => createHash('sha256').update(`${V4_SECRET_KEY}${username}`).digest('hex');
const django = (password: string) => {
  const salt = 'fixturesalt123';
  return `pbkdf2_sha256$1000$${salt}$${pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('base64')}`;
};

/** The encoding outputs V4 leaves for one video (made once with ffmpeg, copied per video). */
async function encodingTemplate(dir: string) {
  await mkdir(dir, { recursive: true });
  const run = (args: string[]) => {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  };
  run(['-f', 'lavfi', '-i', 'testsrc=duration=4:size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=duration=4', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-c:a', 'aac', '-shortest', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_flags', 'single_file', path.join(dir, '360p.m3u8')]);
  run(['-f', 'lavfi', '-i', 'testsrc=duration=4:size=640x360:rate=25', '-c:v', 'libx264', '-preset', 'ultrafast', path.join(dir, '360p.mp4')]);
  run(['-f', 'lavfi', '-i', 'sine=duration=4', '-c:a', 'libmp3lame', path.join(dir, 'audio_192k.mp3')]);
  run(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x90:rate=1', '-frames:v', '1', path.join(dir, 'overview.png')]);
  await writeFile(path.join(dir, 'overview.vtt'), 'WEBVTT\n\n00:00:00.000 --> 00:00:04.000\noverview.png#xywh=0,0,160,90\n');
  await writeFile(path.join(dir, 'livestream.m3u8'), '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=928000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"\n360p.m3u8\n');
}

export interface V4Fixture {
  dump: string;
  media: string;
  dir: string;
  /** V4 video ids by what each shows. */
  videos: Record<'pub' | 'draft' | 'restricted' | 'groups' | 'password' | 'restrictedPassword' | 'privateLink' | 'orphan' | 'filesGone' | 'audioOnly' | 'unencoded', number>;
  privateLinkToken: string;
  teacherHashkey: string;
}

export async function buildV4Fixture(): Promise<V4Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-v4-'));
  const media = path.join(dir, 'media');
  const template = path.join(dir, 'template');
  await encodingTemplate(template);
  const records: unknown[] = [];
  const add = (model: string, pk: unknown, fields: Record<string, unknown>) => records.push({ model, pk, fields });

  // People.
  const users: [number, string, Record<string, unknown>, Record<string, unknown>][] = [
    [1, 'admin', { is_superuser: true, is_staff: true, password: django(ADMIN_PASSWORD) }, { affiliation: 'staff', auth_type: 'local' }],
    [2, 'jdupont', { is_staff: true, first_name: 'Jeanne', last_name: 'Dupont', email: 'jeanne@univ.example', password: '!unusable' }, { affiliation: 'faculty', auth_type: 'CAS', establishment: 'UFR Sciences' }],
    [3, 'mmartin', { is_staff: true, password: 'bcrypt_sha256$$2b$12$abc' }, { affiliation: 'employee', auth_type: 'Shibboleth' }],
    [4, 'etudiant1', {}, { affiliation: 'student', auth_type: 'OIDC', accessgroups: [] }],
    [5, 'etudiant2', {}, { affiliation: 'student', auth_type: 'CAS', accessgroups: [1] }],
    [6, 'gestion', { groups: [1] }, { affiliation: 'employee', auth_type: 'local' }],
    [7, 'JDupont', {}, { affiliation: 'member', auth_type: 'local' }],
  ];
  for (const [pk, username, extra, owner] of users) {
    add('auth.user', pk, {
      password: '', last_login: null, is_superuser: false, username, first_name: '', last_name: '', email: '', is_staff: false, is_active: true,
      date_joined: '2019-09-01T08:00:00Z', groups: [], user_permissions: [], ...extra,
    });
    add('authentication.owner', pk + 100, {
      user: pk, auth_type: 'local', affiliation: 'member', commentaire: '', hashkey: ownerHash(username), userpicture: null, establishment: '',
      accessgroups: [], sites: [1], accepts_notifications: false, ...owner,
    });
  }
  add('auth.group', 1, { name: 'Gestionnaires', permissions: [['change_video', 'video', 'video'], ['view_video', 'video', 'video']] });
  add('authentication.accessgroup', 1, { display_name: 'Licence 1 informatique', code_name: 'L1-INFO', sites: [1], auto_sync: false, users: [] });
  add('authentication.accessgroup', 2, { display_name: 'Enseignants', code_name: 'ENSEIGNANTS', sites: [1], auto_sync: true, users: [102] });

  // Taxonomy.
  add('video.type', 1, { title: 'Cours magistral', slug: 'cours-magistral', description: '', icon: null, sites: [1] });
  add('video.discipline', 1, { title: 'Physique', slug: 'physique', description: '', icon: null, site: 1 });
  add('video.channel', 1, { title: 'Sciences', slug: 'sciences', description: '<p>La chaîne des sciences</p>', headband: null, color: '#1f7a8c', style: '',
    owners: [2], users: [3], visible: true, allow_to_groups: [1], add_channels_tab: [], site: 1 });
  // A child theme listed before its parent.
  add('video.theme', 2, { parentId: 1, title: 'Quantique', slug: 'quantique', description: '', headband: null, channel: 1 });
  add('video.theme', 1, { parentId: null, title: 'Mécanique', slug: 'mecanique', description: '', headband: null, channel: 1 });
  add('video_encode_transcript.videorendition', 1, { resolution: '640x360', minrate: '500k', video_bitrate: '750k', maxrate: '1000k', audio_bitrate: '96k',
    encoding_resolution_threshold: 0, encode_mp4: true, sites: [1] });

  const teacherHashkey = ownerHash('jdupont');
  const videos = { pub: 12, draft: 13, restricted: 14, groups: 15, password: 16, restrictedPassword: 17, privateLink: 18, orphan: 19, filesGone: 20, audioOnly: 21, unencoded: 22 };
  const settings: Record<number, Record<string, unknown>> = {
    12: { title: 'Introduction à la mécanique quantique', is_draft: false, tags: 'physique quantique "deux mots"', licence: 'by-nc-sa', channel: [1], theme: [2], discipline: [1], type: 1, additional_owners: [3], date_delete: '2030-09-01' },
    13: { title: 'Brouillon', is_draft: true },
    14: { title: 'Réservé aux connectés', is_draft: false, is_restricted: true },
    15: { title: 'Pour la L1', is_draft: false, is_restricted: true, restrict_access_to_groups: [1] },
    16: { title: 'Protégé', is_draft: false, password: 'sesame' },
    17: { title: 'Réservé et protégé', is_draft: false, is_restricted: true, password: 'sesame' },
    18: { title: 'Lien privé', is_draft: true },
    19: { title: 'Orphelin', is_draft: false, owner: 999 },
    20: { title: 'Fichiers disparus', is_draft: false },
    21: { title: 'Podcast', is_draft: false, main_lang: 'f' },
    22: { title: 'Jamais encodé', is_draft: false },
  };
  let pk = 1;
  for (const [idText, extra] of Object.entries(settings)) {
    const id = Number(idText);
    const folder = `videos/${teacherHashkey}/${String(id).padStart(4, '0')}`;
    add('video.video', id, {
      video: `videos/${teacherHashkey}/lecture-${id}.mp4`, title: '', slug: `${String(id).padStart(4, '0')}-${String(extra.title).toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/(^-|-$)/g, '')}`,
      sites: [1], type: 1, owner: 2, additional_owners: [], description: '<p>Un cours</p>', date_added: '2021-10-05T09:30:00Z', date_evt: '2021-10-04', cursus: 'L',
      main_lang: 'fr', transcript: '', tags: '', discipline: [], licence: null, channel: [], theme: [], allow_downloading: true, is_360: false,
      is_draft: true, is_restricted: false, restrict_access_to_groups: [], password: null, order: 1, thumbnail: null, duration: 4,
      overview: id === 22 ? null : `${folder}/overview.vtt`, encoding_in_progress: false, is_video: id !== 21, date_delete: '2031-10-05', disable_comment: false,
      ...extra,
    });
    if (id === 22) continue;
    if (id !== 20) {
      await mkdir(path.join(media, folder), { recursive: true });
      for (const name of await readdir(template)) await copyFile(path.join(template, name), path.join(media, folder, name));
      await copyFile(path.join(template, '360p.mp4'), path.join(media, `videos/${teacherHashkey}/lecture-${id}.mp4`));
    }
    if (id === 21) {
      add('video_encode_transcript.encodingaudio', pk++, { name: 'audio', video: id, encoding_format: 'audio/mp3', source_file: `${folder}/audio_192k.mp3` });
      continue;
    }
    add('video_encode_transcript.encodingvideo', pk++, { name: '360p', video: id, rendition: 1, encoding_format: 'video/mp4', source_file: `${folder}/360p.mp4` });
    add('video_encode_transcript.encodingvideo', pk++, { name: '360p', video: id, rendition: 1, encoding_format: 'video/mp2t', source_file: `${folder}/360p.ts` });
    add('video_encode_transcript.playlistvideo', pk++, { name: '360p', video: id, encoding_format: 'application/x-mpegURL', source_file: `${folder}/360p.m3u8` });
    add('video_encode_transcript.playlistvideo', pk++, { name: 'playlist', video: id, encoding_format: 'application/x-mpegURL', source_file: `${folder}/livestream.m3u8` });
    add('video_encode_transcript.encodingaudio', pk++, { name: 'audio', video: id, encoding_format: 'audio/mp3', source_file: `${folder}/audio_192k.mp3` });
  }

  // Files of the podfile app: a thumbnail, a WebVTT track, a broken one.
  await mkdir(path.join(media, `files/${teacherHashkey}`), { recursive: true });
  await copyFile(path.join(template, 'overview.png'), path.join(media, `files/${teacherHashkey}/vignette.png`));
  await writeFile(path.join(media, `files/${teacherHashkey}/sous-titres-fr.vtt`), 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nBonjour.\n\n00:00:02.000 --> 00:00:04.000\nAu revoir.\n');
  await writeFile(path.join(media, `files/${teacherHashkey}/broken.vtt`), 'this is not WebVTT at all\n');
  add('podfile.customimagemodel', 1, { name: 'vignette', description: '', folder: 1, created_by: 2, file: `files/${teacherHashkey}/vignette.png`, date_created: '2021-10-05T09:30:00Z' });
  add('podfile.customfilemodel', 1, { name: 'sous-titres', description: '', folder: 1, created_by: 2, file: `files/${teacherHashkey}/sous-titres-fr.vtt`, date_created: '2021-10-05T09:30:00Z' });
  add('podfile.customfilemodel', 2, { name: 'broken', description: '', folder: 1, created_by: 2, file: `files/${teacherHashkey}/broken.vtt`, date_created: '2021-10-05T09:30:00Z' });
  const v12 = records.find((r: any) => r.model === 'video.video' && r.pk === 12) as { fields: Record<string, unknown> };
  v12.fields.thumbnail = 1;
  add('completion.track', 1, { video: 12, kind: 'subtitles', lang: 'fr', src: 1, enrich_ready: false });
  add('completion.track', 2, { video: 13, kind: 'subtitles', lang: 'en', src: 2, enrich_ready: false });
  add('chapter.chapter', 1, { video: 12, title: 'Introduction', slug: '1-introduction', time_start: 0 });
  add('chapter.chapter', 2, { video: 12, title: 'Les postulats', slug: '2-les-postulats', time_start: 2 });
  const privateLinkToken = '3f1c9e2a-7b4d-4c1e-9a6f-2d8b5e0c1a77';
  add('video.videoaccesstoken', privateLinkToken, { video: 18, name: 'Pour le jury' });
  add('video.viewcount', 1, { video: 12, date: '2022-01-10', count: 41 });
  add('video.viewcount', 2, { video: 12, date: '2022-01-11', count: 7 });
  add('completion.contributor', 1, { video: 12, name: 'Jean Martin', email_address: '', role: 'author', weblink: '' });
  // Enrichments: a document (and one whose bytes are not what its name says), an overlay with unsafe
  // HTML, a comment thread with votes (and a comment whose author is gone), notes of each kind.
  await writeFile(path.join(media, `files/${teacherHashkey}/support.pdf`), '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  await writeFile(path.join(media, `files/${teacherHashkey}/faux.pdf`), '<html><script>alert(1)</script></html>');
  add('podfile.customfilemodel', 3, { name: 'support', description: '', folder: 1, created_by: 2, file: `files/${teacherHashkey}/support.pdf`, date_created: '2021-10-05T09:30:00Z' });
  add('podfile.customfilemodel', 4, { name: 'faux', description: '', folder: 1, created_by: 2, file: `files/${teacherHashkey}/faux.pdf`, date_created: '2021-10-05T09:30:00Z' });
  add('completion.document', 1, { video: 12, document: 3, private: false });
  add('completion.document', 2, { video: 12, document: 4, private: true });
  add('completion.overlay', 1, { video: 12, title: 'Attention', slug: 'attention', time_start: 1, time_end: 3,
    content: '<p onclick="steal()">Formule <script>alert(1)</script><b>clé</b></p>', position: 'top-left', background: true });
  add('video.comment', 1, { video: 12, author: 4, content: 'Merci pour ce cours !', parent: null, direct_parent: null, added: '2022-01-12T10:00:00Z' });
  add('video.comment', 2, { video: 12, author: 2, content: 'Avec plaisir.', parent: 1, direct_parent: 1, added: '2022-01-12T11:00:00Z' });
  add('video.comment', 3, { video: 12, author: 99, content: 'Auteur disparu', parent: null, direct_parent: null, added: '2022-01-12T12:00:00Z' });
  add('video.vote', 1, { user: 5, comment: 1 });
  add('video.vote', 2, { user: 2, comment: 1 });
  add('video.advancednotes', 1, { video: 12, user: 4, status: '2', note: 'Formule importante', timestamp: 2, added_on: '2022-01-12T10:00:00Z', modified_on: '2022-01-12T10:00:00Z' });
  add('video.advancednotes', 2, { video: 12, user: 4, status: '0', note: 'À revoir', timestamp: null, added_on: '2022-01-12T10:00:00Z', modified_on: '2022-01-12T10:00:00Z' });
  add('video.notes', 1, { video: 12, user: 5, note: 'Ancienne note' });
  add('playlist.playlist', 1, { name: 'Favorites', description: '', password: '', visibility: 'private', autoplay: true, promoted: false, editable: false,
    slug: '1-favorites', owner: 4, additional_owners: [], date_created: '2022-01-01T00:00:00Z', date_updated: '2022-01-01T00:00:00Z', site: 1 });
  add('playlist.playlistcontent', 1, { playlist: 1, video: 12, date_added: '2022-01-01T00:00:00Z', rank: 1 });
  // A protected playlist (V4 keeps its password as an unsalted SHA-256) with an additional owner, its
  // videos out of rank order in the dump, one of them never imported.
  add('playlist.playlist', 2, { name: 'Cours de physique', description: 'Semestre 1', password: createHash('sha256').update('sesame').digest('hex'),
    visibility: 'protected', autoplay: true, promoted: false, editable: true, slug: '2-cours-de-physique', owner: 2, additional_owners: [3],
    date_created: '2022-01-01T00:00:00Z', date_updated: '2022-01-01T00:00:00Z', site: 1 });
  add('playlist.playlistcontent', 2, { playlist: 2, video: 16, date_added: '2022-01-02T00:00:00Z', rank: 2 });
  add('playlist.playlistcontent', 3, { playlist: 2, video: 12, date_added: '2022-01-02T00:00:00Z', rank: 1 });
  add('playlist.playlistcontent', 4, { playlist: 2, video: 19, date_added: '2022-01-02T00:00:00Z', rank: 3 });
  add('video.usermarkertime', 1, { video: 12, user: 4, markerTime: 2 });

  const dump = path.join(dir, 'dump.json');
  // dumpdata --indent 2 output: one line per field.
  await writeFile(dump, JSON.stringify(records, null, 2));
  return { dump, media, dir, videos, privateLinkToken, teacherHashkey };
}
