// The one place configuration is read. Every variable is documented in
// `.env.example` and in the README table; nothing else reads process.env.
import envSchema from 'env-schema';
import Type, { type Static } from 'typebox';

const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ default: 'localhost', minLength: 1 }),
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535 }),
  PUBLIC_URL: Type.String({ default: 'http://localhost:8000', pattern: '^https?://[^\\s/]+(/.*)?$' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 500 }),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100 }),
  PGLITE_DATA_DIR: Type.String({ default: './var/pgdata', minLength: 1 }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  SHUTDOWN_GRACE_MS: Type.Integer({ default: 10_000, minimum: 0 }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates and coerces the environment. Throws a ConfigError whose message
 * names every offending variable, so a deployer fixes all of them in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    // An empty variable means "unset" (docker-compose `FOO=` lines).
    if (value !== undefined && value !== '') data[key] = value;
  }
  try {
    return envSchema<Config>({ schema: ConfigSchema, data, dotenv: false, env: false });
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] })
      .errors;
    if (!errors) throw err;
    const lines = errors.map((e) => {
      const name = e.instancePath.replace(/^\//, '') || String(e.params?.missingProperty ?? '');
      const got = name && data[name] !== undefined ? ` (got ${JSON.stringify(data[name])})` : '';
      return `  - ${name}: ${e.message}${got}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee .env.example for every variable.`);
  }
}
