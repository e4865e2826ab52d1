// `npm run migrate`: apply pending migrations to the configured database.
import { loadConfig } from '../config.ts';
import { openDatabase } from './engine.ts';
import { migrate } from './migrate.ts';

const config = loadConfig();
const handle = await openDatabase(config);
try {
  const applied = await migrate(handle);
  console.log(
    applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.',
    `(${handle.kind})`,
  );
} finally {
  await handle.close();
}
