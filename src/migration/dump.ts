// Reading a Django `dumpdata` JSON of a Pod V4 database without loading it:
// stream-json parses the top-level array one object at a time, and each
// record is written to a spool file of its own model (NDJSON). Records that
// belong to one video (the video itself, its encodings, tracks, chapters,
// private links, view counts…) are spread over buckets by video id, so the
// import can later take the videos bucket by bucket with every child at hand
// and memory bounded by a bucket, whatever the size of the dump.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { verifyFile } from 'stream-json/file/verifier.js';

export const BUCKETS = 64;

/** The V4 models whose rows hang off one video, and the field naming that video. */
export const VIDEO_SCOPED: Record<string, string> = {
  'video.video': 'pk',
  'video_encode_transcript.encodingvideo': 'video',
  'video_encode_transcript.encodingaudio': 'video',
  'video_encode_transcript.playlistvideo': 'video',
  'video_encode_transcript.encodinglog': 'video',
  'video_encode_transcript.encodingstep': 'video',
  'completion.track': 'video',
  'completion.contributor': 'video',
  'completion.document': 'video',
  'completion.overlay': 'video',
  'chapter.chapter': 'video',
  'video.videoaccesstoken': 'video',
  'video.viewcount': 'video',
  'video.usermarkertime': 'video',
  'video.videoversion': 'video',
  'video.comment': 'video',
  'video.advancednotes': 'video',
  'video.notes': 'video',
};

export interface DumpRecord {
  model: string;
  pk: unknown;
  fields: Record<string, unknown>;
}

/** A dump that cannot be read: where (line and column when the JSON is broken, or the object's index) and why. */
export class DumpError extends Error {
  override name = 'DumpError';
}

export interface Spool {
  dir: string;
  /** Records per model. */
  counts: Map<string, number>;
  objects: number;
  bytes: number;
}

/** Splits the dump into spool files under `dir`; reports progress in bytes read. */
export async function spoolDump(file: string, dir: string, onProgress?: (bytesRead: number, total: number) => void): Promise<Spool> {
  const total = (await stat(file).catch(() => {
    throw new DumpError(`The dump ${file} does not exist or cannot be read`);
  })).size;
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'global'), { recursive: true });
  for (let b = 0; b < BUCKETS; b++) await mkdir(path.join(dir, `bucket-${b}`));
  const writers = new Map<string, WriteStream>();
  const counts = new Map<string, number>();
  let bytesRead = 0;
  let objects = 0;
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  source.on('data', (chunk) => {
    bytesRead += chunk.length;
    onProgress?.(bytesRead, total);
  });
  const parsed = source.pipe(streamArray.withParserAsStream() as unknown as NodeJS.ReadWriteStream);
  source.on('error', (err) => (parsed as unknown as { destroy(e: Error): void }).destroy(err));
  try {
    for await (const item of parsed as unknown as AsyncIterable<{ key: number; value: unknown }>) {
      const record = item.value as { model?: unknown; pk?: unknown; fields?: unknown };
      if (!record || typeof record !== 'object' || typeof record.model !== 'string' || !/^\w+\.\w+$/.test(record.model)
        || !record.fields || typeof record.fields !== 'object' || Array.isArray(record.fields)) {
        throw new DumpError(`Object #${item.key + 1} of the dump is not a dumpdata record ({"model": "app.model", "pk": …, "fields": {…}}): ${JSON.stringify(item.value).slice(0, 200)}`);
      }
      const model = record.model.toLowerCase();
      const videoField = VIDEO_SCOPED[model];
      let where = 'global';
      if (videoField) {
        const videoId = Number(videoField === 'pk' ? record.pk : (record.fields as Record<string, unknown>)[videoField]);
        where = Number.isSafeInteger(videoId) ? `bucket-${((videoId % BUCKETS) + BUCKETS) % BUCKETS}` : 'global';
      }
      const key = `${where}/${model}`;
      let out = writers.get(key);
      if (!out) {
        out = createWriteStream(path.join(dir, `${key}.ndjson`), { highWaterMark: 1 << 20 });
        writers.set(key, out);
      }
      if (!out.write(`${JSON.stringify({ pk: record.pk, fields: record.fields })}\n`)) await once(out, 'drain');
      counts.set(model, (counts.get(model) ?? 0) + 1);
      objects++;
    }
  } catch (err) {
    for (const w of writers.values()) w.destroy();
    if (err instanceof DumpError) throw err;
    // Where exactly: the verifier reads the file again and names the line and column.
    const where = await verifyFile(file).then(() => null, (e: { line?: number; pos?: number; message?: string }) => e);
    if (where?.line) throw new DumpError(`The dump is not valid JSON at line ${where.line}, column ${where.pos}: ${where.message}`);
    throw new DumpError(`The dump is not a JSON array of dumpdata records: ${(err as Error).message}`);
  }
  await Promise.all([...writers.values()].map((w) => new Promise<void>((resolve, reject) => w.end((e?: Error | null) => (e ? reject(e) : resolve())))));
  return { dir, counts, objects, bytes: total };
}

/** The records of one model in one place (`global` or `bucket-<n>`), in dump order. */
export async function* readSpool(dir: string, where: string, model: string): AsyncIterable<{ pk: unknown; fields: Record<string, any> }> {
  const file = path.join(dir, where, `${model}.ndjson`);
  const exists = await stat(file).then(() => true, () => false);
  if (!exists) return;
  const lines = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield JSON.parse(line) as { pk: unknown; fields: Record<string, any> };
}

/** Every record of a model across all buckets. */
export async function* readEverywhere(dir: string, model: string) {
  yield* readSpool(dir, 'global', model);
  for (let b = 0; b < BUCKETS; b++) yield* readSpool(dir, `bucket-${b}`, model);
}

/** The models a spool holds (after a restart with --resume the counts come from the files). */
export async function spoolModels(dir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const where of ['global', ...Array.from({ length: BUCKETS }, (_, b) => `bucket-${b}`)]) {
    for (const name of await readdir(path.join(dir, where)).catch(() => [] as string[])) {
      if (!name.endsWith('.ndjson')) continue;
      const model = name.slice(0, -'.ndjson'.length);
      let n = 0;
      for await (const _ of readSpool(dir, where, model)) n++;
      counts.set(model, (counts.get(model) ?? 0) + n);
    }
  }
  return counts;
}
