import type { WebhookSecrets, WebhookSource } from '@mangaassist/contracts';
import { WebhookSecretError, type WebhookSecretProvider } from '../webhook-secret-provider.js';
import {
  parseWebhookSecrets,
  servedWebhookSources,
  type WebhookSecretFormats,
} from './webhook-secrets-document.js';

export interface StaticWebhookSecretsOptions {
  /** Each served source's secret format (see `WebhookSecretFormats`). @default {} */
  readonly formats?: WebhookSecretFormats;
  /** The sources served. @default - the keys of `formats`, or every source when it has none */
  readonly sources?: readonly WebhookSource[];
}

/**
 * A `WebhookSecretProvider` over fixed secrets: for tests and `pnpm dev` (with
 * `generateDevWebhookSecrets()`). Validated once, at construction, like a loaded document: only
 * the sources it serves are checked and served.
 *
 * Errors: the constructor throws `WebhookSecretError` for a malformed document, a served source
 * without secrets or a malformed secret; `secrets` rejects with it for a source not served.
 *
 * @example
 * const secrets = new StaticWebhookSecrets(generateDevWebhookSecrets(), { formats: { stripe: stripeScheme } });
 */
export class StaticWebhookSecrets implements WebhookSecretProvider {
  readonly #secrets: WebhookSecrets;
  readonly #served: readonly WebhookSource[];

  constructor(secrets: WebhookSecrets, options: StaticWebhookSecretsOptions = {}) {
    this.#served = [...servedWebhookSources(options.formats, options.sources)];
    this.#secrets = parseWebhookSecrets(structuredClone(secrets), options.formats, this.#served);
  }

  async secrets(source: WebhookSource): Promise<readonly string[]> {
    if (!this.#served.includes(source)) {
      throw new WebhookSecretError(
        `The webhook secrets of ${source} are not loaded here: this provider serves ${this.#served.join(', ')}.`,
      );
    }
    return this.#secrets[source];
  }

  /**
   * Every secret, per source (what `pnpm dev` serves at `/_local/webhook-secrets`), `[]` for a
   * source not served; a copy.
   */
  list(): WebhookSecrets {
    return structuredClone(this.#secrets);
  }
}
