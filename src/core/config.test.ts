import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working embedded defaults', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 8000);
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.PGLITE_DATA_DIR, './var/pgdata');
    assert.equal(c.MIGRATE_ON_START, true);
  });

  it('coerces types and treats empty values as unset', () => {
    const c = loadConfig({ PORT: '9000', MIGRATE_ON_START: 'false', DATABASE_URL: '' });
    assert.equal(c.PORT, 9000);
    assert.equal(c.MIGRATE_ON_START, false);
    assert.equal(c.DATABASE_URL, undefined);
  });

  it('names every invalid variable in one clear error', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT: must be integer \(got "eighty"\)/);
        assert.match(err.message, /DATABASE_URL: must match pattern/);
        assert.match(err.message, /LOG_LEVEL/);
        return true;
      },
    );
  });
});
