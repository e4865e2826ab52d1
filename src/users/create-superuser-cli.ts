// `npm run create-superuser -- --username admin [--email a@b] [--password …]`
// Creates (or promotes) a superuser. The password comes from --password,
// the POD_SUPERUSER_PASSWORD variable, or a prompt that does not echo it.
// Works while the server runs: on an embedded (PGlite) data directory held by
// a running server, the server does it (superusers.ts).
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { migrate } from '../core/db/migrate.ts';
import { exitIfPgliteInUse, pgliteHolder } from '../core/db/pglite-lock.ts';
import { deriveKeys, resolveSecretKey } from '../auth/keys.ts';
import { cliSuperuserToken, upsertSuperuser } from './superusers.ts';
import { readHiddenLine } from './hidden-prompt.ts';

const { values } = parseArgs({
  options: { username: { type: 'string' }, email: { type: 'string', default: '' }, password: { type: 'string' } },
});
if (!values.username || !/^[\w.@+-]{1,150}$/.test(values.username)) {
  console.error('usage: npm run create-superuser -- --username NAME [--email ADDRESS] [--password SECRET]');
  process.exit(64);
}
let password = values.password ?? process.env.POD_SUPERUSER_PASSWORD;
if (!password) {
  if (!process.stdin.isTTY) {
    console.error('No password: pass --password, set POD_SUPERUSER_PASSWORD, or run in a terminal.');
    process.exit(64);
  }
  password = await readHiddenLine('Password (not shown): ');
}
if (password.length < 8) {
  console.error('The password must have at least 8 characters.');
  process.exit(64);
}
const body = { username: values.username, email: values.email, password };
const config = loadConfig();

const embedded = !config.DATABASE_URL && !config.PGLITE_DATA_DIR.startsWith('memory://');
const holder = embedded ? await pgliteHolder(config.PGLITE_DATA_DIR) : null;
if (holder?.url) {
  // The running server holds the database: it creates the user (and sees it at once).
  const keys = deriveKeys(resolveSecretKey(config, (m) => console.warn(m)));
  let res: Response;
  try {
    res = await fetch(`${holder.url}/api/v1/internal/superusers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await cliSuperuserToken(keys)}` },
      body: JSON.stringify(body),
    });
  } catch (err) {
    console.error(`The server (pid ${holder.pid}) holds ${config.PGLITE_DATA_DIR} but does not answer at ${holder.url}: ${(err as Error).message}`);
    process.exit(75);
  }
  const answer = (await res.json().catch(() => ({}))) as { data?: { id: number; username: string }; errors?: { message: string }[] };
  if (!res.ok || !answer.data) {
    console.error(`The running server refused (${res.status}): ${answer.errors?.[0]?.message ?? 'no answer'}`);
    process.exit(res.status === 401 ? 77 : 70);
  }
  console.log(`Superuser ${answer.data.username} (id ${answer.data.id}) is ready (created through the server running at ${holder.url}).`);
} else {
  const handle = await openDatabase(config, undefined, { role: 'create-superuser' }).catch(exitIfPgliteInUse);
  try {
    await migrate(handle);
    const row = await upsertSuperuser(handle.db, body);
    console.log(`Superuser ${row.username} (id ${row.id}) is ready.`);
  } finally {
    await handle.close();
  }
}
