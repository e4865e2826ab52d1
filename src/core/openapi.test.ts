// The OpenAPI document is generated from the route schemas: it must be a
// valid OpenAPI 3.1 document and list every route the app serves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';

describe('OpenAPI document', () => {
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

  it('lists every non-hidden route the app serves, and nothing else', () => {
    const served = new Set(
      t.app.registeredRoutes
        .filter((r) => !r.hidden && r.method !== 'HEAD')
        .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{*}')}`),
    );
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (['get', 'put', 'post', 'patch', 'delete', 'options'].includes(method)) documented.add(`${method} ${path}`);
      }
    }
    assert.ok(served.size > 0);
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'routes missing from the OpenAPI document');
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'documented routes the app does not serve');
  });

  it('every operation has a tag, a summary, a success response and the error envelope', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.tags?.length, `${where} has no tag`);
        assert.ok(op.summary, `${where} has no summary`);
        const codes = Object.keys(op.responses);
        assert.ok(codes.some((c) => /^[23]/.test(c)), `${where} has no success response`);
        for (const range of ['4XX', '5XX']) {
          const schema = op.responses[range]?.content?.['application/json']?.schema;
          assert.equal(schema?.$ref, '#/components/schemas/ErrorEnvelope', `${where} ${range} is not the error envelope`);
        }
      }
    }
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
