// The CMAF packaging the reference encoder makes, read as players read it,
// through the signed URLs of the player config: the DASH MPD parsed by
// mpd-parser (video.js's) and the HLS playlists by m3u8-parser, every
// segment each one names fetched by its byte range, and every init + media
// segment pair read by ffprobe; content types; the storyboard. Needs ffmpeg.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { encodeClip, installClip, type EncodedClip } from '../test-support/cmaf.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

interface ByteRange { offset: number; length: number }
const rangeHeader = (r: ByteRange) => ({ range: `bytes=${r.offset}-${r.offset + r.length - 1}` });

describe('CMAF manifests: HLS and DASH over the same segments', { skip: (!HAS_FFMPEG && 'ffmpeg is not installed') || ENGINE_INDEPENDENT }, () => {
  let t: TestApp;
  let clip: EncodedClip;
  let owner: TestUser, stranger: TestUser;
  let slug: string;
  let cfg: any;

  before(async () => {
    [clip, t] = await Promise.all([encodeClip({ seconds: 9, size: '1280x720' }), startTestApp()]);
    [owner, stranger] = await Promise.all([createUser(t, 'owner', { is_staff: true }), createUser(t, 'stranger')]);
    const video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'CMAF', is_draft: true } })).body.data;
    slug = video.slug;
    await installClip(t, video.id, clip);
    cfg = (await t.request('GET', `/api/v1/videos/${slug}/config`, { headers: owner.auth })).body.data;
  });
  after(async () => {
    await t?.close();
    if (clip) await rm(path.dirname(clip.dir), { recursive: true, force: true });
  });

  /** Fetches a byte range of a media URL: 206 with exactly those bytes. */
  const fetchRange = async (url: string, range: ByteRange) => {
    const res = await fetch(url, { headers: rangeHeader(range) });
    assert.equal(res.status, 206, url);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.length, range.length, url);
    return bytes;
  };
  /** ffprobe reads an init segment followed by one media segment: the stream's codec. */
  const probePair = (init: Buffer, segment: Buffer) => {
    const out = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: Buffer.concat([init, segment]) });
    assert.equal(out.status, 0, String(out.stderr));
    return String(out.stdout).trim();
  };

  it('the config offers HLS (fMP4) and DASH, signed, for the owner only', async () => {
    assert.deepEqual(cfg.formats, ['hls', 'dash', 'mp4', 'audio']);
    assert.equal(cfg.hls.segments, 'fmp4');
    assert.equal(cfg.hls.type, 'application/vnd.apple.mpegurl');
    assert.equal(cfg.dash.type, 'application/dash+xml');
    assert.match(cfg.dash.manifest, /\/media\/t\/[^/]+\/encodings\/\d+\/cmaf\/manifest\.mpd$/);
    assert.equal(cfg.access.public, false);
    assert.deepEqual(cfg.hls.renditions.map((r: any) => [r.width, r.height]), [[640, 360], [1280, 720]]);
    for (const [who, headers, status] of [['anonymous', {}, 404], ['another user', stranger.auth, 404]] as const) {
      assert.equal((await t.request('GET', `/api/v1/videos/${slug}/config`, { headers })).status, status, who);
    }
    const unsigned = await fetch(cfg.dash.manifest.replace(/\/media\/t\/[^/]+\//, '/media/p/0/'));
    assert.equal(unsigned.status, 403, 'no public path to a draft\'s manifest');
  });

  it('DASH: mpd-parser reads the MPD; every segment resolves by byte range and each init + segment pair probes', async () => {
    const res = await fetch(cfg.dash.manifest);
    assert.equal(res.headers.get('content-type'), 'application/dash+xml');
    const manifest = parseMpd(await res.text(), { manifestUri: cfg.dash.manifest });
    const video = manifest.playlists;
    const audio = Object.values<any>(manifest.mediaGroups.AUDIO).flatMap((g) => Object.values<any>(g)).flatMap((l) => l.playlists);
    assert.deepEqual(video.map((p: any) => p.attributes.RESOLUTION.height), [360, 720]);
    assert.equal(audio.length, 1);
    for (const playlist of [...video, ...audio]) {
      const segments = playlist.segments as any[];
      assert.ok(segments.length >= 3, `${segments.length} segments of 4 s for 9 s`);
      const initUrl = segments[0].map.resolvedUri as string;
      assert.match(initUrl, /\/cmaf\/(360p|720p)\.mp4$|\/cmaf\/audio\.m4a$/);
      const init = await fetchRange(initUrl, segments[0].map.byterange);
      const codecs = new Set<string>();
      for (const s of segments) {
        assert.equal(s.resolvedUri, initUrl, 'one file per rendition');
        codecs.add(probePair(init, await fetchRange(s.resolvedUri, s.byterange)));
      }
      assert.deepEqual([...codecs], [initUrl.endsWith('.m4a') ? 'aac' : 'h264']);
    }
  });

  it('HLS: m3u8-parser reads the master (v7) and each media playlist; every segment resolves and probes', async () => {
    const parse = async (url: string) => {
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      const text = await res.text();
      const parser = new M3u8Parser();
      parser.push(text);
      parser.end();
      return { text, manifest: parser.manifest as any };
    };
    const master = await parse(cfg.hls.master);
    assert.match(master.text, /^#EXTM3U\n#EXT-X-VERSION:7\n/);
    const audioUri = (Object.values<any>(master.manifest.mediaGroups.AUDIO)[0] as any);
    const uris = [...master.manifest.playlists.map((p: any) => p.uri), ...Object.values<any>(audioUri).map((a) => a.uri)];
    assert.deepEqual(uris, ['360p.m3u8', '720p.m3u8', 'audio.m3u8']);
    for (const uri of uris) {
      const url = new URL(uri, cfg.hls.master).href;
      const media = (await parse(url)).manifest;
      assert.equal(media.playlistType, 'VOD');
      assert.ok(media.endList);
      const first = media.segments[0];
      const fileUrl = new URL(first.map.uri, url).href;
      const init = await fetchRange(fileUrl, first.map.byterange);
      let covered = 0;
      for (const s of media.segments) {
        assert.equal(new URL(s.uri, url).href, fileUrl);
        probePair(init, await fetchRange(fileUrl, s.byterange));
        covered += s.duration;
      }
      assert.ok(Math.abs(covered - 9) < 0.2, `${uri}: ${covered} s of 9`);
      const whole = await fetch(fileUrl, { method: 'HEAD' });
      assert.equal(whole.headers.get('content-type'), uri === 'audio.m3u8' ? 'audio/mp4' : 'video/mp4');
    }
  });

  it('every rung cuts at the same instants (keyframe-aligned), so players switch at any segment', async () => {
    const durations = await Promise.all(cfg.hls.renditions.map(async (r: any) => {
      const parser = new M3u8Parser();
      parser.push(await (await fetch(r.url)).text());
      parser.end();
      return (parser.manifest as any).segments.map((s: any) => s.duration);
    }));
    assert.deepEqual(durations[0], durations[1]);
    assert.deepEqual(durations[0].slice(0, 2), [4, 4]);
  });

  it('downloads and the storyboard: a faststart MP4, the audio, a WebVTT of sprite tiles', async () => {
    const mp4 = await fetch(cfg.mp4[0].url, { headers: { range: 'bytes=0-63' } });
    assert.equal(mp4.status, 206);
    const head = Buffer.from(await mp4.arrayBuffer());
    assert.equal(head.subarray(4, 8).toString('latin1'), 'ftyp');
    assert.equal(cfg.mp4[0].height, 720);
    assert.equal(cfg.audio.type, 'audio/mp4');
    const vtt = await fetch(cfg.storyboard_vtt);
    assert.equal(vtt.headers.get('content-type'), 'text/vtt; charset=utf-8');
    const text = await vtt.text();
    const cues = [...text.matchAll(/^(\S+) --> (\S+)\n(storyboard\.jpg)#xywh=(\d+),(\d+),160,90$/gm)];
    assert.equal(cues.length, 9, text);
    assert.deepEqual([cues[1]![1], cues[1]![4], cues[1]![5]], ['00:00:01.000', '160', '0']);
    const sprite = await fetch(new URL('storyboard.jpg', cfg.storyboard_vtt));
    assert.equal(sprite.status, 200);
    assert.equal(sprite.headers.get('content-type'), 'image/jpeg');
    const size = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: Buffer.from(await sprite.arrayBuffer()) });
    assert.equal(String(size.stdout).trim(), '1440,90', '9 tiles of 160x90 in one row');
  });
});
