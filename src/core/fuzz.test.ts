// Schema-driven fuzzing: for every operation of the served OpenAPI document,
// fast-check generates requests from the operation's own schemas (path,
// query and body values that conform) and broken ones (wrong types, missing
// fields, huge values, malformed JSON, wrong content type), sent by a
// superuser and by an anonymous caller. Whatever the input: never a 5xx, and
// every 4xx is the error envelope with a code. Seeded (FUZZ_SEED) to replay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser } from '../test-support/users.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
type Schema = Record<string, any>;
interface Operation { method: string; path: string; op: Schema }
interface Sent { method: string; url: string; headers: Record<string, string>; body?: string }

/** fast-check arbitrary for a JSON Schema (the OpenAPI 3.1 subset TypeBox emits). */
function arbitrary(schema: Schema, doc: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return arbitrary(doc.components.schemas[String(schema.$ref).split('/').pop()!], doc, depth);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((s: Schema) => arbitrary(s, doc, depth + 1)));
  switch (schema.type) {
    case 'string': {
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 40, 300);
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === 'date') return fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
      if (schema.format === 'uri') return fc.webUrl();
      if (schema.format === 'email') return fc.emailAddress();
      if (schema.pattern) {
        try {
          return fc.stringMatching(new RegExp(schema.pattern), { size: 'small' }).filter((s) => s.length >= min && s.length <= max);
        } catch {
          // a pattern fast-check cannot invert: plain strings (the server must refuse them cleanly)
        }
      }
      // Any code point too (NUL, lone surrogates, emoji), not only printable ASCII.
      return fc.oneof(fc.string({ minLength: min, maxLength: Math.max(min, max) }), fc.string({ unit: 'binary', minLength: min, maxLength: Math.max(min, max) }));
    }
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1e9, Number.MIN_SAFE_INTEGER), max: Math.min(schema.maximum ?? 1e9, Number.MAX_SAFE_INTEGER) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const items = arbitrary(schema.items ?? {}, doc, depth + 1);
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)) };
      return schema.uniqueItems ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(items, constraints);
    }
    case 'object': {
      if (depth > 4 || !schema.properties) return fc.constant({});
      const props = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, arbitrary(s as Schema, doc, depth + 1)]));
      return fc.record(props, { requiredKeys: schema.required ?? [] })
        .filter((o) => Object.keys(o).length >= (schema.minProperties ?? 0) && Object.keys(o).length <= (schema.maxProperties ?? Infinity));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Ways to break a request that conforms. */
const BREAKERS = ['wrong-type body', 'missing field', 'huge string', 'malformed json', 'wrong content type', 'wrong-type params'] as const;

