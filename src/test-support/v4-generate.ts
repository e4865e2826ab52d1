// A large Pod V4 dumpdata for benchmarks and resume tests: `videos` videos
// with users (one per 20 videos, each with an Owner), access groups,
// channels with themes, types, disciplines, tags, encodings rows (their files
// absent: reported missing), subtitle tracks with their WebVTT files on disk
// (one video in ten), chapters and view counts. Written as it is generated:
// no size limit from memory.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';

export async function generateV4Dump(dir: string, opts: { videos: number; trackFiles?: boolean }): Promise<{ dump: string; media: string; bytes: number }> {
  const media = path.join(dir, 'media');
  await mkdir(path.join(media, 'files/tracks'), { recursive: true });
  const dump = path.join(dir, 'dump.json');
  const out = createWriteStream(dump, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let first = true;
  const add = async (model: string, pk: unknown, fields: Record<string, unknown>) => {
    const text = `${first ? '[\n' : ',\n'}${JSON.stringify({ model, pk, fields })}`;
    first = false;
    bytes += text.length;
    if (!out.write(text)) await once(out, 'drain');
  };
  // A deterministic pseudo-random sequence: the same dump for the same size.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const users = Math.max(10, Math.ceil(opts.videos / 20));
  const affiliations = ['faculty', 'employee', 'student', 'staff', 'member'];
  for (let u = 1; u <= users; u++) {
    await add('auth.user', u, { password: '!', last_login: null, is_superuser: u === 1, username: `user${u}`, first_name: `Prénom${u}`, last_name: `Nom${u}`,
      email: `user${u}@univ.example`, is_staff: u % 3 === 0, is_active: true, date_joined: '2018-01-01T00:00:00Z', groups: [], user_permissions: [] });
    await add('authentication.owner', u, { user: u, auth_type: 'CAS', affiliation: affiliations[u % 5], commentaire: '', hashkey: createHash('sha256').update(`user${u}`).digest('hex'),
      userpicture: null, establishment: 'Université', accessgroups: u % 7 === 0 ? [1 + (u % 50)] : [], sites: [1], accepts_notifications: false });
  }
  for (let g = 1; g <= 50; g++) await add('authentication.accessgroup', g, { display_name: `Groupe ${g}`, code_name: `GROUPE-${g}`, sites: [1], auto_sync: false, users: [] });
  for (let t = 1; t <= 5; t++) await add('video.type', t, { title: `Type ${t}`, slug: `type-${t}`, description: '', icon: null, sites: [1] });
  for (let d = 1; d <= 20; d++) await add('video.discipline', d, { title: `Discipline ${d}`, slug: `discipline-${d}`, description: '', icon: null, site: 1 });
  const channels = Math.max(2, Math.ceil(opts.videos / 1000));
  for (let c = 1; c <= channels; c++) {
    await add('video.channel', c, { title: `Chaîne ${c}`, slug: `chaine-${c}`, description: '', headband: null, color: '', style: '', owners: [1 + (c % users)],
      users: [], visible: true, allow_to_groups: [], add_channels_tab: [], site: 1 });
    for (let t = 0; t < 3; t++) await add('video.theme', c * 10 + t, { parentId: t ? c * 10 : null, title: `Thème ${t}`, slug: `theme-${t}`, description: '', headband: null, channel: c });
  }
  await add('video_encode_transcript.videorendition', 1, { resolution: '640x360', minrate: '500k', video_bitrate: '750k', maxrate: '1000k', audio_bitrate: '96k', encoding_resolution_threshold: 0, encode_mp4: true, sites: [1] });
  let childPk = 1;
  for (let v = 1; v <= opts.videos; v++) {
    const owner = 1 + rand(users);
    const folder = `videos/hash${owner}/${String(v).padStart(4, '0')}`;
    const channel = 1 + rand(channels);
    await add('video.video', v, {
      video: `videos/hash${owner}/source-${v}.mp4`, title: `Cours numéro ${v} : introduction à la matière ${rand(300)}`, slug: `${String(v).padStart(4, '0')}-cours-numero-${v}`,
      sites: [1], type: 1 + rand(5), owner, additional_owners: rand(10) === 0 ? [1 + rand(users)] : [], description: `<p>Description du cours ${v}, ${'texte '.repeat(rand(40))}</p>`,
      date_added: new Date(Date.UTC(2016, 0, 1) + v * 600_000).toISOString(), date_evt: '2020-01-01', cursus: 'L', main_lang: rand(5) ? 'fr' : 'en', transcript: '',
      tags: `tag${rand(500)} tag${rand(500)} "mot clé ${rand(50)}"`, discipline: [1 + rand(20)], licence: rand(3) ? null : 'by-sa', channel: [channel], theme: rand(2) ? [channel * 10 + 1] : [],
      allow_downloading: false, is_360: false, is_draft: rand(4) === 0, is_restricted: rand(10) === 0, restrict_access_to_groups: rand(20) === 0 ? [1 + rand(50)] : [],
      password: rand(200) === 0 ? 'secret' : null, order: 1, thumbnail: null, duration: 600 + rand(3000), overview: `${folder}/overview.vtt`,
      encoding_in_progress: false, is_video: true, date_delete: '2030-01-01', disable_comment: false,
    });
    for (const [name, format, file] of [['360p', 'video/mp4', '360p.mp4'], ['360p', 'video/mp2t', '360p.ts'], ['720p', 'video/mp4', '720p.mp4']] as const) {
      await add('video_encode_transcript.encodingvideo', childPk++, { name, video: v, rendition: 1, encoding_format: format, source_file: `${folder}/${file}` });
    }
    await add('video_encode_transcript.playlistvideo', childPk++, { name: '360p', video: v, encoding_format: 'application/x-mpegURL', source_file: `${folder}/360p.m3u8` });
    await add('video_encode_transcript.playlistvideo', childPk++, { name: 'playlist', video: v, encoding_format: 'application/x-mpegURL', source_file: `${folder}/livestream.m3u8` });
    await add('video_encode_transcript.encodingaudio', childPk++, { name: 'audio', video: v, encoding_format: 'audio/mp3', source_file: `${folder}/audio_192k.mp3` });
    await add('video.viewcount', childPk++, { video: v, date: '2022-01-01', count: rand(100) });
    if (v % 10 === 0) {
      const file = `files/tracks/${v}-fr.vtt`;
      if (opts.trackFiles !== false) await writeFile(path.join(media, file), `WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nSous-titre de la vidéo ${v}.\n`);
      await add('main.customfilemodel', v, { file });
      await add('completion.track', childPk++, { video: v, kind: 'subtitles', lang: 'fr', src: v, enrich_ready: false });
      await add('chapter.chapter', childPk++, { video: v, title: 'Introduction', slug: `${childPk}-introduction`, time_start: 0 });
      await add('chapter.chapter', childPk++, { video: v, title: 'Suite', slug: `${childPk}-suite`, time_start: 60 });
    }
  }
  out.end(first ? '[]\n' : '\n]\n');
  await once(out, 'finish');
  return { dump, media, bytes };
}
