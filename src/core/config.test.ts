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

  it('retention settings: affiliation:years items, within RETENTION_MAX_YEARS; a contact address', () => {
    assert.equal(loadConfig({ RETENTION_AFFILIATION_YEARS: 'faculty:5, staff:4' }).RETENTION_AFFILIATION_YEARS, 'faculty:5, staff:4');
    assert.throws(() => loadConfig({ RETENTION_AFFILIATION_YEARS: 'faculty=5,staff:0', RETENTION_DEFAULT_YEARS: '20', CONTACT_EMAIL: 'nobody', RETENTION_ACTION: 'shred' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /CONTACT_EMAIL/);
      assert.match(err.message, /RETENTION_ACTION/);
      return true;
    });
    assert.throws(() => loadConfig({ RETENTION_AFFILIATION_YEARS: 'faculty=5,staff:0,student:11', RETENTION_DEFAULT_YEARS: '20' }), (err: unknown) => {
      assert.match(String(err), /"faculty=5" is not affiliation:years/);
      assert.match(String(err), /"staff:0" is not affiliation:years/);
      assert.match(String(err), /student keeps 11 years, more than RETENTION_MAX_YEARS \(10\)/);
      assert.match(String(err), /RETENTION_DEFAULT_YEARS: is more than RETENTION_MAX_YEARS/);
      return true;
    });
  });
});

describe('configuration documentation', () => {
  it('every variable is documented in .env.example and the README table', async () => {
    const { readFile } = await import('node:fs/promises');
    const { ConfigSchema } = await import('./config.ts');
    const example = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    for (const key of Object.keys(ConfigSchema.properties)) {
      assert.match(example, new RegExp(`^#? ?${key}=`, 'm'), `${key} missing from .env.example`);
      assert.ok(readme.includes(`\`${key}\``), `${key} missing from the README configuration table`);
    }
  });
});
