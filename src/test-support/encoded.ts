// Fixture: makes a video look encoded without running ffmpeg — a small HLS
// ladder (master → 360p variant → two MPEG-TS segments), an mp4, an m4a and
// a poster written to the app's storage, and the database columns the
// encoder's `ready` callback would set. Segment bytes are recognisable so
// tests can check what they fetched.
import type { TestApp } from './test-app.ts';

export interface EncodedFixture {
  segment: (i: number) => Buffer;
  outputs: Record<string, unknown>;
}

export async function markEncoded(t: TestApp, id: number, opts: { segmentBytes?: number } = {}): Promise<EncodedFixture> {
  const p = `encodings/${id}/`;
  const size = opts.segmentBytes ?? 4096;
  const segment = (i: number) => Buffer.alloc(size, `video-${id}-segment-${i}|`);
  const files: Record<string, Buffer | string> = {
    'hls/master.m3u8': '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=896000,RESOLUTION=640x360,CODECS="avc1.4d401f,mp4a.40.2"\n360p.m3u8\n',
    'hls/360p.m3u8': '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.0,\n360p_0000.ts\n#EXTINF:4.0,\n360p_0001.ts\n#EXT-X-ENDLIST\n',
    'hls/360p_0000.ts': segment(0),
    'hls/360p_0001.ts': segment(1),
    '360p.mp4': Buffer.alloc(2048, 'mp4'),
    'audio.m4a': Buffer.alloc(1024, 'm4a'),
    'poster.jpg': Buffer.alloc(512, 'jpg'),
  };
  for (const [rel, body] of Object.entries(files)) await t.app.storage.put(p + rel, Buffer.from(body));
  const outputs = {
    hls_master: `${p}hls/master.m3u8`,
    renditions: [{ playlist: `${p}hls/360p.m3u8`, width: 640, height: 360, bitrate: 896_000, codecs: 'avc1.4d401f,mp4a.40.2' }],
    mp4: [{ key: `${p}360p.mp4`, height: 360 }],
    audio: { key: `${p}audio.m4a`, codecs: 'mp4a.40.2' },
    thumbnails: [], poster: `${p}poster.jpg`, duration: 8, subtitles: [],
  };
  await t.app.dbh.db.updateTable('videos').set({
    encoding_status: 'ready', encoding_progress: 100, ready_at: new Date(), encoding_updated_at: new Date(),
    encoding_outputs: JSON.stringify(outputs), duration: 8, thumbnail_url: `${p}poster.jpg`,
  }).where('id', '=', id).execute();
  return { segment, outputs };
}
