// Process entry point: `npm start`.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './core/config.ts';
import { exitIfPgliteInUse } from './core/db/pglite-lock.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

const app = await buildApp(config).catch(exitIfPgliteInUse);

// SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish
// (new ones get 503), close the database, exit. A second signal or the grace
// delay forces the exit.
const stopEncoder = new AbortController();
closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'fatal error, shutting down');
  else app.log.info({ signal }, 'shutting down');
  stopEncoder.abort();
  await app.close();
});

await app.listen({ host: config.HOST, port: config.PORT });
// Another process wanting this embedded database (npm run create-superuser) is told where we serve.
{
  const address = app.server.address();
  if (address && typeof address === 'object') {
    const host = ['0.0.0.0', '::'].includes(address.address) ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    app.dbh.lock?.describe({ url: `http://${host}:${address.port}` });
  }
}

// ENCODER_EMBEDDED=true: the reference encoder runs in this process too, so
// upload → ready works on one machine with nothing else to start (needs ffmpeg).
if (config.ENCODER_EMBEDDED) {
  const { runEncoder } = await import('./encoder/worker.ts');
  const { encoderSecrets } = await import('./encoding/secrets.ts');
  const secrets = encoderSecrets(config, app.keys);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  void runEncoder({
    apiUrl: `http://127.0.0.1:${port}`, registrationToken: secrets.registrationToken, webhookSecret: secrets.webhookSecret,
    name: 'embedded', log: (msg) => app.log.info({ encoder: 'embedded' }, msg),
  }, stopEncoder.signal).catch((err: unknown) => {
    if (!stopEncoder.signal.aborted) app.log.error({ err }, 'embedded encoder stopped');
  });
}
