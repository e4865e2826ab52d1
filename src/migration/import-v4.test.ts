// Importing a Pod V4 instance (a realistic dumpdata fixture and its media
// folder) on the test engine, then checking through HTTP that what users
// relied on holds: accounts (a V4 password still signs in), managers,
// groups, channels and themes, every ACL case, passwords and private links,
// the V4 files playing through the player config without re-encoding, old
// links resolving — and that the report says what was not migrated, and a
// second run changes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runImport } from './importer.ts';
import type { Report } from './context.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { buildV4Fixture, ADMIN_PASSWORD, V4_SECRET_KEY, hashkeyOf, type V4Fixture } from '../test-support/v4-fixture.ts';
import { createUser, login, type TestUser } from '../test-support/users.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

describe('importing a Pod V4 instance', { skip: !HAS_FFMPEG && 'ffmpeg is not installed (the fixture encodes its V4 files)' }, () => {
  let t: TestApp;
  let fx: V4Fixture;
  let report: Report;
  let anon: Record<string, string>, student1: Record<string, string>, student2: Record<string, string>, teacher: Record<string, string>;
  let stranger: TestUser;
  const run = (dryRun = false) => runImport(dryRun ? null : t.app.dbh.db, t.app.storage, t.config, {
    dump: fx.dump, mediaRoot: fx.media, spoolDir: path.join(fx.dir, 'spool'), dryRun, oldSecretKey: V4_SECRET_KEY,
  });
  const count = async (table: 'videos' | 'users' | 'video_tracks' | 'migration_map') =>
    Number((await t.app.dbh.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  before(async () => {
    fx = await buildV4Fixture();
    t = await startTestApp();
    // An account that exists before the import, with a V4 username: matched, not duplicated.
    stranger = await createUser(t, 'etudiant1');
  });
  after(async () => {
    await t?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('a dry run validates everything and writes nothing but the report', async () => {
    const dry = await run(true);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.models.get('video.video')!.imported, 10);
    assert.equal(await count('videos'), 0);
    assert.equal(await count('migration_map'), 0);
    assert.equal(await count('users'), 1, 'only the account made before');
  });

  it('imports: counts, skipped rows with their reason, missing files, what pod-api has no place for', async () => {
    report = await run();
    const m = (model: string) => report.models.get(model)!;
    assert.deepEqual({ ...m('auth.user') }, { seen: 7, imported: 5, already: 0, matched: 1, skipped: 1 });
    assert.deepEqual({ ...m('video.video') }, { seen: 11, imported: 10, already: 0, matched: 0, skipped: 1 });
    assert.ok(report.skipped.some((s) => s.model === 'video.video' && s.pk === fx.videos.orphan && /owner is missing/.test(s.reason)));
    assert.ok(report.skipped.some((s) => s.model === 'auth.user' && /only by case/.test(s.reason)));
    assert.ok(report.skipped.some((s) => s.model === 'completion.track' && /not valid WebVTT/.test(s.reason)));
    assert.ok(report.missingMedia.some((f) => f.includes('/0020/')), 'the files of video 20 are reported missing');
    assert.deepEqual({ ...m('playlist.playlist') }, { seen: 2, imported: 2, already: 0, matched: 0, skipped: 0 });
    assert.deepEqual({ ...m('playlist.playlistcontent') }, { seen: 4, imported: 3, already: 0, matched: 0, skipped: 1 });
    assert.ok(report.skipped.some((s) => s.model === 'playlist.playlistcontent' && s.pk === 4 && /video was not imported/.test(s.reason)));
    assert.equal(m('video.viewcount').imported, 2);
    assert.equal(m('video.usermarkertime').imported, 1);
    assert.equal(report.notMapped.get('playlist.playlist'), undefined);
    assert.equal(report.notMapped.get('completion.contributor'), undefined);
    assert.deepEqual({ ...m('completion.document') }, { seen: 2, imported: 1, already: 0, matched: 0, skipped: 1 });
    assert.ok(report.skipped.some((s) => s.model === 'completion.document' && /not of a "\.pdf" document/.test(s.reason)));
    assert.deepEqual([m('completion.contributor').imported, m('completion.overlay').imported, m('video.comment').imported, m('video.vote').imported], [1, 1, 2, 2]);
    assert.ok(report.skipped.some((s) => s.model === 'video.comment' && s.pk === 3 && /author was not imported/.test(s.reason)));
    assert.deepEqual([m('video.advancednotes').imported, m('video.notes').imported], [2, 1]);
    assert.ok([...report.adjusted.keys()].some((k) => /main_lang/.test(k)));
    assert.ok(report.filesCopied > 30);
    assert.match(report.summary(), /video\.video\s+11\s+10/);
  });

  it('people: a V4 password signs in (and becomes argon2id), managers from Django groups, access groups and members', async () => {
    const token = await login(t, 'admin', ADMIN_PASSWORD);
    const me = (await t.request('GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${token}` } })).body.data;
    assert.equal(me.is_superuser, true);
    const hash = (await t.app.dbh.db.selectFrom('users').select('password_hash').where('username', '=', 'admin').executeTakeFirstOrThrow()).password_hash!;
    assert.match(hash, /^\$argon2id\$/, 'upgraded at sign-in');
    const admin = { authorization: `Bearer ${token}` };
    const users = (await t.request('GET', '/api/v1/users?limit=100', { headers: admin })).body.data as any[];
    const byName = new Map(users.map((u) => [u.username, u]));
    assert.deepEqual([byName.get('jdupont').auth_type, byName.get('jdupont').affiliation, byName.get('jdupont').is_staff, byName.get('jdupont').establishment], ['cas', 'faculty', true, 'UFR Sciences']);
    assert.equal(byName.get('gestion').is_manager, true, 'a Django group with video.change_video');
    assert.equal(byName.get('etudiant1').id, stranger.id, 'matched to the existing account');
    assert.deepEqual(byName.get('etudiant2').groups, ['L1-INFO']);
    assert.deepEqual(byName.get('jdupont').groups, ['ENSEIGNANTS']);
    assert.equal(byName.has('JDupont'), false);
    anon = {};
    student1 = stranger.auth;
    for (const name of ['etudiant2', 'jdupont']) {
      await t.app.dbh.db.updateTable('users').set({ password_hash: (await t.app.dbh.db.selectFrom('users').select('password_hash').where('username', '=', 'admin').executeTakeFirstOrThrow()).password_hash }).where('username', '=', name).execute();
    }
    student2 = { authorization: `Bearer ${await login(t, 'etudiant2', ADMIN_PASSWORD)}` };
    teacher = { authorization: `Bearer ${await login(t, 'jdupont', ADMIN_PASSWORD)}` };
  });

  it('videos keep their V4 ids and slugs; channels, themes, taxonomy, tags, dates and licence follow', async () => {
    const v = (await t.request('GET', `/api/v1/videos/${fx.videos.pub}`)).body.data;
    assert.equal(v.id, 12);
    assert.equal(v.slug, '0012-introduction-a-la-mecanique-quantique');
    assert.deepEqual(v.channels.map((c: any) => c.slug), ['sciences']);
    assert.deepEqual(v.themes.map((x: any) => x.slug), ['quantique']);
    assert.equal(v.type.slug, 'cours-magistral');
    assert.deepEqual(v.tags, ['deux mots', 'physique', 'quantique']);
    assert.deepEqual([v.licence, v.cursus, v.date_evt, v.date_added], ['by-nc-sa', 'L', '2021-10-04', '2021-10-05T09:30:00.000Z']);
    assert.deepEqual(v.additional_owners.map((u: any) => u.username), ['mmartin']);
    assert.equal((await t.request('GET', '/api/v1/videos/0012-ancien-titre')).body.data.id, 12, 'V4 URLs whose words changed');
    const themes = (await t.request('GET', '/api/v1/channels/sciences/themes')).body.data as any[];
    const quantique = themes.find((x) => x.slug === 'quantique');
    assert.equal(themes.find((x) => x.id === quantique.parent_id)?.slug, 'mecanique', 'the tree, whatever the dump order');
    assert.equal((await t.request('GET', '/api/v1/videos/21')).body.data.main_lang, 'fr');
    const created = await t.request('POST', '/api/v1/videos', { headers: teacher, json: { title: 'Après la migration' } });
    assert.ok(created.body.data.id > 22, 'new videos get ids after the imported ones');
  });

  it('the ACL holds for migrated videos (anonymous, signed in, group member, owner)', async () => {
    const status = async (id: number, headers: Record<string, string>) => (await t.request('GET', `/api/v1/videos/${id}`, { headers })).status;
    const cases: [keyof V4Fixture['videos'], [number, number, number, number]][] = [
      ['pub', [200, 200, 200, 200]], ['draft', [404, 404, 404, 200]], ['restricted', [404, 200, 200, 200]],
      ['groups', [404, 404, 200, 200]], ['password', [200, 200, 200, 200]], ['restrictedPassword', [404, 200, 200, 200]],
      ['privateLink', [404, 404, 404, 200]], ['unencoded', [404, 404, 404, 200]],
    ];
    for (const [kind, expected] of cases) {
      const got = [await status(fx.videos[kind], anon), await status(fx.videos[kind], student1), await status(fx.videos[kind], student2), await status(fx.videos[kind], teacher)];
      assert.deepEqual(got, expected, kind);
    }
    // V4's plaintext passwords are hashes now: the same password unlocks.
    assert.equal((await t.request('GET', `/api/v1/videos/${fx.videos.password}/config`)).status, 403);
    const unlock = await t.request('POST', `/api/v1/videos/${fx.videos.password}/unlock`, { json: { password: 'sesame' } });
    assert.equal(unlock.status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${fx.videos.password}/config?token=${unlock.body.data.token}`)).status, 200);
    const stored = await t.app.dbh.db.selectFrom('videos').select('password_hash').where('id', '=', fx.videos.password).executeTakeFirstOrThrow();
    assert.match(stored.password_hash!, /^\$argon2id\$/);
    // Private links: V4's access token UUIDs, and its permanent hashkey link (V4's SECRET_KEY given).
    assert.equal((await t.request('GET', `/api/v1/videos/${fx.videos.privateLink}?token=${fx.privateLinkToken}`)).status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${fx.videos.draft}?token=${hashkeyOf(fx.videos.draft)}`)).status, 200);
    assert.equal((await t.request('GET', `/api/v1/videos/${fx.videos.draft}?token=${hashkeyOf(fx.videos.pub)}`)).status, 404, 'a hashkey opens its own video only');
  });

  it('migrated videos play their V4 files at once: master, byte-range segments, MP4, audio, tracks, chapters, poster, storyboard', async () => {
    const cfg = (await t.request('GET', `/api/v1/videos/${fx.videos.pub}/config`)).body.data;
    assert.equal(cfg.encoding.ready, true);
    assert.deepEqual(cfg.hls.renditions.map((r: any) => [r.width, r.height, r.bitrate, r.codecs]), [[640, 360, 928000, 'avc1.64001e,mp4a.40.2']], 'from V4\'s master');
    const master = await (await fetch(cfg.hls.master)).text();
    assert.match(master, /360p\.m3u8/);
    const rung = await (await fetch(new URL('360p.m3u8', cfg.hls.master))).text();
    const [, length, offset] = /#EXT-X-BYTERANGE:(\d+)@(\d+)/.exec(rung)!;
    const segment = await fetch(new URL('360p.ts', cfg.hls.master), { headers: { range: `bytes=${offset}-${Number(offset) + Number(length) - 1}` } });
    assert.equal(segment.status, 206);
    assert.equal(Buffer.from(await segment.arrayBuffer())[0], 0x47);
    assert.equal((await fetch(cfg.mp4[0].url)).headers.get('content-type'), 'video/mp4');
    assert.equal(cfg.audio.type, 'audio/mpeg');
    assert.equal((await fetch(cfg.poster)).status, 200);
    assert.equal((await fetch(new URL('overview.png', cfg.storyboard_vtt))).status, 200);
    assert.deepEqual(cfg.tracks.map((x: any) => [x.kind, x.lang]), [['subtitles', 'fr']]);
    assert.match(await (await fetch(cfg.tracks[0].url)).text(), /Bonjour\./);
    assert.deepEqual(cfg.chapters.map((c: any) => [c.title, c.time_start]), [['Introduction', 0], ['Les postulats', 2]]);
    const podcast = (await t.request('GET', `/api/v1/videos/${fx.videos.audioOnly}/config`)).body.data;
    assert.equal(podcast.hls, null);
    assert.equal((await fetch(podcast.audio.url)).status, 200);
    const gone = (await t.request('GET', `/api/v1/videos/${fx.videos.filesGone}`, { headers: teacher })).body.data;
    assert.equal(gone.encoding.status, 'pending', 'no file to play: pending, reported');
  });

  it('playlists, favorites, view counts and resume positions arrive', async () => {
    const listed = (await t.request('GET', '/api/v1/playlists?owner=jdupont')).body.data;
    assert.equal(listed.length, 1);
    const p = listed[0];
    assert.deepEqual([p.title, p.description, p.visibility, p.editors.map((e: { username: string }) => e.username)], ['Cours de physique', 'Semestre 1', 'password', ['mmartin']]);
    assert.equal((await t.request('GET', `/api/v1/playlists/${p.slug}/videos`)).status, 403, 'locked until unlocked');
    const unlock = await t.request('POST', `/api/v1/playlists/${p.slug}/unlock`, { json: { password: 'sesame' } });
    assert.equal(unlock.status, 200, 'the V4 password still works');
    const items = (await t.request('GET', `/api/v1/playlists/${p.slug}/videos`, { headers: { ...teacher, 'x-playlist-token': unlock.body.data.token } })).body.data;
    assert.deepEqual(items.map((i: { video: { id: number }; position: number }) => [i.video.id, i.position]), [[12, 0], [16, 1]], 'in V4 rank order');
    const favorites = (await t.request('GET', '/api/v1/favorites', { headers: student1 })).body.data;
    assert.deepEqual(favorites.map((i: { video: { id: number } }) => i.video.id), [12], 'etudiant1\'s V4 favorites');
    assert.equal((await t.request('GET', '/api/v1/playlists?limit=100')).body.data.some((x: { title: string }) => x.title === 'Favorites'), false);
    assert.equal((await t.request('GET', `/api/v1/videos/${fx.videos.pub}`)).body.data.views, 48);
    const stats = await t.request('GET', `/api/v1/videos/${fx.videos.pub}/statistics?from=2022-01-09&to=2022-01-11`, { headers: teacher });
    assert.deepEqual(stats.body.data.series.map((d: { views: number }) => d.views), [0, 41, 7]);
    const resume = await t.request('GET', `/api/v1/videos/${fx.videos.pub}/position`, { headers: student1 });
    assert.equal(resume.body.data.position, 2);
  });

  it('enrichments arrive: comment threads with their votes, notes, contributors, sanitised overlays, documents', async () => {
    const base = `/api/v1/videos/${fx.videos.pub}`;
    const comments = (await t.request('GET', `${base}/comments`, { headers: student2 })).body.data;
    assert.deepEqual(comments.map((c: any) => [c.author.username, c.content, c.votes, c.has_voted, c.reply_count, c.created_at]),
      [['etudiant1', 'Merci pour ce cours !', 2, true, 1, '2022-01-12T10:00:00.000Z']]);
    const replies = (await t.request('GET', `${base}/comments?parent=${comments[0].id}`)).body.data;
    assert.deepEqual(replies.map((c: any) => [c.author.username, c.content]), [['jdupont', 'Avec plaisir.']]);
    assert.equal((await t.request('GET', base)).body.data.comment_count, 2);
    const notes = async (h: Record<string, string>) => ((await t.request('GET', `${base}/notes`, { headers: h })).body.data as any[]).map((n) => [n.note, n.is_public, n.time_start]);
    assert.deepEqual(await notes(student1), [['À revoir', false, null], ['Formule importante', true, 2]]);
    assert.deepEqual(await notes(anon), [['Formule importante', true, 2]]);
    assert.deepEqual(await notes(student2), [['Ancienne note', false, null], ['Formule importante', true, 2]]);
    const config = (await t.request('GET', `${base}/config`)).body.data;
    assert.deepEqual(config.contributors.map((c: any) => [c.name, c.role]), [['Jean Martin', 'author']]);
    assert.deepEqual(config.overlays.map((o: any) => [o.title, o.time_start, o.time_end, o.position, o.content]), [['Attention', 1, 3, 'top-left', '<p>Formule <b>clé</b></p>']]);
    assert.deepEqual(config.documents.map((d: any) => [d.filename, d.content_type]), [['support.pdf', 'application/pdf']]);
    const pdf = await fetch(config.documents[0].url);
    assert.equal(pdf.status, 200);
    assert.match(await pdf.text(), /^%PDF-1\.4/);
  });

  it('old links resolve: videos, private links, channels, themes, playlists, media files', async () => {
    const resolve = (url: string, headers: Record<string, string> = {}) => t.request('GET', `/api/v1/legacy/resolve?url=${encodeURIComponent(url)}`, { headers });
    assert.deepEqual((await resolve('https://pod.univ.example/video/0012-introduction-a-la-mecanique-quantique/')).body.data,
      { type: 'video', id: 12, slug: '0012-introduction-a-la-mecanique-quantique', api: '/api/v1/videos/0012-introduction-a-la-mecanique-quantique' });
    assert.equal((await resolve('/video/0012-old-words/?is_iframe=true')).body.data.id, 12);
    const link = (await resolve(`/video/0018-lien-prive/${fx.privateLinkToken}/`)).body.data;
    assert.deepEqual([link.id, link.token], [18, fx.privateLinkToken]);
    assert.equal((await resolve(`/video/0013-brouillon/${hashkeyOf(13)}/`)).body.data.id, 13);
    assert.equal((await resolve('/video/0013-brouillon/')).status, 404, 'a draft is not revealed');
    assert.equal((await resolve('/video/0013-brouillon/', teacher)).status, 200);
    assert.deepEqual((await resolve('/sciences/')).body.data.type, 'channel');
    const theme = (await resolve('/sciences/quantique/')).body.data;
    assert.deepEqual([theme.type, theme.slug, theme.channel], ['theme', 'quantique', 'sciences']);
    assert.equal((await resolve('/sciences/quantique/video/0012-introduction-a-la-mecanique-quantique/')).body.data.id, 12);
    assert.equal((await resolve(`/media/videos/${fx.teacherHashkey}/0012/360p.mp4`)).body.data.id, 12);
    const playlist = (await resolve('/playlist/2-cours-de-physique/')).body.data;
    assert.deepEqual([playlist.type, playlist.api], ['playlist', `/api/v1/playlists/${playlist.slug}`]);
    assert.equal((await resolve('/playlist/1-favorites/')).status, 404, 'someone\'s favorites are theirs');
    assert.equal((await resolve('/playlist/1-favorites/', student1)).body.data.api, '/api/v1/favorites', 'their owner\'s favorites');
    const unknown = await resolve('/playlist/77-never-imported/');
    assert.deepEqual([unknown.status, unknown.body.errors[0].code], [410, 'legacy_not_migrated']);
    assert.equal((await resolve('/nothing/here/at/all/')).status, 404);
    assert.equal((await t.request('GET', '/api/v1/legacy/resolve')).status, 400);
    for (const bad of ['% ', '/video/%E0%A4%A/', 'http://[::1']) {
      const res = await resolve(bad);
      assert.deepEqual([res.status, res.body.errors[0].code], [400, 'invalid_url'], bad);
    }
  });

  it('a second run changes nothing', async () => {
    const before = { videos: await count('videos'), users: await count('users'), tracks: await count('video_tracks'), map: await count('migration_map') };
    const again = await run();
    for (const [model, c] of again.models) assert.equal(c.imported, 0, `${model} imported again`);
    assert.equal(again.models.get('video.video')!.already, 10);
    assert.deepEqual({ videos: await count('videos'), users: await count('users'), tracks: await count('video_tracks'), map: await count('migration_map') }, before);
  });
});
