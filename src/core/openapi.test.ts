// The OpenAPI document is generated from the route schemas: it must be a
// valid OpenAPI 3.1 document and list every route the app serves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import Type from 'typebox';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { redoclyLint } from '../test-support/openapi.ts';
import { openApiPath } from './api-contract.ts';
import { Envelope } from './envelope.ts';
import { conflict } from './errors.ts';
import { ENGINE_INDEPENDENT } from '../test-support/passes.ts';

describe('OpenAPI document', { skip: ENGINE_INDEPENDENT }, () => {
  let t: TestApp;
  let doc: any;
  before(async () => {
    t = await startTestApp();
    const res = await t.request('GET', '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document whose $refs all resolve', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.doesNotThrow(() => validator.resolveRefs());
    // Negative control: the validator does reject a broken document.
    const broken = structuredClone(doc);
    broken.paths['/api/v1/health'].get.responses = 'none';
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  it('lists every operation the app serves, and nothing else; wildcard paths are a documented {path}', () => {
    const served = new Set([...t.app.routeContracts.values()].map((c) => `${c.method.toLowerCase()} ${c.path}`));
    // Every route but the hidden ones (docs UI assets) and the HEAD twins of GETs is an operation.
    for (const r of t.app.registeredRoutes.filter((r) => !r.hidden && r.method !== 'HEAD')) {
      assert.ok(served.has(`${r.method.toLowerCase()} ${openApiPath(r.url)}`), `${r.method} ${r.url} has no contract`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      assert.doesNotMatch(path, /\{\*\}|\*/, `${path} is not a valid OpenAPI path`);
      for (const method of Object.keys(item)) {
        if (['get', 'put', 'post', 'patch', 'delete', 'options', 'head'].includes(method)) documented.add(`${method} ${path}`);
      }
    }
    assert.ok(served.size > 90, `${served.size} operations`);
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'operations missing from the OpenAPI document');
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'documented operations the app does not serve');
    const media = doc.paths['/media/t/{token}/{path}'].get.parameters.find((p: any) => p.name === 'path');
    assert.match(media.description, /may contain `\/`/);
  });

  it('every operation: unique operationId, tag, summary, description, explicit security, each status with its error codes', () => {
    const ids = new Set<string>();
    const allCodes = new Set<string>(doc.components.schemas.ErrorCode.enum);
    const resolve = (r: any) => (r.$ref ? doc.components.responses[r.$ref.split('/').pop()] : r);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.match(op.operationId ?? '', /^[a-z][A-Za-z0-9]+$/, `${where} operationId`);
        assert.ok(!ids.has(op.operationId), `${op.operationId} twice`);
        ids.add(op.operationId);
        assert.ok(op.tags?.length && op.summary && op.description, `${where} tag, summary, description`);
        assert.ok(Array.isArray(op.security), `${where} has no explicit security`);
        const codes = Object.keys(op.responses);
        assert.ok(codes.some((c) => /^[23]/.test(c)), `${where} has no success response`);
        assert.ok(codes.every((c) => /^\d{3}$/.test(c)), `${where}: ranges instead of statuses (${codes})`);
        assert.ok(codes.includes('500'), `${where} documents no 500`);
        for (const status of codes.filter((c) => Number(c) >= 400)) {
          const response = resolve(op.responses[status]);
          const json = response.content['application/json'];
          assert.equal(json.schema.allOf[0].$ref, '#/components/schemas/ErrorEnvelope', `${where} ${status}`);
          const listed: string[] = json.schema.properties.errors.items.properties.code.enum;
          assert.ok(listed.length > 0 && listed.every((c) => allCodes.has(c)), `${where} ${status}: ${listed}`);
          assert.deepEqual(Object.keys(json.examples).sort(), [...listed].sort(), `${where} ${status}: one example per code`);
          assert.ok(response.headers['X-Request-Id'], `${where} ${status} X-Request-Id`);
        }
      }
    }
    // A few operations whose contract a client relies on.
    const op = (path: string, method: string) => doc.paths[path][method];
    const enumOf = (o: any, status: string) => resolve(o.responses[status]).content['application/json'].schema.properties.errors.items.properties.code.enum;
    assert.equal(op('/api/v1/videos', 'get').operationId, 'listVideos');
    assert.deepEqual(enumOf(op('/api/v1/videos/{ref}/config', 'get'), '403'), ['password_required']);
    assert.ok(enumOf(op('/api/v1/videos/{ref}', 'patch'), '403').includes('csrf_failed'));
    assert.deepEqual(op('/api/v1/health', 'get').security, []);
    assert.deepEqual(op('/api/v1/videos/{ref}', 'patch').security, [{ bearerAuth: [] }, { cookieAuth: [], csrfToken: [] }]);
    assert.deepEqual(op('/api/v1/videos/{ref}', 'get').security.at(-1), { videoToken: [] });
    assert.deepEqual(op('/api/v1/internal/encoding-callback', 'post').security, [{ webhookSignature: [] }]);
    assert.deepEqual(op('/api/v1/encoders/jobs/claim', 'post').security, [{ encoderToken: [] }]);
    assert.deepEqual(op('/api/v1/uploads', 'options').security, []);
    assert.equal(op('/api/v1/auth/logout', 'post').requestBody.required, false);
    assert.ok(resolve(op('/api/v1/auth/token', 'post').responses['429']).headers['Retry-After']);
    assert.ok(op('/api/v1/auth/token', 'post').responses['200'].headers['X-RateLimit-Remaining']);
  });

  it('names its models once and refers to them', () => {
    const schemas = doc.components.schemas;
    for (const name of ['Video', 'VideoCreate', 'VideoPatch', 'User', 'Channel', 'PlayerConfig', 'PageMeta', 'ErrorEnvelope', 'ErrorCode', 'Track', 'Chapter']) {
      assert.ok(schemas[name], `${name} is not a component`);
    }
    const list = doc.paths['/api/v1/videos'].get.responses['200'].content['application/json'].schema;
    assert.deepEqual(list.properties.data.items, { $ref: '#/components/schemas/Video' });
    assert.deepEqual(list.properties.meta, { $ref: '#/components/schemas/PageMeta' });
    assert.deepEqual(doc.paths['/api/v1/videos'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/VideoCreate' });
    // No inlined copy of the video left: every Video is a $ref.
    assert.equal(JSON.stringify(doc.paths).includes('"is_restricted":{"type":"boolean"}'), false);
  });

  it('types what is not JSON: media, event streams, metrics, binary bodies, 304', () => {
    const content = (path: string, method: string, status: string) => Object.keys(doc.paths[path][method].responses[status].content ?? {});
    assert.deepEqual(content('/metrics', 'get', '200'), ['text/plain']);
    assert.deepEqual(content('/api/v1/videos/{ref}/events', 'get', '200'), ['text/event-stream']);
    for (const type of ['application/vnd.apple.mpegurl', 'application/dash+xml', 'video/mp4', 'text/vtt', 'image/jpeg']) {
      assert.ok(content('/media/t/{token}/{path}', 'get', '200').includes(type), type);
    }
    assert.deepEqual(content('/api/v1/videos/{ref}/config', 'get', '304'), []);
    assert.ok(doc.paths['/api/v1/videos/{ref}/config'].get.responses['200'].headers.ETag);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/uploads/{id}'].patch.requestBody.content), ['application/offset+octet-stream']);
    assert.ok(doc.paths['/api/v1/uploads/{id}'].patch.responses['204'].headers['Upload-Offset']);
    assert.deepEqual(Object.keys(doc.paths['/api/v1/encoders/files/{token}/{path}'].put.requestBody.content), ['application/octet-stream']);
    assert.ok(doc.paths['/api/v1/videos'].post.responses['201'].headers.Location);
  });

  it('passes redocly lint (recommended) with 0 errors and 0 warnings', () => {
    const result = redoclyLint(doc);
    assert.deepEqual(result.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`), []);
    assert.equal(result.errors + result.warnings, 0);
    // Negative control: the linter does see a broken document.
    const broken = structuredClone(doc);
    delete broken.paths['/api/v1/health'].get.operationId;
    assert.ok(redoclyLint(broken).warnings > 0);
  });

  it('is the committed docs/openapi.json (a change to the API is a reviewed change to that file: npm run openapi:write)', async () => {
    const committed = JSON.parse(await readFile(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    const served = { ...doc, servers: committed.servers };
    assert.deepEqual(served, committed);
  });

  it('holds real answers to the contract: an undocumented error code, or a body outside its schema, fails the test that caused it', { skip: Boolean(process.env.CONTRACT_LOG) && 'CONTRACT_LOG collects breaches instead' }, async () => {
    const rogue = await startTestApp({
      build: {
        extraRoutes: (app) => {
          app.get('/api/v1/__test/rogue', {
            schema: { operationId: 'testRogue', errors: ['not_found'], response: { 200: Envelope(Type.Null()) } },
          }, async () => { throw conflict('undocumented'); });
          app.get('/api/v1/__test/drift', {
            schema: { operationId: 'testDrift', response: { 200: Envelope(Type.Object({ count: Type.Integer({ minimum: 1 }) })) } },
          }, async () => ({ status: 'success', data: { count: 0 } }));
        },
      },
    });
    assert.equal((await rogue.request('GET', '/api/v1/__test/rogue')).status, 409);
    // A success body outside its schema (a value the serializer lets through) is caught too.
    const drift = await rogue.request('GET', '/api/v1/__test/drift');
    const closed = rogue.close();
    assert.equal(drift.body.data.count, 0, 'the serializer lets it through');
    await assert.rejects(closed, /testRogue \(GET \/api\/v1\/__test\/rogue\) answered status 409/);
    await assert.rejects(closed, /testDrift \(GET \/api\/v1\/__test\/drift\) answered 200 with a body outside its schema/);
  });

  it('every JSON request body is closed: each object schema says additionalProperties false (or declares it open)', () => {
    const open: string[] = [];
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return;
      if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined) open.push(where);
      for (const [k, v] of Object.entries<any>(schema.properties ?? {})) walk(v, `${where}.${k}`);
      for (const key of ['items', 'additionalProperties']) if (typeof schema[key] === 'object') walk(schema[key], `${where}[]`);
      for (const key of ['anyOf', 'oneOf', 'allOf']) (schema[key] ?? []).forEach((s: any, i: number) => walk(s, `${where}|${i}`));
    };
    let bodies = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (schema) {
          bodies++;
          walk(schema, `${method.toUpperCase()} ${path}`);
        }
      }
    }
    assert.ok(bodies > 20, `${bodies} JSON bodies`);
    assert.deepEqual(open, [], 'bodies that would accept (and silently drop) unknown fields');
  });

  it('serves a browsable UI at /api/docs', async () => {
    const res = await fetch(`${t.url}/api/docs/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html, /swagger-ui/i);
    const init = await fetch(`${t.url}/api/docs/static/swagger-initializer.js`);
    assert.equal(init.status, 200);
    assert.match(await init.text(), /SwaggerUIBundle/);
    const uiDoc = await (await fetch(`${t.url}/api/docs/json`)).json();
    assert.deepEqual(uiDoc, doc, 'the UI shows the same document as /api/v1/openapi.json');
  });
});
