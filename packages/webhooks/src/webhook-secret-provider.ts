import type { WebhookSource } from '@mangaassist/contracts';

/**
 * The secret-provider port: every active signing secret of a webhook source. Implementations
 * validate what they load and throw `WebhookSecretError` for a malformed secret (it would
 * otherwise reject every delivery silently) or when the store is unreachable.
 */
export interface WebhookSecretProvider {
  secrets(source: WebhookSource): Promise<readonly string[]>;
}

export class WebhookSecretError extends Error {
  override readonly name = 'WebhookSecretError';
}
