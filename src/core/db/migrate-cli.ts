// `npm run migrate`: apply pending migrations to the configured database.
import { loadConfig } from '../config.ts';
import { openDatabase } from './engine.ts';
import { migrate } from './migrate.ts';
import { exitIfPgliteInUse } from './pglite-lock.ts';

const config = loadConfig();
// (A server on the embedded database migrates it itself at start: MIGRATE_ON_START.)
const handle = await openDatabase(config, undefined, { role: 'migrate' }).catch(exitIfPgliteInUse);
try {
  const applied = await migrate(handle);
  console.log(
    applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.',
    `(${handle.kind})`,
  );
} finally {
  await handle.close();
}
