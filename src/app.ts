// Assembles the application: core plumbing first (conventions, validation,
// errors, docs), then one plugin per capability.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './core/config.ts';
import { openDatabase, type DatabaseHandle } from './core/db/engine.ts';
import { createStorage, type Storage } from './core/storage/index.ts';
import { startJobs, type Jobs } from './core/jobs.ts';
import { migrate } from './core/db/migrate.ts';
import { ErrorEnvelope } from './core/envelope.ts';
import { answerFrameworkError, installErrorHandler } from './core/error-handler.ts';
import { installOpenApi } from './core/openapi.ts';
import { installRouteConventions, type RegisteredRoute } from './core/routing.ts';
import { installContractCheck, type RouteContract } from './core/api-contract.ts';
import { ChangeFeed } from './core/change-feed.ts';
import { ReadCache, type CachedAnswer } from './core/read-cache.ts';
import { installValidation } from './core/validation.ts';
import { redactSecrets } from './core/log-redaction.ts';
import { installAuth } from './auth/plugin.ts';
import { oidcRoutes } from './auth/oidc.ts';
import { authRoutes } from './auth/routes.ts';
import { installCors } from './core/cors.ts';
import { installSecurityHeaders } from './core/security-headers.ts';
import { groupRoutes } from './groups/routes.ts';
import { adminRoutes } from './admin/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { metricsRoutes } from './metrics/metrics.ts';
import { channelRoutes } from './taxonomy/channels.ts';
import { taxonomyRoutes } from './taxonomy/routes.ts';
import { userRoutes } from './users/routes.ts';
import { superuserRoutes } from './users/superusers.ts';
import { videoAccessRoutes } from './videos/access-routes.ts';
import { videoRoutes } from './videos/routes.ts';
import { purgeWorker } from './videos/purge.ts';
import { uploadRoutes } from './uploads/routes.ts';
import { encodingCallbackRoute } from './encoding/callback.ts';
import { encodingEventsRoute } from './encoding/events-route.ts';
import { reencodeRoute } from './encoding/reencode-route.ts';
import { encodingJobsRoute } from './encoding/jobs-route.ts';
import { encoderRoutes } from './encoding/encoders.ts';
import { EncodingBus } from './encoding/state.ts';
import { EventHub } from './encoding/event-hub.ts';
import { chapterRoutes } from './delivery/chapters.ts';
import { playerConfigRoute } from './delivery/config-route.ts';
import { mediaRoutes } from './delivery/media-routes.ts';
import { oembedRoute } from './delivery/oembed.ts';
import { trackRoutes } from './delivery/tracks.ts';
import { runnerRoutes } from './runner/routes.ts';
import { legacyRoutes } from './migration/legacy-route.ts';
import { installVideoFacts } from './videos/facts.ts';
import { ViewRecorder } from './views/recorder.ts';
import { viewRoutes } from './views/routes.ts';
import { playlistRoutes } from './playlists/routes.ts';
import { favoriteRoutes } from './playlists/favorites.ts';
import { positionRoutes } from './positions/routes.ts';
import { statisticsRoutes } from './statistics/routes.ts';
import { commentRoutes } from './comments/routes.ts';
import { noteRoutes } from './notes/routes.ts';
import { documentRoutes } from './documents/routes.ts';
import { contributorRoutes } from './enrichments/contributors.ts';
import { overlayRoutes } from './enrichments/overlays.ts';
import { linkRoutes } from './enrichments/links.ts';
import { auditRoutes } from './audit/routes.ts';
import { authDiscoveryRoute } from './auth/discovery.ts';
import { infoRoutes } from './info/routes.ts';
import { mailWorker } from './notifications/mail-worker.ts';
import { personalDataRoutes } from './personal-data/routes.ts';
import { retentionRoutes } from './retention/routes.ts';
import { retentionWorker } from './retention/sweep.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    dbh: DatabaseHandle;
    registeredRoutes: RegisteredRoute[];
    /** What each operation answers (statuses, error codes): the OpenAPI document and the contract check use it. */
    routeContracts: Map<string, RouteContract>;
    storage: Storage;
    jobs: Jobs;
    /** What changed in the database, as this node learns it (LISTEN/NOTIFY): read caches follow it. */
    changes: ChangeFeed;
    /** Serialized answers of listings, video details and player configurations (keys name the viewer). */
    readCache: ReadCache<CachedAnswer>;
    /** Scheduled chores, also callable directly (tests, admin). Filled by the capabilities. */
    maintenance: { cleanExpiredUploads(): Promise<number>; retentionSweep(opts?: { dryRun?: boolean }): Promise<import('./retention/sweep.ts').RetentionReport> };
    /** The clock of dates that follow the calendar: retention, statistics' "today" (tests move it). */
    clock: () => Date;
  }
}

