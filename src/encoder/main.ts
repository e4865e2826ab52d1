// `npm run encoder`: the reference encoder as its own process. It reads the
// same configuration as the API (so, on one machine, the secrets derived
// from SECRET_KEY or ./var/secret-key match) plus POD_API_URL.
import { hostname } from 'node:os';
import { loadConfig } from '../core/config.ts';
import { deriveKeys, resolveSecretKey } from '../auth/keys.ts';
import { encoderSecrets } from '../encoding/secrets.ts';
import { runEncoder } from './worker.ts';
import { redactSecrets } from '../core/log-redaction.ts';

const config = loadConfig();
const secrets = encoderSecrets(config, deriveKeys(resolveSecretKey(config, (m) => console.warn(m))));
const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort());
await runEncoder({
  apiUrl: process.env.POD_API_URL ?? `http://localhost:${config.PORT}`,
  registrationToken: secrets.registrationToken,
  webhookSecret: secrets.webhookSecret,
  name: process.env.ENCODER_NAME ?? `reference-${hostname()}`,
  log: (msg, extra) => console.log(redactSecrets(JSON.stringify({ time: new Date().toISOString(), msg, ...(extra ? { extra: String(extra) } : {}) }))),
}, controller.signal);
