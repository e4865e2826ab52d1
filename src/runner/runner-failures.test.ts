// ENCODING_BACKEND=esup-runner when things go wrong: failed and timed-out
// tasks (the runner's message and the end of its log for editors), the
// notify endpoint's refusals (no or wrong token, another manager's task,
// unknown task, malformed body), duplicate and reordered notifies, an unsafe
// or inconsistent result listing, a manager that never notifies (the
// reconciler asks it), a manager restarted without its tasks. Every case
// ends in a definite state: never `processing` forever.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createUser, type TestUser } from '../test-support/users.ts';
import { notify, startRunnerEnv, TOKENS } from '../test-support/runner-env.ts';

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

describe('Esup-Runner failures', { skip: !HAS_FFMPEG && 'ffmpeg is not installed' }, () => {
  let env: Awaited<ReturnType<typeof startRunnerEnv>>;
  let teacher: TestUser, stranger: TestUser, manager: TestUser;
  before(async () => {
    env = await startRunnerEnv();
    teacher = await createUser(env.t, 'teacher', { is_staff: true });
    stranger = await createUser(env.t, 'stranger');
    manager = await createUser(env.t, 'manager', { is_manager: true });
  });
  beforeEach(() => {
    for (const m of env.managers) Object.assign(m.behaviour, { busy: false, silent: false, failWith: null, duplicateNotify: false, reorder: false, traversal: false, oversize: false, badSha: false, statusSaysRunning: false });
  });
  after(() => env?.close());

  const taskOf = async (videoId: number) => env.t.app.dbh.db.selectFrom('runner_tasks').selectAll().where('video_id', '=', videoId)
    .orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  /** Waits until the video has a task (the dispatcher takes the job a moment after the upload) past `until` (100 ms steps, 10 s at most). */
  const taskPast = async (videoId: number, until: string[]) => {
    const latest = () => env.t.app.dbh.db.selectFrom('runner_tasks').selectAll().where('video_id', '=', videoId).orderBy('created_at', 'desc').executeTakeFirst();
    let row = await latest();
    for (let i = 0; i < 100 && (!row || until.includes(row.status)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      row = await latest();
    }
    assert.ok(row, 'the job was handed to a manager');
    return row;
  };

  it('a failed task → error with the runner\'s message; the end of its log for editors and the jobs page only', async () => {
    const { t, managers } = env;
    managers[0]!.behaviour.failWith = { status: 'failed', error: 'ffmpeg exited with code 1: Invalid data found when processing input' };
    const video = await env.upload(teacher);
    const state = await env.encodingOf(teacher, video.slug, 'error');
    assert.deepEqual(state.error, { code: 'runner_failed', message: 'ffmpeg exited with code 1: Invalid data found when processing input' });
    assert.ok(state.log.endsWith('Error: ffmpeg exited with code 1: Invalid data found when processing input\n'));
    assert.ok(state.log.length <= 4000, 'the tail, not the whole log');
    await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: teacher.auth, json: { is_draft: false } });
    const seen = (await t.request('GET', `/api/v1/videos/${video.slug}`, { headers: stranger.auth })).body.data;
    assert.equal(seen?.encoding?.log, undefined, 'not for viewers');
    const jobs = (await t.request('GET', '/api/v1/encoding/jobs?status=error', { headers: manager.auth })).body.data;
    assert.ok(jobs.find((j: any) => j.video.id === video.id).log.includes('Invalid data found'));

    managers[0]!.behaviour.failWith = { status: 'timeout', error: 'Script execution timed out after 18000 seconds' };
    const slow = await env.upload(teacher);
    assert.equal((await env.encodingOf(teacher, slow.slug, 'error')).error.code, 'runner_timeout');
  });

  it('the notify endpoint: 401 without the token, 404 for an unknown or another manager\'s task, 400 malformed, 415 not JSON', async () => {
    const { t, managers } = env;
    managers[0]!.behaviour.silent = true;
    // Nor may the reconciler settle it (it asks after RUNNER_RECONCILE_AFTER_S = 2 s): only notifies move it here.
    managers[0]!.behaviour.statusSaysRunning = true;
    const video = await env.upload(teacher);
    const row = await taskPast(video.id, ['dispatching']);
    // The runner has finished (silently): a notify now is a true one.
    for (let i = 0; i < 300 && managers[0]!.tasks.get(row.task_id!)?.status !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(managers[0]!.tasks.get(row.task_id!)?.status, 'completed', 'the runner finished');
    const body = { task_id: row.task_id, status: 'completed', error_message: null, script_output: 'log' };
    for (const [token, status, code] of [[null, 401, 'invalid_token'], ['wrong-token-0000', 401, 'invalid_token'], [TOKENS[1]!, 404, 'not_found']] as const) {
      const res = await notify(t, body, token);
      assert.equal(res.status, status, String(token));
      assert.equal(res.body.errors[0].code, code);
    }
    const unknown = await notify(t, { ...body, task_id: randomUUID() }, TOKENS[0]!);
    assert.equal(unknown.status, 404);
    for (const bad of [{ ...body, status: 'exploded' }, { status: 'completed' }, { ...body, task_id: 42 }]) {
      const res = await notify(t, bad, TOKENS[0]!);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.body.errors[0].code, 'validation_error');
    }
    const notJson = await t.request('POST', '/api/v1/runner/notify', { body: 'task_id=x', headers: { authorization: `Bearer ${TOKENS[0]}`, 'content-type': 'text/plain' } });
    assert.equal(notJson.status, 415);
    const broken = await t.request('POST', '/api/v1/runner/notify', { body: '{"task_id":', headers: { authorization: `Bearer ${TOKENS[0]}`, 'content-type': 'application/json' } });
    assert.equal(broken.status, 400);
    assert.equal((await taskOf(video.id)).status, 'running', 'nothing moved');
    // A later manager may add fields: they are ignored, the notify works.
    const accepted = await notify(t, { ...body, runner_id: 'r-1', extra: { any: 1 } }, TOKENS[0]!);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.data.outcome, 'accepted');
    await env.encodingOf(teacher, video.slug, 'ready');
  });

  it('duplicate and reordered notifies change nothing once a task is settled', async () => {
    const { t, managers } = env;
    managers[0]!.behaviour.duplicateNotify = true;
    managers[0]!.behaviour.reorder = true;
    const video = await env.upload(teacher);
    await env.encodingOf(teacher, video.slug, 'ready');
    const row = await taskOf(video.id);
    for (let i = 0; i < 100 && managers[0]!.notifies.filter((n) => n.task_id === row.task_id).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const sent = managers[0]!.notifies.filter((n) => n.task_id === row.task_id);
    assert.deepEqual(sent.map((n) => [n.status, n.httpStatus]), [['completed', 200], ['completed', 200], ['failed', 200]], 'all acknowledged');
    const again = await notify(t, { task_id: row.task_id, status: 'failed', error_message: 'late', script_output: null }, TOKENS[0]!);
    assert.equal(again.body.data.outcome, 'duplicate');
    const state = (await t.request('GET', `/api/v1/videos/${video.slug}`, { headers: teacher.auth })).body.data.encoding;
    assert.equal(state.status, 'ready');
  });

  it('an unsafe or inconsistent result is refused: names leaving the output folder, a file larger than announced, a wrong sha256', async () => {
    const { t, managers } = env;
    for (const [flag, pattern] of [['traversal', /outside its output folder/], ['oversize', /larger than announced/], ['badSha', /sha256/]] as const) {
      managers[0]!.behaviour[flag] = true;
      const video = await env.upload(teacher);
      const state = await env.encodingOf(teacher, video.slug, 'error');
      assert.equal(state.error.code, 'runner_import_failed', flag);
      assert.match(state.error.message, pattern);
      assert.equal((await taskOf(video.id)).status, 'import_failed');
      const left: string[] = [];
      for await (const o of t.app.storage.list(`encodings/${video.id}/`)) left.push(o.key);
      assert.deepEqual(left, [], `${flag}: a refused import leaves no file`);
      managers[0]!.behaviour[flag] = false;
    }
    let outside = false;
    for await (const o of t.app.storage.list('')) if (o.key.endsWith('secrets.txt')) outside = true;
    assert.equal(outside, false);
  });

  it('a manager that never notifies: the reconciler asks for the task and imports it', async () => {
    const { managers } = env;
    managers[0]!.behaviour.silent = true;
    const video = await env.upload(teacher);
    const state = await env.encodingOf(teacher, video.slug, 'ready');
    assert.equal(state.status, 'ready');
    const row = await taskOf(video.id);
    assert.equal(managers[0]!.notifies.filter((n) => n.task_id === row.task_id).length, 0, 'no notify was sent');
    assert.ok(managers[0]!.calls.some((c) => c.path === `/task/status/${row.task_id}`), 'the reconciler asked');
  });

  it('a manager restarted without its tasks: the task is handed out again, the video still gets encoded', async () => {
    const { managers } = env;
    managers[0]!.behaviour.silent = true;
    managers[0]!.behaviour.delayMs = 3000;
    const video = await env.upload(teacher);
    await taskPast(video.id, ['dispatching']);
    managers[0]!.forget();
    managers[0]!.behaviour.silent = false;
    managers[0]!.behaviour.delayMs = 0;
    const state = await env.encodingOf(teacher, video.slug, 'ready');
    assert.equal(state.status, 'ready');
    await taskPast(video.id, ['dispatching', 'running', 'completed']);
    const rows = await env.t.app.dbh.db.selectFrom('runner_tasks').select('status').where('video_id', '=', video.id).orderBy('created_at').execute();
    assert.deepEqual(rows.map((r) => r.status), ['lost', 'imported']);
  });
});