export interface BuildOptions {
  /** Use this database handle instead of opening one from config (tests). */
  database?: DatabaseHandle;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
  /** Holds every answer to its operation's documented contract; called with each breach (tests). */
  contractCheck?: (violation: string) => void;
  /** Called with each real JSON exchange (request body, answer) of a documented operation (tests, examples). */
  recordExchange?: (sample: import('./core/api-contract.ts').ExchangeSample) => void;
  /** The clock of view counting, statistics and retention (tests set the day). */
  now?: () => Date;
  /** Extra routes registered before the app is sealed (tests). */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** The cache topic a write to a table touches (core/change-feed.ts); any other: `all`. */
const TABLE_TOPICS: Record<string, 'auth' | 'counts'> = { auth_sessions: 'auth', video_view_counts: 'counts', video_comments: 'counts' };

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'req.headers["x-video-token"]', 'req.headers["x-encoder-token"]'],
      // Tokens in URLs (media, encoder files, ?token=, OIDC code) are redacted from every line, whatever field holds them.
      hooks: { streamWrite: redactSecrets },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // Honour an upstream proxy's request id so one id follows a request end to end.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Slow clients: a request must be fully received within REQUEST_TIMEOUT_S (tus resumes a cut
    // upload); headers within HEADERS_TIMEOUT_S (slowloris). 408 then.
    requestTimeout: config.REQUEST_TIMEOUT_S * 1000,
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
    frameworkErrors: answerFrameworkError,
  });

  app.decorate('config', config);
  app.server.headersTimeout = Math.min(config.HEADERS_TIMEOUT_S * 1000, config.REQUEST_TIMEOUT_S * 1000 || Infinity);
  const { routes, contracts, answerUnrouted } = installRouteConventions(app);
  app.decorate('registeredRoutes', routes);
  app.decorate('routeContracts', contracts);
  if (options.contractCheck) installContractCheck(app, contracts, options.contractCheck, options.recordExchange);
  app.addSchema(ErrorEnvelope);
  installValidation(app);
  installErrorHandler(app, answerUnrouted);
  // JSON APIs only: a text/plain body is refused with 415 instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const dbh = options.database ?? (await openDatabase(config, (msg, err) => app.log.warn({ err }, msg)));
  app.decorate('dbh', dbh);
  app.decorate('storage', await createStorage(config));
  app.decorate('maintenance', { cleanExpiredUploads: async () => 0, retentionSweep: async () => { throw new Error('retention is not installed'); } });
  app.decorate('clock', options.now ?? (() => new Date()));
  app.decorate('encodingBus', new EncodingBus());
  app.decorate('eventHub', new EventHub(app, config.EVENT_STREAMS_PER_CLIENT));
  // The job queue keeps its own schema (pgboss) and migrates it when it starts.
  const jobs = startJobs(dbh, app.log, {
    maxAttempts: config.ENCODING_MAX_ATTEMPTS, retryDelayS: config.ENCODING_RETRY_DELAY_S,
    emailAttempts: config.EMAIL_MAX_ATTEMPTS, emailRetryDelayS: config.EMAIL_RETRY_DELAY_S,
  });
  app.decorate('jobs', jobs);
  app.addHook('onClose', async () => jobs.stop());
  const changes = new ChangeFeed((msg, err) => app.log.warn({ err }, msg));
  // This node's own writes drop its caches at once (before commit); the commit's notification again.
  dbh.writes.listener = (table) => changes.changed(TABLE_TOPICS[table] ?? 'all');
  app.decorate('changes', changes);
  app.decorate('readCache', new ReadCache<CachedAnswer>(changes, ['catalog', 'counts'], {
    maxEntries: config.READ_CACHE_ENTRIES, ttlMs: config.READ_CACHE_TTL_S * 1000,
    maxBytes: config.READ_CACHE_MAX_MB * 1024 * 1024, sizeOf: (answer) => answer.body.length + 200,
  }));
  app.addHook('onClose', async () => changes.stop());
  installVideoFacts(app);
  const views = new ViewRecorder(dbh, {
    windowS: config.VIEW_DEDUP_WINDOW_S, intervalMs: config.VIEW_FLUSH_INTERVAL_MS, timeZone: config.STATS_TIME_ZONE,
    recentDays: config.VIEWS_RECENT_DAYS, key: () => app.keys.derive('view-dedup'), now: app.clock,
    warn: (msg, err) => app.log.warn({ err }, msg),
  });
  app.decorate('views', views);
  // Registered after the queue's hook: the database closes last.
  app.addHook('onClose', async () => {
    if (!options.database) await dbh.close();
  });

  try {
    if (config.MIGRATE_ON_START) {
      const applied = await migrate(dbh);
      if (applied.length) app.log.info({ applied }, 'migrations applied');
      // Migrating at start means the database must be up now: so must the queue.
      // Otherwise the queue keeps retrying in the background.
      await jobs.ready;
    }
    await changes.start(dbh);
    await registerCapabilities(app, config, options);
  } catch (err) {
    // Release what was started (job queue, database) before failing.
    await app.close().catch(() => {});
    throw err;
  }
  return app;
}

