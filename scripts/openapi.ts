// The committed API document (docs/openapi.json), made from the routes.
//   node scripts/openapi.ts write   regenerate it after an API change (review the diff: /api/v1 changes only by addition)
//   node scripts/openapi.ts check   exit 1 when the served document differs from the committed one
// The document is generated with the default configuration; its `servers` is a {public_url} variable.
import { readFileSync, writeFileSync } from 'node:fs';
import { servedDocument } from '../src/test-support/openapi.ts';

const FILE = new URL('../docs/openapi.json', import.meta.url);
const mode = process.argv[2];
const text = `${JSON.stringify(await servedDocument(), null, 2)}\n`;
if (mode === 'write') {
  writeFileSync(FILE, text);
  console.log(`docs/openapi.json written (${text.length} bytes)`);
} else if (mode === 'check') {
  const committed = readFileSync(FILE, 'utf8');
  if (committed !== text) {
    console.error('The served OpenAPI document differs from docs/openapi.json: run `npm run openapi:write` and review the diff.');
    process.exit(1);
  }
  console.log('docs/openapi.json matches the served document');
} else {
  console.error('usage: node scripts/openapi.ts write|check');
  process.exit(2);
}
