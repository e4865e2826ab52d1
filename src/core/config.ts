// The one place configuration is read. Every variable is documented in
// `.env.example` and in the README table; nothing else reads process.env.
import envSchema from 'env-schema';
import Type, { type Static } from 'typebox';

export const ConfigSchema = Type.Object({
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
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  REQUEST_TIMEOUT_S: Type.Integer({ default: 3600, minimum: 0 }),
  HEADERS_TIMEOUT_S: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),

  // --- shared state across API nodes
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'pod-api:', maxLength: 100 }),

  // --- authentication
  SECRET_KEY: Type.Optional(Type.String({ minLength: 32 })),
  ACCESS_TOKEN_TTL_S: Type.Integer({ default: 900, minimum: 30, maximum: 86_400 }),
  REFRESH_TOKEN_TTL_S: Type.Integer({ default: 30 * 86_400, minimum: 60 }),
  SESSION_TTL_S: Type.Integer({ default: 14 * 86_400, minimum: 60 }),
  COOKIE_SECURE: Type.Boolean({ default: true }),
  COOKIE_SAMESITE: Type.Union([Type.Literal('strict'), Type.Literal('lax'), Type.Literal('none')], { default: 'lax' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  AUTH_RATE_LIMIT_MAX: Type.Integer({ default: 10, minimum: 1 }),
  AUTH_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  AFFILIATION_STAFF: Type.String({ default: 'faculty,employee,staff' }),
  OIDC_ISSUER: Type.Optional(Type.String({ pattern: '^https?://' })),
  OIDC_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_SCOPES: Type.String({ default: 'openid profile email' }),
  OIDC_AFFILIATION_CLAIM: Type.String({ default: 'affiliation' }),
  OIDC_GROUPS_CLAIM: Type.String({ default: 'groups' }),
  OIDC_DEFAULT_AFFILIATION: Type.String({ default: 'member' }),
  OIDC_ALLOW_HTTP: Type.Boolean({ default: false }),
  FRONTEND_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  LOCAL_AUTH_ENABLED: Type.Boolean({ default: true }),
  OIDC_DISPLAY_NAME: Type.String({ default: 'Single sign-on', minLength: 1, maxLength: 100 }),

  // --- the platform as a frontend shows it (GET /api/v1/info)
  PLATFORM_NAME: Type.String({ default: 'Pod', minLength: 1, maxLength: 100 }),
  CONTACT_EMAIL: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254 })),

  // --- e-mail notifications (src/notifications/)
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'Pod <no-reply@localhost>', minLength: 3, maxLength: 300 }),
  EMAIL_MAX_ATTEMPTS: Type.Integer({ default: 10, minimum: 1, maximum: 50 }),
  EMAIL_RETRY_DELAY_S: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),

  // --- retention (src/retention/) and the audit log
  RETENTION_DEFAULT_YEARS: Type.Integer({ default: 2, minimum: 1, maximum: 100 }),
  RETENTION_AFFILIATION_YEARS: Type.String({ default: '', maxLength: 2000, description: 'affiliation:years,… e.g. faculty:3,staff:3' }),
  RETENTION_MAX_YEARS: Type.Integer({ default: 10, minimum: 1, maximum: 100 }),
  RETENTION_WARN_DAYS: Type.Integer({ default: 30, minimum: 0, maximum: 3650 }),
  RETENTION_ACTION: Type.Union([Type.Literal('archive'), Type.Literal('delete'), Type.Literal('none')], { default: 'archive' }),
  RETENTION_SWEEP_INTERVAL_S: Type.Integer({ default: 3600, minimum: 0, maximum: 7 * 86_400 }),
  AUDIT_RETENTION_DAYS: Type.Integer({ default: 400, minimum: 0, maximum: 36_500 }),

  // --- videos
  UPLOAD_STAFF_ONLY: Type.Boolean({ default: false }),
  VIDEO_UNLOCK_TTL_S: Type.Integer({ default: 4 * 3600, minimum: 60 }),
  VIDEO_PURGE_DELAY_S: Type.Integer({ default: 7 * 86_400, minimum: 0 }),
  EVENT_STREAMS_PER_CLIENT: Type.Integer({ default: 20, minimum: 1, maximum: 10_000 }),
  READ_CACHE_ENTRIES: Type.Integer({ default: 20_000, minimum: 0, maximum: 10_000_000 }),
  READ_CACHE_TTL_S: Type.Integer({ default: 30, minimum: 0, maximum: 3600 }),
  READ_CACHE_MAX_MB: Type.Integer({ default: 64, minimum: 1, maximum: 65_536 }),

  // --- views, statistics
  VIEW_DEDUP_WINDOW_S: Type.Integer({ default: 3600, minimum: 0, maximum: 30 * 86_400 }),
  VIEW_FLUSH_INTERVAL_MS: Type.Integer({ default: 2000, minimum: 50, maximum: 60_000 }),
  VIEWS_RECENT_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  STATS_TIME_ZONE: Type.String({ default: 'Europe/Paris', minLength: 1, maxLength: 64 }),

  // --- enrichments: comments, documents
  COMMENTS_ENABLED: Type.Boolean({ default: true }),
  COMMENT_RATE_LIMIT_MAX: Type.Integer({ default: 20, minimum: 1 }),
  COMMENT_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 600_000, minimum: 1000 }),
  DOCUMENT_MAX_BYTES: Type.Integer({ default: 50 * 1024 * 1024, minimum: 1024, maximum: 2 * 1024 * 1024 * 1024 }),

  // --- storage
  STORAGE_BACKEND: Type.Union([Type.Literal('local'), Type.Literal('s3')], { default: 'local' }),
  MEDIA_DIR: Type.String({ default: './var/media', minLength: 1 }),
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_REGION: Type.String({ default: 'us-east-1' }),
  S3_BUCKET: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String()),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String()),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: true }),

  // --- encoding
  ENCODER_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 24, description: 'Standard Webhooks secret (whsec_<base64>)' })),
  ENCODER_REGISTRATION_TOKEN: Type.Optional(Type.String({ minLength: 24 })),
  ENCODER_LEASE_S: Type.Integer({ default: 120, minimum: 2, maximum: 3600 }),
  ENCODER_EMBEDDED: Type.Boolean({ default: false }),
  ENCODER_PUSH_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ENCODING_MAX_ATTEMPTS: Type.Integer({ default: 3, minimum: 1, maximum: 20 }),
  ENCODING_RETRY_DELAY_S: Type.Integer({ default: 30, minimum: 0 }),
  // --- encoding on Esup-Runner (ENCODING_BACKEND=esup-runner): src/runner/
  ENCODING_BACKEND: Type.Union([Type.Literal('pod'), Type.Literal('esup-runner')], { default: 'pod' }),
  RUNNER_MANAGERS: Type.Optional(Type.String({ minLength: 2, description: 'JSON list of {url, token, priority?}' })),
  RUNNER_ETAB_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  RUNNER_APP_NAME: Type.String({ default: 'pod-api', minLength: 1, maxLength: 100 }),
  RUNNER_APP_VERSION: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  RUNNER_RENDITIONS: Type.Optional(Type.String({ minLength: 2, description: "Pod's rendition ladder as a JSON object string" })),
  RUNNER_EXECUTE_TIMEOUT_S: Type.Integer({ default: 30, minimum: 1, maximum: 600 }),
  RUNNER_RETRY_MAX_DELAY_S: Type.Integer({ default: 300, minimum: 1, maximum: 86_400 }),
  RUNNER_RECONCILE_AFTER_S: Type.Integer({ default: 900, minimum: 1 }),

  // --- delivery (player config, media files, oEmbed)
  MEDIA_URL_TTL_S: Type.Integer({ default: 3 * 3600, minimum: 60, maximum: 7 * 86_400 }),
  MEDIA_SERVE_MODE: Type.Union([Type.Literal('app'), Type.Literal('x-accel'), Type.Literal('redirect')], { default: 'app' }),
  MEDIA_ACCEL_PREFIX: Type.String({ default: '/_protected_media/', pattern: '^/([\\w.-]+/)*$' }),
  MEDIA_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  MEDIA_PUBLIC_MAX_AGE_S: Type.Integer({ default: 86_400, minimum: 0 }),
  OEMBED_EMBED_URL: Type.Optional(Type.String({ pattern: '\\{slug\\}' })),

  // --- uploads
  UPLOAD_MAX_BYTES: Type.Integer({ default: 20 * 1024 ** 3, minimum: 1 }),
  UPLOAD_QUOTA_BYTES: Type.Integer({ default: 200 * 1024 ** 3, minimum: 0 }),
  UPLOAD_EXPIRATION_S: Type.Integer({ default: 86_400, minimum: 60 }),
  UPLOAD_ALLOWED_EXTENSIONS: Type.String({ default: '3gp,avi,divx,flv,m2p,m4v,mkv,mov,mp4,mpeg,mpg,mts,wmv,mp3,ogg,wav,wma,webm,ts,m4a,flac,opus' }),
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
  let config: Config;
  try {
    config = envSchema<Config>({ schema: ConfigSchema, data, dotenv: false, env: false });
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
  const problems: string[] = [];
  if (config.NODE_ENV === 'production' && !config.SECRET_KEY) {
    problems.push('  - SECRET_KEY: is required in production (at least 32 random characters, the same on every API node)');
  }
  const oidc = [config.OIDC_ISSUER, config.OIDC_CLIENT_ID, config.OIDC_CLIENT_SECRET];
  if (oidc.some(Boolean) && !oidc.every(Boolean)) {
    problems.push('  - OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three to enable OpenID Connect, or none');
  }
  for (const origin of listSetting(config.CORS_ORIGINS)) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`  - CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`);
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: config.STATS_TIME_ZONE });
  } catch {
    problems.push(`  - STATS_TIME_ZONE: ${JSON.stringify(config.STATS_TIME_ZONE)} is not an IANA time zone (e.g. Europe/Paris)`);
  }
  for (const item of listSetting(config.RETENTION_AFFILIATION_YEARS)) {
    const m = /^([\w.-]+):(\d{1,3})$/.exec(item);
    if (!m || Number(m[2]) < 1) problems.push(`  - RETENTION_AFFILIATION_YEARS: ${JSON.stringify(item)} is not affiliation:years (e.g. faculty:3)`);
    else if (Number(m[2]) > config.RETENTION_MAX_YEARS) problems.push(`  - RETENTION_AFFILIATION_YEARS: ${m[1]} keeps ${m[2]} years, more than RETENTION_MAX_YEARS (${config.RETENTION_MAX_YEARS})`);
  }
  if (config.RETENTION_DEFAULT_YEARS > config.RETENTION_MAX_YEARS) problems.push('  - RETENTION_DEFAULT_YEARS: is more than RETENTION_MAX_YEARS');
  if (config.STORAGE_BACKEND === 's3' && !config.S3_BUCKET) problems.push('  - S3_BUCKET: is required when STORAGE_BACKEND=s3');
  problems.push(...runnerConfigProblems(config).map((p) => `  - ${p}`));
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}\nSee .env.example for every variable.`);
  return config;
}

export interface RunnerManagerSetting {
  url: string;
  token: string;
  priority: number;
}

/** RUNNER_MANAGERS as a list, highest priority (lowest number) first; [] when unset. */
export function runnerManagers(config: Pick<Config, 'RUNNER_MANAGERS'>): RunnerManagerSetting[] {
  if (!config.RUNNER_MANAGERS) return [];
  const list = JSON.parse(config.RUNNER_MANAGERS) as { url: string; token: string; priority?: number }[];
  return list.map((m, i) => ({ url: m.url.replace(/\/+$/, ''), token: m.token, priority: m.priority ?? i + 1 }))
    .sort((a, b) => a.priority - b.priority);
}

/** The rendition ladder sent to the runners: RUNNER_RENDITIONS, or Pod's default (Esup-Runner's own). */
export const DEFAULT_RUNNER_RENDITIONS = {
  360: { resolution: '640x360', video_bitrate: '750k', audio_bitrate: '96k', encode_mp4: true },
  720: { resolution: '1280x720', video_bitrate: '2000k', audio_bitrate: '128k', encode_mp4: true },
  1080: { resolution: '1920x1080', video_bitrate: '3000k', audio_bitrate: '192k', encode_mp4: false },
};

function runnerConfigProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.RUNNER_MANAGERS !== undefined) {
    let list: unknown;
    try {
      list = JSON.parse(config.RUNNER_MANAGERS);
    } catch {
      list = undefined;
    }
    const valid = Array.isArray(list) && list.length > 0 && list.every((m) => m && typeof m === 'object'
      && typeof m.url === 'string' && /^https?:\/\/[^\s]+$/.test(m.url)
      && typeof m.token === 'string' && m.token.length >= 8
      && (m.priority === undefined || Number.isInteger(m.priority)));
    if (!valid) problems.push('RUNNER_MANAGERS: must be a JSON list of {"url": "https://…", "token": "… (≥ 8 characters)", "priority": 1}');
  } else if (config.ENCODING_BACKEND === 'esup-runner') {
    problems.push('RUNNER_MANAGERS: is required when ENCODING_BACKEND=esup-runner (JSON list of {"url", "token", "priority"})');
  }
  if (config.ENCODING_BACKEND === 'esup-runner' && (config.ENCODER_PUSH_URL || config.ENCODER_EMBEDDED)) {
    problems.push('ENCODER_PUSH_URL, ENCODER_EMBEDDED: drive pod-api\'s own encoders; with ENCODING_BACKEND=esup-runner the Runner Managers encode');
  }
  if (config.RUNNER_RENDITIONS !== undefined) {
    let ladder: unknown;
    try {
      ladder = JSON.parse(config.RUNNER_RENDITIONS);
    } catch {
      ladder = undefined;
    }
    const valid = ladder !== null && typeof ladder === 'object' && !Array.isArray(ladder) && Object.keys(ladder as object).length > 0
      && Object.entries(ladder as Record<string, unknown>).every(([k, v]) => /^\d{3,4}$/.test(k) && (v === null || (typeof v === 'object' && !Array.isArray(v))));
    if (!valid) problems.push('RUNNER_RENDITIONS: must be a JSON object like {"360": {"resolution": "640x360", "video_bitrate": "750k", "audio_bitrate": "96k", "encode_mp4": true}} (null removes a rung)');
  }
  return problems;
}

/** The frontend's base URL without a trailing slash (FRONTEND_URL, else PUBLIC_URL): video pages are `<base>/video/<slug>/`, as in Pod. */
export function frontendBase(config: Pick<Config, 'FRONTEND_URL' | 'PUBLIC_URL'>): string {
  const site = new URL(config.FRONTEND_URL ?? config.PUBLIC_URL);
  return `${site.origin}${site.pathname.replace(/\/$/, '')}`;
}

/** Splits a comma-separated setting into trimmed, non-empty items. */
export function listSetting(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}
