// `npm run create-superuser -- --username admin [--email a@b] [--password …]`
// Creates (or promotes) a superuser. The password comes from --password,
// the POD_SUPERUSER_PASSWORD variable, or an interactive prompt.
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { sql } from 'kysely';
import { loadConfig } from '../core/config.ts';
import { openDatabase } from '../core/db/engine.ts';
import { migrate } from '../core/db/migrate.ts';
import { hashPassword } from '../auth/passwords.ts';

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
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  password = await rl.question('Password: ');
  rl.close();
}
if (password.length < 8) {
  console.error('The password must have at least 8 characters.');
  process.exit(64);
}

const handle = await openDatabase(loadConfig());
try {
  await migrate(handle);
  const hash = await hashPassword(password);
  const username = values.username;
  const row = await handle.db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('users').select('id')
      .where(sql`lower(username)`, '=', username.toLowerCase()).forUpdate().executeTakeFirst();
    const set = { password_hash: hash, is_superuser: true, is_staff: true, is_active: true };
    return existing
      ? tx.updateTable('users').set(set).where('id', '=', existing.id).returning(['id', 'username']).executeTakeFirstOrThrow()
      : tx.insertInto('users').values({ username, email: values.email, ...set }).returning(['id', 'username']).executeTakeFirstOrThrow();
  });
  console.log(`Superuser ${row.username} (id ${row.id}) is ready.`);
} finally {
  await handle.close();
}