async function registerCapabilities(app: FastifyInstance, config: Config, options: BuildOptions) {
  await installOpenApi(app, config);
  await installSecurityHeaders(app);
  await installCors(app, config);
  await installAuth(app, config);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(authRoutes);
  await app.register(authDiscoveryRoute);
  await app.register(infoRoutes);
  await app.register(oidcRoutes);
  await app.register(userRoutes);
  await app.register(superuserRoutes);
  await app.register(groupRoutes);
  await app.register(videoRoutes);
  await app.register(videoAccessRoutes);
  await app.register(purgeWorker);
  await app.register(taxonomyRoutes);
  await app.register(channelRoutes);
  await app.register(uploadRoutes);
  await app.register(encodingCallbackRoute);
  await app.register(encodingEventsRoute);
  await app.register(reencodeRoute);
  await app.register(encodingJobsRoute);
  await app.register(encoderRoutes);
  await app.register(runnerRoutes);
  await app.register(playerConfigRoute);
  await app.register(trackRoutes);
  await app.register(chapterRoutes);
  await app.register(mediaRoutes);
  await app.register(oembedRoute);
  await app.register(legacyRoutes);
  await app.register(viewRoutes);
  await app.register(playlistRoutes);
  await app.register(favoriteRoutes);
  await app.register(positionRoutes);
  await app.register(statisticsRoutes);
  await app.register(commentRoutes);
  await app.register(noteRoutes);
  await app.register(documentRoutes);
  await app.register(contributorRoutes);
  await app.register(overlayRoutes);
  await app.register(linkRoutes);
  await app.register(personalDataRoutes);
  await app.register(auditRoutes);
  await app.register(retentionRoutes);
  await app.register(retentionWorker);
  await app.register(mailWorker);
  await app.register(adminRoutes);
  if (options.extraRoutes) await app.register(async (scope) => options.extraRoutes!(scope));

  await app.ready();
}
