import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { boundedCall, errorMessage, type Logger, silentLogger } from '@mangaassist/commons';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import type { WebhookSecrets, WebhookSource } from '@mangaassist/contracts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseWebhookSecretsJson, type WebhookSecretFormats } from '../secrets/webhook-secrets-document.js';
import { WebhookSecretError, type WebhookSecretProvider } from '../webhook-secret-provider.js';

export interface SecretsManagerWebhookSecretsOptions {
  /** ARN or name of the secret whose `SecretString` is the `WebhookSecrets` JSON document. */
  readonly secretId: string;
  /**
   * Which sources' secrets to format-check, and with which scheme (a function checks the one
   * source it serves). Sources not listed are only shape-checked.
   * @default {} (shape only)
   */
  readonly formats?: WebhookSecretFormats;
  /**
   * How long a loaded document is used before it is fetched again: short, so that a rotation
   * (a secret added to or removed from a source's list) takes effect without a redeploy.
   * @default 60_000
   */
  readonly ttlMs?: number;
  /**
   * How long past its TTL the last good document is still served while refreshing fails
   * (Secrets Manager unreachable, or a malformed document was stored); after that, `secrets`
   * throws and deliveries are answered 503 until a load succeeds.
   * @default 900_000 (15 minutes)
   */
  readonly graceMs?: number;
  /**
   * Least time between two fetches after a failed one: an outage costs one fetch per interval,
   * not one per delivery. Within it, callers get the last good document (within the grace
   * period) or the last error.
   * @default 5_000
   */
  readonly retryIntervalMs?: number;
  /** Longest one fetch may take, SDK retries included. @default 3_000 */
  readonly fetchTimeoutMs?: number;
  /** The current time in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Receives an error per failed load and an info line on recovery. @default silentLogger */
  readonly logger?: Logger;
}

interface Loaded {
  readonly value: WebhookSecrets;
  readonly loadedAt: number;
}

/**
 * The webhook secret-provider port on AWS Secrets Manager: one JSON secret holding every active
 * signing secret per source (`{ "stripe": ["whsec_new", "whsec_old"], … }`; several per source
 * while a rotation is under way).
 *
 * - Loads with `GetSecretValue` (the `AWSCURRENT` version), validates the document
 *   (`webhookSecretsSchema`, then each listed source's secrets with its scheme's
 *   `secretProblem`) and caches it for `ttlMs`. Concurrent callers share one fetch.
 * - A malformed document or secret (wrong prefix, stray whitespace) fails the load loudly —
 *   `WebhookSecretError` naming the source and index, logged as an error — instead of silently
 *   rejecting every delivery. Secrets never appear in errors or logs.
 * - When a refresh fails, the last good document is served for up to `graceMs` past its TTL
 *   (logged as an error each time), fetching again at most every `retryIntervalMs`; without a
 *   usable document `secrets` rejects with `WebhookSecretError`, which the receiver answers 503
 *   (the sender retries).
 *
 * @example
 * const secrets = new SecretsManagerWebhookSecrets(createSecretsManagerClient(), {
 *   secretId: process.env.WEBHOOK_SECRET_ID, formats: { stripe: signatureSchemes.stripe }, logger });
 */
export class SecretsManagerWebhookSecrets implements WebhookSecretProvider {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  readonly #formats: WebhookSecretFormats;
  readonly #ttlMs: number;
  readonly #graceMs: number;
  readonly #retryIntervalMs: number;
  readonly #fetchTimeoutMs: number;
  readonly #now: () => number;
  readonly #logger: Logger;
  #loaded: Loaded | undefined;
  #inflight: Promise<WebhookSecrets> | undefined;
  #failure: { readonly at: number; readonly error: WebhookSecretError } | undefined;

  /** Throws `RangeError` for an empty secret id or a negative or non-finite duration. */
  constructor(client: SecretsManagerClient, options: SecretsManagerWebhookSecretsOptions) {
    if (options.secretId.trim() === '') throw new RangeError('secretId must not be empty');
    this.#client = client;
    this.#secretId = options.secretId;
    this.#formats = options.formats ?? {};
    this.#ttlMs = duration('ttlMs', options.ttlMs ?? 60_000);
    this.#graceMs = duration('graceMs', options.graceMs ?? 900_000);
    this.#retryIntervalMs = duration('retryIntervalMs', options.retryIntervalMs ?? 5_000);
    this.#fetchTimeoutMs = duration('fetchTimeoutMs', options.fetchTimeoutMs ?? 3_000);
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
  }

  async secrets(source: WebhookSource): Promise<readonly string[]> {
    return (await this.#document())[source];
  }

  #document(): Promise<WebhookSecrets> {
    const now = this.#now();
    const loaded = this.#loaded;
    if (loaded && now - loaded.loadedAt < this.#ttlMs) return Promise.resolve(loaded.value);
    const failure = this.#failure;
    if (failure && now - failure.at < this.#retryIntervalMs) {
      return loaded && this.#withinGrace(loaded, now)
        ? Promise.resolve(loaded.value)
        : Promise.reject(failure.error);
    }
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #refresh(): Promise<WebhookSecrets> {
    try {
      const value = await this.#load();
      this.#loaded = { value, loadedAt: this.#now() };
      if (this.#failure) this.#logger.info('webhook secrets loaded again', { secretId: this.#secretId });
      this.#failure = undefined;
      return value;
    } catch (cause) {
      const now = this.#now();
      const error =
        cause instanceof WebhookSecretError
          ? cause
          : new WebhookSecretError(
              `Could not read the webhook secrets ${this.#secretId}: ${errorMessage(cause)}`,
              { cause },
            );
      this.#failure = { at: now, error };
      const loaded = this.#loaded;
      if (loaded && this.#withinGrace(loaded, now)) {
        this.#logger.error('webhook secrets refresh failed; serving the last good secrets', {
          secretId: this.#secretId,
          ageMs: now - loaded.loadedAt,
          error: error.message,
        });
        return loaded.value;
      }
      this.#logger.error('webhook secrets unavailable; deliveries are refused with 503', {
        secretId: this.#secretId,
        error: error.message,
      });
      throw error;
    }
  }

  async #load(): Promise<WebhookSecrets> {
    const output = await boundedCall(
      (abortSignal) =>
        this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }), { abortSignal }),
      this.#fetchTimeoutMs,
    );
    if (output.SecretString === undefined) {
      throw new WebhookSecretError(
        `The webhook secret ${this.#secretId} has no SecretString (a binary secret is not supported).`,
      );
    }
    return parseWebhookSecretsJson(output.SecretString, this.#formats);
  }

  #withinGrace(loaded: Loaded, now: number): boolean {
    return now - loaded.loadedAt < this.#ttlMs + this.#graceMs;
  }
}

function duration(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  return value;
}

export interface SecretsManagerClientOptions {
  /** AWS region; unset = the SDK's provider chain (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** A custom endpoint; unset = AWS. */
  readonly endpoint?: string;
}

/**
 * A Secrets Manager client for `SecretsManagerWebhookSecrets`: short connection (1 s) and
 * request (2 s) timeouts, so an unreachable endpoint fails a load fast (the provider then serves
 * its last good document) instead of holding deliveries. Build one per process.
 */
export function createSecretsManagerClient(options: SecretsManagerClientOptions = {}): SecretsManagerClient {
  return traceAwsClient(
    new SecretsManagerClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 2_000 }),
    }),
  );
}
