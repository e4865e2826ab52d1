// A frontend's whole journey, written against the client generated from the
// served OpenAPI document (generated/schema.d.ts, `npm run generate`): it
// must compile (`tsc`) and run against a live server. Every call is typed by
// the document: a renamed operation, field or status breaks the build here.
//   API_URL=… POD_USERNAME=… POD_PASSWORD=… CLIP=path/to/video.mp4 node src/scenario.ts
import { readFile } from 'node:fs/promises';
import createClient from 'openapi-fetch';
import * as tus from 'tus-js-client';
import type { components, paths } from '../generated/schema.d.ts';

type Video = components['schemas']['Video'];
type EncodingState = components['schemas']['EncodingState'];

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const baseUrl = env('API_URL');
const step = (what: string, detail: unknown = '') => console.log(`✓ ${what}`, detail);
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`scenario failed: ${message}`);
}

const api = createClient<paths>({ baseUrl });

// 1. Sign in: a token pair for a detached client.
const signIn = await api.POST('/api/v1/auth/token', { body: { username: env('POD_USERNAME'), password: env('POD_PASSWORD') } });
check(signIn.data, `sign-in answered ${signIn.response.status}: ${JSON.stringify(signIn.error)}`);
const { access_token, user } = signIn.data.data;
api.use({ onRequest: ({ request }) => { request.headers.set('authorization', `Bearer ${access_token}`); return request; } });
step('signed in as', user.username);

// A typed error: the envelope with a code from the document's enum.
const missing = await api.GET('/api/v1/videos/{ref}', { params: { path: { ref: 'no-such-video' } } });
check(missing.response.status === 404 && missing.error?.errors[0]?.code === 'not_found', 'an unknown video is 404 not_found');
step('404 is the typed error envelope', missing.error.errors[0].code);

// 2. Create a video (metadata), then upload its file with tus.
const created = await api.POST('/api/v1/videos', { body: { title: 'Generated-client lecture', description: 'Made by clients/typescript', is_draft: true } });
check(created.data && created.response.status === 201, `create answered ${created.response.status}`);
const video: Video = created.data.data;
step('created video', video.slug);

const clip = await readFile(env('CLIP'));
const uploadUrl = await new Promise<string>((resolve, reject) => {
  const upload = new tus.Upload(clip, {
    endpoint: `${baseUrl}/api/v1/uploads/`,
    headers: { authorization: `Bearer ${access_token}` },
    metadata: { filename: 'lecture.mp4', video: video.slug },
    chunkSize: 256 * 1024,
    onError: reject,
    onSuccess: () => resolve(upload.url!),
  });
  upload.start();
});
step('uploaded with tus', uploadUrl);

// 3. Wait for ready over Server-Sent Events (the stream starts with the current state).
const events = await api.GET('/api/v1/videos/{ref}/events', { params: { path: { ref: video.slug } }, parseAs: 'stream' });
check(events.response.ok && events.response.headers.get('content-type')?.startsWith('text/event-stream'), 'an event stream');
const reader = (events.data as ReadableStream<Uint8Array>).getReader();
const decoder = new TextDecoder();
const seen: EncodingState['status'][] = [];
let buffer = '';
for (let final = false; !final;) {
  const { value, done } = await reader.read();
  check(!done, `the stream ended before ready (saw ${seen.join(' → ')})`);
  buffer += decoder.decode(value, { stream: true });
  for (let cut; (cut = buffer.indexOf('\n\n')) >= 0; buffer = buffer.slice(cut + 2)) {
    const block = buffer.slice(0, cut);
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (!/^event: encoding$/m.test(block) || !data) continue;
    const state = JSON.parse(data) as EncodingState;
    if (seen.at(-1) !== state.status) seen.push(state.status);
    check(state.status !== 'error', `encoding failed: ${JSON.stringify(state.error)}`);
    final ||= state.status === 'ready';
  }
}
await reader.cancel();
step('encoding over SSE', seen.join(' → '));

// 4. The player configuration, then its ETag revalidation (304, no body).
const config = await api.GET('/api/v1/videos/{ref}/config', { params: { path: { ref: video.slug } } });
check(config.data, `config answered ${config.response.status}`);
const player = config.data.data;
check(player.encoding.ready && player.hls?.master, 'an HLS master in the player configuration');
const hls = await fetch(player.hls.master);
check(hls.ok && (await hls.text()).startsWith('#EXTM3U'), 'the signed HLS master is served');
step('player config', { formats: player.formats, hls: new URL(player.hls.master).pathname.split('/').at(-1) });
const etag = config.response.headers.get('etag');
check(etag, 'the config has an ETag');
const again = await api.GET('/api/v1/videos/{ref}/config', { params: { path: { ref: video.slug } }, headers: { 'if-none-match': etag } });
check(again.response.status === 304, `revalidation answered ${again.response.status}`);
step('ETag revalidation', 304);

// 5. List my videos a page at a time with the cursor.
const second = await api.POST('/api/v1/videos', { body: { title: 'Second lecture' } });
check(second.data, 'a second video');
const slugs: string[] = [];
let cursor: string | undefined;
do {
  const page = await api.GET('/api/v1/videos/me', { params: { query: { limit: 1, ...(cursor ? { cursor } : {}) } } });
  check(page.data, `list answered ${page.response.status}`);
  slugs.push(...page.data.data.map((v) => v.slug));
  cursor = page.data.meta.next_cursor ?? undefined;
} while (cursor);
check(slugs.length === 2 && slugs.includes(video.slug) && slugs.includes(second.data.data.slug), `listed ${slugs}`);
step('listed with a cursor, one per page', slugs);
console.log('scenario passed');
