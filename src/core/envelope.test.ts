// The envelope contract, asserted over HTTP: every failure mode answers the
// error envelope with a precise code and status, never HTML, never a stack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Type from 'typebox';
import { sql } from 'kysely';
import { Envelope, ok } from './envelope.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';

function assertErrorEnvelope(body: any, code: string) {
  assert.equal(body.status, 'error');
  assert.equal(body.data, null);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors is a non-empty array');
  assert.equal(body.errors[0].code, code);
  assert.equal(typeof body.errors[0].message, 'string');
  assert.equal(typeof body.meta?.request_id, 'string');
}

describe('envelope and error mapping', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      build: {
        extraRoutes: (app) => {
          app.post(
            '/api/v1/__test/echo',
            {
              schema: {
                operationId: 'testEcho',
                body: Type.Object({
                  title: Type.String({ minLength: 1, maxLength: 100 }),
                  count: Type.Integer({ minimum: 0 }),
                  tags: Type.Optional(Type.Array(Type.String({ maxLength: 10 }))),
                }),
                querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) }),
                response: { 200: Envelope(Type.Object({ title: Type.String(), count: Type.Integer(), limit: Type.Integer() })) },
              },
            },
            async (req) => {
              const body = req.body as { title: string; count: number };
              const q = req.query as { limit?: number };
              return ok({ title: body.title, count: body.count, limit: q.limit ?? 10, secret: 'never serialised' });
            },
          );
          app.get(
            '/api/v1/__test/boom',
            { schema: { operationId: 'testBoom', response: { 200: Envelope(Type.Null()) } } },
            async () => {
              throw new Error('secret internal detail /etc/passwd');
            },
          );
          app.get(
            '/api/v1/__test/db',
            { schema: { operationId: 'testDatabase', response: { 200: Envelope(Type.Integer()) } } },
            async () => {
              const r = await sql<{ one: number }>`select 1 as one`.execute(app.dbh.db);
              return ok(r.rows[0]!.one);
            },
          );
        },
      },
    });
  });
  after(() => t.close());

  it('answers a valid request with the success envelope and only schema fields', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo?limit=5', { json: { title: 'Cours', count: 3 } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'success', data: { title: 'Cours', count: 3, limit: 5 } });
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  });

  it('unknown route → 404 not_found envelope (JSON even when HTML is asked for)', async () => {
    const res = await t.request('GET', '/nope', { headers: { accept: 'text/html' } });
    assert.equal(res.status, 404);
    assertErrorEnvelope(res.body, 'not_found');
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  });

  it('wrong method on a known path → 405 with Allow header', async () => {
    const res = await t.request('DELETE', '/api/v1/health');
    assert.equal(res.status, 405);
    assertErrorEnvelope(res.body, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });

  it('wrong method with a malformed body still answers 405', async () => {
    const res = await t.request('POST', '/api/v1/health', { body: '{bad', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 405);
  });

  it('routing failures: bad percent-encoding → 400 bad_request, over-long path segment → 414 uri_too_long', async () => {
    const bad = await t.request('GET', '/api/v1/videos/%E0%A4%A');
    assert.equal(bad.status, 400, bad.text);
    assertErrorEnvelope(bad.body, 'bad_request');
    const long = await t.request('GET', `/api/v1/videos/${'x'.repeat(600)}`);
    assert.equal(long.status, 414, long.text);
    assertErrorEnvelope(long.body, 'uri_too_long');
  });

  it('NUL characters (which PostgreSQL text cannot hold) → 400 validation_error naming the field', async () => {
    const body = await t.request('POST', '/api/v1/__test/echo', { json: { title: 'a\u0000b', count: 1 } });
    assert.equal(body.status, 400, body.text);
    assertErrorEnvelope(body.body, 'validation_error');
    assert.equal(body.body.errors[0].field, 'title');
    const query = await t.request('GET', '/api/v1/videos?q=a%00b');
    assert.equal(query.status, 400);
    assert.equal(query.body.errors[0].field, 'query.q');
  });

  it('malformed JSON → 400 invalid_json', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo', { body: '{"title": ', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 400);
    assertErrorEnvelope(res.body, 'invalid_json');
  });

  it('schema violations → 400 validation_error, one error per field, named', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo', { json: { title: 123, tags: ['ok', 'x'.repeat(11)] } });
    assert.equal(res.status, 400);
    assertErrorEnvelope(res.body, 'validation_error');
    const fields = res.body.errors.map((e: any) => e.field).sort();
    assert.deepEqual(fields, ['count', 'tags.1', 'title']);
    for (const e of res.body.errors) assert.equal(e.code, 'validation_error');
  });

  it('unknown JSON fields are refused, not dropped: 400 validation_error naming each one, at any depth', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo', { json: { title: 'a', count: 1, is_superuser: true, extra: { x: 1 } } });
    assert.equal(res.status, 400, res.text);
    assertErrorEnvelope(res.body, 'validation_error');
    assert.deepEqual(res.body.errors.map((e: any) => e.field).sort(), ['extra', 'is_superuser']);
    assert.match(res.body.errors[0].message, /is not an accepted field/);
    const owner = await t.request('POST', '/api/v1/auth/token', { json: { username: 'nobody', password: 'x', remember_me: true } });
    assert.equal(owner.status, 400, 'a real route too');
    assert.equal(owner.body.errors[0].field, 'remember_me');
  });

  it('JSON body types are not coerced ("3" is not an integer), query strings are', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo', { json: { title: 'a', count: '3' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].field, 'count');
    const bad = await t.request('POST', '/api/v1/__test/echo?limit=abc', { json: { title: 'a', count: 1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, 'query.limit');
  });

  it('huge values → 400, not 500', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo', { json: { title: 'x'.repeat(500_000), count: -1e300 } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors.map((e: any) => e.field).sort(), ['count', 'title']);
  });

  it('missing body → 400 validation_error', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo');
    assert.equal(res.status, 400);
    assertErrorEnvelope(res.body, 'validation_error');
  });

  it('body over the limit → 413 payload_too_large', async () => {
    const res = await t.request('POST', '/api/v1/__test/echo', { json: { title: 'x'.repeat(2 * 1024 * 1024), count: 1 } });
    assert.equal(res.status, 413);
    assertErrorEnvelope(res.body, 'payload_too_large');
  });

  it('wrong content type → 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await t.request('POST', '/api/v1/__test/echo', { body: 'title=a', headers: { 'content-type': type } });
      assert.equal(res.status, 415, type);
      assertErrorEnvelope(res.body, 'unsupported_media_type');
    }
  });

  it('unexpected exception → 500 internal_error with request id, no stack or message leak', async () => {
    const res = await t.request('GET', '/api/v1/__test/boom', { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(res.status, 500);
    assertErrorEnvelope(res.body, 'internal_error');
    assert.equal(res.body.meta.request_id, 'trace-123');
    assert.equal(res.headers.get('x-request-id'), 'trace-123');
    assert.doesNotMatch(res.text, /secret|passwd|at .*\.ts|stack/i);
  });

  it('generates a request id when none (or a hostile one) is given', async () => {
    const res = await t.request('GET', '/api/v1/health', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('a database-backed route works on the configured engine', async () => {
    const res = await t.request('GET', '/api/v1/__test/db');
    assert.deepEqual(res.body, { status: 'success', data: 1 });
  });
});

describe('database unreachable', () => {
  let t: TestApp;
  before(async () => {
    // Port 9 (discard) is closed on loopback: connections are refused at once.
    t = await startTestApp({
      env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none', MIGRATE_ON_START: 'false', DATABASE_CONNECT_TIMEOUT_MS: '1000' },
      build: {
        extraRoutes: (app) => {
          app.get('/api/v1/__test/db', { schema: { operationId: 'testDatabase', response: { 200: Envelope(Type.Integer()) } } }, async () => {
            await sql`select 1`.execute(app.dbh.db);
            return ok(1);
          });
        },
      },
    });
  });
  after(() => t.close());

  it('liveness stays up', async () => {
    const res = await t.request('GET', '/api/v1/health');
    assert.equal(res.status, 200);
  });

  it('readiness → 503 service_unavailable with Retry-After', async () => {
    const res = await t.request('GET', '/api/v1/ready');
    assert.equal(res.status, 503);
    assertErrorEnvelope(res.body, 'service_unavailable');
    assert.equal(res.headers.get('retry-after'), '5');
  });

  it('any query → 503 service_unavailable, not 500', async () => {
    const res = await t.request('GET', '/api/v1/__test/db');
    assert.equal(res.status, 503);
    assertErrorEnvelope(res.body, 'service_unavailable');
  });
});

describe('route conventions', () => {
  it('refuses to start when a route has no response schema', async () => {
    await assert.rejects(
      startTestApp({ build: { extraRoutes: (app) => void app.get('/api/v1/__test/bare', async () => ({ hi: 1 })) } }),
      /has no success response schema/,
    );
  });

  it('refuses to start when a route has no operationId', async () => {
    await assert.rejects(
      startTestApp({ build: { extraRoutes: (app) => void app.get('/api/v1/__test/anonymous', { schema: { response: { 200: Envelope(Type.Null()) } } }, async () => ok(null)) } }),
      /has no operationId/,
    );
  });
});
