// No secret carried by a URL reaches the logs: private-link and unlock tokens
// (?token=), media tokens and encoder file tokens (in the path), the OIDC
// code and state. Driven through HTTP against an app logging at info level,
// whose every line is captured.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser } from '../test-support/users.ts';
import { tusUpload } from '../test-support/tus.ts';
import { wavBuffer } from '../test-support/media.ts';
import { redactSecrets } from './log-redaction.ts';

const REGISTRATION = 'registration-token-0123456789-abcdef';

describe('secrets in logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  before(async () => {
    t = await startTestApp({
      env: { LOG_LEVEL: 'info', ENCODER_REGISTRATION_TOKEN: REGISTRATION },
      build: { logStream: { write: (line: string) => void lines.push(line) } },
    });
  });
  after(() => t.close());

  it('request lines keep the route but not the tokens (query and path)', async () => {
    const owner = await createUser(t, 'owner', { is_staff: true });
    const secrets: string[] = [];
    const expectLogged: string[] = [];

    // A private link, used anonymously on the detail and the player configuration.
    const draft = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Draft', is_draft: true } })).body.data;
    await markEncoded(t, draft.id);
    const link = (await t.request('POST', `/api/v1/videos/${draft.slug}/access-tokens`, { headers: owner.auth, json: { name: 'class' } })).body.data.token as string;
    secrets.push(link);
    assert.equal((await t.request('GET', `/api/v1/videos/${draft.slug}?token=${link}`)).status, 200);
    const cfg = (await t.request('GET', `/api/v1/videos/${draft.slug}/config?token=${encodeURIComponent(link)}`)).body.data;
    expectLogged.push(`/api/v1/videos/${draft.slug}?token=[REDACTED]`);

    // A media URL: the token is a path segment.
    const mediaToken = /\/media\/t\/([^/]+)\//.exec(cfg.hls.master)![1]!;
    secrets.push(mediaToken);
    assert.equal((await fetch(cfg.hls.master)).status, 200);
    expectLogged.push(`/media/t/[REDACTED]/encodings/${draft.id}/hls/master.m3u8`);

    // An unlock token (a JWT) of a password-protected video.
    const locked = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Locked', is_draft: false, password: 'open sesame' } })).body.data;
    await markEncoded(t, locked.id);
    const unlock = (await t.request('POST', `/api/v1/videos/${locked.slug}/unlock`, { json: { password: 'open sesame' } })).body.data.token as string;
    secrets.push(unlock);
    assert.equal((await t.request('GET', `/api/v1/videos/${locked.slug}/config?token=${unlock}`)).status, 200);

    // Encoder file URLs: the token is a path segment too.
    const done = await tusUpload(t, wavBuffer(100_000), { headers: owner.auth, metadata: { filename: 'lecture.wav' } });
    assert.equal(done.status, 204, done.body);
    const reg = await t.request('POST', '/api/v1/encoders/register', { json: { registration_token: REGISTRATION, name: 'logs' } });
    const encoder = { 'x-encoder-token': reg.body.data.token as string };
    secrets.push(reg.body.data.token);
    const job = (await t.request('POST', '/api/v1/encoders/jobs/claim', { headers: encoder, json: { wait_s: 5 } })).body.data;
    const fileToken = /\/files\/([^/]+)$/.exec(job.source.url)![1]!;
    secrets.push(fileToken);
    assert.equal((await fetch(job.source.url, { headers: { range: 'bytes=0-9' } })).status, 206);
    expectLogged.push('/api/v1/encoders/files/[REDACTED]');

    // The OIDC return point's code and state, and any ?token= on any route.
    assert.equal((await t.request('GET', '/api/v1/auth/oidc/callback?code=oidc-code-SECRET-123&state=oidc-state-SECRET-456')).status, 404);
    secrets.push('oidc-code-SECRET-123', 'oidc-state-SECRET-456');
    assert.equal((await t.request('GET', '/api/v1/nowhere?x=1&token=stray-SECRET-789')).status, 404);
    secrets.push('stray-SECRET-789');
    expectLogged.push('/api/v1/nowhere?x=1&token=[REDACTED]');

    const log = lines.join('');
    assert.ok(lines.length > 20, 'the app logged its requests');
    for (const secret of secrets) assert.ok(!log.includes(secret), `a secret reached the logs: ${secret.slice(0, 12)}…`);
    for (const url of expectLogged) assert.ok(log.includes(JSON.stringify(url).slice(1, -1)), `request line kept, redacted: ${url}`);
  });

  it('redacts in free text too (error messages, stacks)', () => {
    assert.equal(
      redactSecrets('GET https://api.example/media/t/42.1700000000.abcdefghijklmnopqrstuv/encodings/42/x.ts failed; see https://s3.example/b/k?X-Amz-Signature=deadbeef&X-Amz-Expires=60'),
      'GET https://api.example/media/t/[REDACTED]/encodings/42/x.ts failed; see https://s3.example/b/k?X-Amz-Signature=[REDACTED]&X-Amz-Expires=60',
    );
    assert.equal(redactSecrets('bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl end'), 'bearer [REDACTED] end');
  });
});
