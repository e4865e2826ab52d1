// A frontend team's view of the contract: a TypeScript client generated from
// the served document (openapi-typescript + openapi-fetch, clients/typescript)
// must compile and run a whole scenario against a live server — sign in,
// create a video, upload it with tus-js-client, wait for ready over SSE, get
// the player configuration, list with a cursor — with the reference encoder.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runEncoder } from '../encoder/worker.ts';
import { makeClip } from '../test-support/media.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, TEST_PASSWORD } from '../test-support/users.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

const run = promisify(execFile);
const CLIENT = path.resolve(import.meta.dirname, '../../clients/typescript');
// The client's own tools (TypeScript 5 for openapi-typescript), wherever npm placed them.
const fromClient = createRequire(path.join(CLIENT, 'package.json'));
const OPENAPI_TS = path.join(path.dirname(fromClient.resolve('openapi-typescript/package.json')), 'bin/cli.js');
const TSC = path.join(path.dirname(fromClient.resolve('typescript/package.json')), 'bin/tsc');
const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const REGISTRATION = 'client-registration-token-0123456789';

describe('a client generated from the OpenAPI document', { skip: ENGINE_INDEPENDENT || (!HAS_FFMPEG && 'ffmpeg is not installed (apt-get install ffmpeg)') }, () => {
  let t: TestApp;
  let dir: string;
  const stopEncoder = new AbortController();
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pod-client-'));
    makeClip(path.join(dir, 'clip.mp4'), { seconds: 4, size: '320x240' });
    t = await startTestApp({ env: { ENCODER_WEBHOOK_SECRET: SECRET, ENCODER_REGISTRATION_TOKEN: REGISTRATION } });
    await createUser(t, 'frontend', { is_staff: true });
    void runEncoder({ apiUrl: t.url, registrationToken: REGISTRATION, webhookSecret: SECRET, name: 'client-scenario' }, stopEncoder.signal).catch(() => {});
  });
  after(async () => {
    stopEncoder.abort();
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is generated from the served document, compiles, and runs the whole scenario', { timeout: 180_000 }, async () => {
    // Generated from what the server serves, not from the committed copy.
    await run(process.execPath, [OPENAPI_TS, `${t.url}/api/v1/openapi.json`, '-o', path.join(CLIENT, 'generated/schema.d.ts')]);
    const tsc = await run(process.execPath, [TSC, '-p', path.join(CLIENT, 'tsconfig.json')]).catch((err) => err);
    assert.equal(tsc.code ?? 0, 0, `the scenario does not compile against the generated client:\n${tsc.stdout}${tsc.stderr}`);

    const scenario = await run(process.execPath, [path.join(CLIENT, 'src/scenario.ts')], {
      cwd: CLIENT, env: { ...process.env, API_URL: t.url, POD_USERNAME: 'frontend', POD_PASSWORD: TEST_PASSWORD, CLIP: path.join(dir, 'clip.mp4') },
    }).catch((err) => err);
    assert.equal(scenario.code ?? 0, 0, `${scenario.stdout}${scenario.stderr}`);
    assert.match(scenario.stdout, /encoding over SSE .*ready/);
    assert.match(scenario.stdout, /listed with a cursor/);
    assert.match(scenario.stdout, /scenario passed/);
  });

  it('a client that breaks the contract does not compile (negative control)', { timeout: 60_000 }, async () => {
    const broken = path.join(CLIENT, 'src/broken.generated-test.ts');
    const { writeFile, unlink } = await import('node:fs/promises');
    await writeFile(broken, "import type { paths } from '../generated/schema.d.ts';\n"
      + "type Op = paths['/api/v1/videos']['get'];\nconst status: Op['responses'][200]['content']['application/json']['status'] = 'ok';\nexport { status };\n");
    try {
      const tsc = await run(process.execPath, [TSC, '-p', path.join(CLIENT, 'tsconfig.json')]).catch((err) => err);
      assert.notEqual(tsc.code ?? 0, 0);
      assert.match(tsc.stdout, /broken\.generated-test\.ts/);
    } finally {
      await unlink(broken);
    }
  });
});
