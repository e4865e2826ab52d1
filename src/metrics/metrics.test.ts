// GET /metrics: Prometheus text with request latency by route template,
// videos by encoding state and queue depth read from the real database; the
// optional token is enforced with an enveloped 401.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { tusUpload } from '../test-support/tus.ts';
import { wavBuffer } from '../test-support/media.ts';
import { createUser } from '../test-support/users.ts';
import { markEncoded } from '../test-support/encoded.ts';

const TOKEN = 'metrics-token-0123456789';

/** The value of one series, e.g. series(text, 'pod_videos_by_encoding_state', { state: 'queued' }). */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { METRICS_TOKEN: TOKEN, VIEW_FLUSH_INTERVAL_MS: '60000' } });
  });
  after(() => t.close());

  const scrape = async () => {
    const res = await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  it('counts requests by route template, not by raw URL', async () => {
    await t.request('GET', '/api/v1/videos/1-a');
    await t.request('GET', '/api/v1/videos/2-b');
    await t.request('GET', '/nowhere/at/all');
    const text = await scrape();
    assert.equal(series(text, 'pod_http_requests_total', { route: '/api/v1/videos/:ref', status: '404' }), 2);
    assert.equal(series(text, 'pod_http_requests_total', { route: 'unrouted', status: '404' }), 1);
    assert.ok((series(text, 'pod_http_request_duration_seconds_count', { route: '/api/v1/videos/:ref' }) ?? 0) >= 2);
    assert.equal(text.includes('1-a'), false, 'no raw URL in a label');
    assert.ok(series(text, 'pod_process_resident_memory_bytes')! > 0);
  });

  it('videos by encoding state and the encoding queue follow the database', async () => {
    const before = await scrape();
    const teacher = await createUser(t, 'teacher', { is_staff: true });
    await t.request('POST', '/api/v1/videos', { headers: teacher.auth, json: { title: 'no source yet' } });
    const done = await tusUpload(t, wavBuffer(64 * 1024), { headers: teacher.auth, metadata: { filename: 'cours.wav' } });
    assert.equal(done.status, 204, done.body);
    const after = await scrape();
    const delta = (state: string) => series(after, 'pod_videos_by_encoding_state', { state })! - series(before, 'pod_videos_by_encoding_state', { state })!;
    assert.equal(delta('pending'), 1);
    assert.equal(delta('queued'), 1);
    assert.equal(series(after, 'pod_videos_by_encoding_state', { state: 'ready' }), 0);
    assert.ok(series(after, 'pod_queue_jobs', { queue: 'video-encode', state: 'ready' }) !== undefined);
    assert.equal(series(after, 'pod_encoders_busy'), 0);
  });

  it('views accepted and not yet written', async () => {
    const teacher = await createUser(t, 'viewed', { is_staff: true });
    const video = (await t.request('POST', '/api/v1/videos', { headers: teacher.auth, json: { title: 'watched', is_draft: false } })).body.data;
    await markEncoded(t, video.id);
    for (const agent of ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Mozilla/5.0 (Macintosh) Safari/605.1.15']) await t.request('POST', `/api/v1/videos/${video.id}/views`, { headers: { 'user-agent': agent } });
    const scraped = await scrape();
    assert.equal(series(scraped, 'pod_views_pending'), 2);
    assert.equal(series(scraped, 'pod_views_accepted_total'), 2);
    await t.app.views.flush();
    assert.equal(series(await scrape(), 'pod_views_pending'), 0);
  });

  it('refuses a missing or wrong token with an enveloped 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${TOKEN}x` }] as Record<string, string>[]) {
      const res = await t.request('GET', '/metrics', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.body.errors[0].code, 'not_authenticated');
    }
  });
});
