// The secrets an encoder shares with the API: explicit in configuration, or
// derived from SECRET_KEY (so a reference encoder on the same machine needs
// no extra setup).
import type { Keys } from '../auth/keys.ts';
import type { Config } from '../core/config.ts';

export function encoderSecrets(config: Config, keys: Keys) {
  return {
    registrationToken: config.ENCODER_REGISTRATION_TOKEN ?? keys.derive('encoder-registration').toString('base64url'),
    webhookSecret: config.ENCODER_WEBHOOK_SECRET ?? `whsec_${keys.derive('encoder-webhook').toString('base64')}`,
  };
}