describe('Esup-Runner configuration', () => {
  it('is validated at start: managers required, JSON shapes, no own encoder at the same time', async () => {
    const { loadConfig, ConfigError } = await import('../core/config.ts');
    const cases: [Record<string, string>, RegExp][] = [
      [{ ENCODING_BACKEND: 'esup-runner' }, /RUNNER_MANAGERS: is required/],
      [{ ENCODING_BACKEND: 'esup-runner', RUNNER_MANAGERS: 'https://rm.univ.example' }, /RUNNER_MANAGERS: must be a JSON list/],
      [{ ENCODING_BACKEND: 'esup-runner', RUNNER_MANAGERS: '[{"url":"ftp://x","token":"0123456789"}]' }, /RUNNER_MANAGERS/],
      [{ ENCODING_BACKEND: 'esup-runner', RUNNER_MANAGERS: '[{"url":"https://rm","token":"short"}]' }, /RUNNER_MANAGERS/],
      [{ RUNNER_RENDITIONS: '{"hd":{}}' }, /RUNNER_RENDITIONS/],
      [{ RUNNER_RENDITIONS: '[1]' }, /RUNNER_RENDITIONS/],
      [{ ENCODING_BACKEND: 'esup-runner', RUNNER_MANAGERS: '[{"url":"https://rm","token":"0123456789"}]', ENCODER_EMBEDDED: 'true' }, /ENCODER_EMBEDDED/],
      [{ ENCODING_BACKEND: 'runner' }, /ENCODING_BACKEND/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
    }
    const ok = loadConfig({
      ENCODING_BACKEND: 'esup-runner', RUNNER_MANAGERS: '[{"url":"https://rm2.univ.example/","token":"0123456789","priority":2},{"url":"https://rm1.univ.example","token":"abcdefghij","priority":1}]',
      RUNNER_RENDITIONS: '{"360":{"resolution":"640x360","encode_mp4":true},"1080":null}',
    });
    const { runnerManagers } = await import('../core/config.ts');
    assert.deepEqual(runnerManagers(ok).map((m) => m.url), ['https://rm1.univ.example', 'https://rm2.univ.example']);
  });
});