describe(`schema-driven fuzzing of every operation (seed ${SEED})`, () => {
  let t: TestApp;
  let doc: Schema;
  const fixtures: Record<string, string> = {};
  let rootAuth: Record<string, string> = {};
  let roots = 0;

  /** A working superuser token (a fuzzed request may have revoked or disabled the previous one). */
  async function superuser() {
    if (rootAuth.authorization && (await t.request('GET', '/api/v1/users/me', { headers: rootAuth })).status === 200) return rootAuth;
    rootAuth = (await createUser(t, `fuzz-root-${roots++}`, { is_superuser: true, is_staff: true })).auth;
    return rootAuth;
  }

  before(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000000' } });
    doc = (await t.request('GET', '/api/v1/openapi.json')).body;
    const auth = await superuser();
    await createUser(t, 'fuzz-someone', { groups: ['FUZZ-G'] });
    const video = (await t.request('POST', '/api/v1/videos', { headers: auth, json: { title: 'Fuzz', is_draft: false } })).body.data;
    await markEncoded(t, video.id);
    const channel = (await t.request('POST', '/api/v1/channels', { headers: auth, json: { title: 'Fuzz channel' } })).body.data;
    const chapter = (await t.request('POST', `/api/v1/videos/${video.slug}/chapters`, { headers: auth, json: { title: 'One', time_start: 1 } })).body.data;
    const track = (await t.request('POST', `/api/v1/videos/${video.slug}/tracks`, { headers: auth, json: { lang: 'fr', content: 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n' } })).body.data;
    Object.assign(fixtures, { ref: video.slug, slug: channel.slug, code_name: 'FUZZ-G', username: 'fuzz-someone', chapterId: String(chapter.id), trackId: String(track.id) });
  });
  after(() => t.close());

  const operations = (): Operation[] => {
    const ops: Operation[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
      for (const [method, op] of Object.entries(item)) if (['get', 'post', 'put', 'patch', 'delete', 'head'].includes(method)) ops.push({ method: method.toUpperCase(), path, op });
    }
    // Destructive operations last, so that the others meet the fixtures alive.
    const destructive = (o: Operation) => o.method === 'DELETE' || /logout/.test(o.path);
    return [...ops.filter((o) => !destructive(o)), ...ops.filter(destructive)];
  };

  /** A conforming request of one operation (path values: a fixture or generated). */
  function conforming({ method, path, op }: Operation): fc.Arbitrary<Sent> {
    const params: Schema[] = op.parameters ?? [];
    const pathArbs: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name,
      fixtures[p.name] ? fc.oneof(fc.constant(fixtures[p.name]), arbitrary(p.schema, doc)) : arbitrary(p.schema, doc)]));
    const queryArbs: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, arbitrary(p.schema, doc)]));
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    return fc.record({
      path: fc.record(pathArbs),
      query: fc.record(queryArbs, { requiredKeys: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name) }),
      body: bodySchema ? arbitrary(bodySchema, doc) : fc.constant(undefined),
    }).map(({ path: pv, query, body }): Sent => {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String((pv as Record<string, unknown>)[name])));
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, typeof one === 'object' ? JSON.stringify(one) : String(one));
      return {
        method, url: `${url}${qs.size ? `?${qs}` : ''}`,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {} as Record<string, string>,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      };
    });
  }

  /** The same, then broken in one way. */
  function broken(o: Operation): fc.Arbitrary<Sent> {
    return fc.tuple(conforming(o), fc.constantFrom(...BREAKERS), fc.jsonValue({ maxDepth: 2 })).map(([sent, how, junk]): Sent => {
      const body = sent.body !== undefined ? JSON.parse(sent.body) : undefined;
      switch (how) {
        case 'wrong-type body':
          return { ...sent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(typeof junk === typeof body ? [junk] : junk) };
        case 'missing field': {
          if (!body || typeof body !== 'object' || Array.isArray(body)) return { ...sent, headers: { 'content-type': 'application/json' }, body: '{}' };
          const [first] = Object.keys(body);
          if (first) delete body[first];
          return { ...sent, body: JSON.stringify(body) };
        }
        case 'huge string': {
          const huge = 'x'.repeat(200_000);
          if (body && typeof body === 'object' && !Array.isArray(body)) {
            for (const k of Object.keys(body)) body[k] = huge;
            return { ...sent, body: JSON.stringify(body) };
          }
          return { ...sent, url: sent.url.replace(/\/[^/?]+(\?|$)/, `/${'y'.repeat(5000)}$1`) };
        }
        case 'malformed json':
          return { ...sent, headers: { 'content-type': 'application/json' }, body: '{"title": "unterminated' };
        case 'wrong content type':
          return { ...sent, headers: { 'content-type': 'text/plain' }, body: 'plain text' };
        case 'wrong-type params': {
          const [base, query = ''] = sent.url.split('?');
          const qs = new URLSearchParams(query);
          for (const k of [...qs.keys()]) qs.set(k, typeof junk === 'string' ? `${junk}{}` : '[object Object]');
          qs.set('limit', '-1e99');
          return { ...sent, url: `${base!.replace(/\/\d+(?=\/|$)/, '/not-a-number')}?${qs}` };
        }
      }
    });
  }

  async function send(sent: Sent, auth: Record<string, string>): Promise<{ status: number; type: string; body: any }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const payload = sent.method === 'GET' || sent.method === 'HEAD' ? undefined : sent.body; // fetch sends no body on these
      const res = await fetch(t.url + sent.url, { method: sent.method, headers: { ...auth, ...sent.headers }, body: payload, signal: controller.signal });
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream')) return { status: res.status, type, body: undefined }; // a live stream: its head is the answer
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      return { status: res.status, type, body };
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  const judge = (sent: Sent, res: { status: number; type: string; body: any }) => {
    const what = `${sent.method} ${sent.url.slice(0, 200)} ${sent.body?.slice(0, 200) ?? ''} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;
    // The one deliberate 5xx: oEmbed's standard answer to a format it does not provide.
    const oembedFormat = res.status === 501 && res.body?.errors?.[0]?.code === 'format_not_implemented';
    assert.ok(res.status < 500 || oembedFormat, `5xx: ${what}`);
    if (res.status >= 400 && sent.method !== 'HEAD') { // 4xx and the 501 above
      assert.match(res.type, /^application\/json/, `4xx not JSON: ${what}`);
      assert.equal(res.body?.status, 'error', `4xx not the envelope: ${what}`);
      assert.equal(typeof res.body?.errors?.[0]?.code, 'string', `4xx without a code: ${what}`);
    }
  };

  it('no operation answers 5xx, and every 4xx is the envelope with a code', { timeout: 600_000 }, async () => {
    let requests = 0;
    const ops = operations();
    assert.ok(ops.length > 80, `${ops.length} operations`);
    for (const [i, o] of ops.entries()) {
      for (const [kind, arb] of [['conforming', conforming(o)], ['broken', broken(o)]] as const) {
        await fc.assert(fc.asyncProperty(arb, fc.boolean(), async (sent, anonymous) => {
          requests++;
          judge(sent, await send(sent, anonymous ? {} : await superuser()));
        }), { numRuns: RUNS, seed: SEED + i * 2 + (kind === 'broken' ? 1 : 0), endOnFailure: false });
      }
    }
    console.log(`fuzz: seed ${SEED}, ${ops.length} operations, ${requests} requests (shrinking included), no 5xx, every 4xx enveloped`);
  });
});
