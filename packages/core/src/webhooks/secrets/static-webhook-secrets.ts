import type { WebhookSecrets, WebhookSource } from '@mangaassist/contracts';
import type { WebhookSecretProvider } from '../webhook-secret-provider.js';
import { parseWebhookSecrets, type WebhookSecretFormats } from './webhook-secrets-document.js';

/**
 * A `WebhookSecretProvider` over fixed secrets: for tests and `pnpm dev` (with
 * `generateDevWebhookSecrets()`). Validated once, at construction, like a loaded document.
 *
 * Errors: the constructor throws `WebhookSecretError` for a malformed document or secret.
 *
 * @example
 * const secrets = new StaticWebhookSecrets(generateDevWebhookSecrets(), { formats: { stripe: stripeScheme } });
 */
export class StaticWebhookSecrets implements WebhookSecretProvider {
  readonly #secrets: WebhookSecrets;

  constructor(secrets: WebhookSecrets, options: { readonly formats?: WebhookSecretFormats } = {}) {
    this.#secrets = parseWebhookSecrets(structuredClone(secrets), options.formats);
  }

  async secrets(source: WebhookSource): Promise<readonly string[]> {
    return this.#secrets[source];
  }

  /** Every secret, per source (what `pnpm dev` serves at `/_local/webhook-secrets`); a copy. */
  list(): WebhookSecrets {
    return structuredClone(this.#secrets);
  }
}
