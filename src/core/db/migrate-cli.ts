// `npm run migrate`: apply pending migrations to the configured database.
import { loadConfig } from '../config.ts';
import { openDatabase } from './engine.ts';
import { migrate } from './migrate.ts';
import { PgliteInUseError } from './pglite-lock.ts';

const config = loadConfig();
let handle;
try {
  handle = await openDatabase(config, undefined, { role: 'migrate' });
} catch (err) {
  if (err instanceof PgliteInUseError) {
    // The server migrates its embedded database itself at start (MIGRATE_ON_START).
    console.error(err.message);
    process.exit(75);
  }
  throw err;
}
try {
  const applied = await migrate(handle);
  console.log(
    applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.',
    `(${handle.kind})`,
  );
} finally {
  await handle.close();
}
