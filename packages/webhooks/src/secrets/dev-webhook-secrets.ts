import { randomBytes } from 'node:crypto';
import { type WebhookSecrets, webhookSources } from '@mangaassist/contracts';

/** `whsec_` + base64 of 32 random bytes: a format Stripe, Standard Webhooks and hmac-sha256-hex all accept. */
function devWebhookSecret(random: (size: number) => Uint8Array = randomBytes): string {
  return `whsec_${Buffer.from(random(32)).toString('base64')}`;
}

/**
 * One new secret per source, for `pnpm dev` and tests: random per run, never committed, valid
 * for every signature scheme (`whsec_` + base64 of 32 random bytes).
 */
export function generateDevWebhookSecrets(random?: (size: number) => Uint8Array): WebhookSecrets {
  return Object.fromEntries(
    webhookSources.map((source) => [source, [devWebhookSecret(random)]]),
  ) as WebhookSecrets;
}
