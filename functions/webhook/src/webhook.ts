import { silentLogger } from '@mangaassist/commons';
import {
  catalogBatchSchema,
  gatewayEnvironment,
  reviewPayloadSchema,
  stripeEventSchema,
  type WebhookSource,
  webhookSources,
} from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import { ConfigurationError, type FmGateway } from '@mangaassist/fm-gateway';
import { type FunctionUrlHandler, makeFunctionUrlHandler } from '@mangaassist/http/function-url';
import {
  makeCatalogProcessor,
  makeReviewProcessor,
  makeSentimentClassifier,
  makeStripeProcessor,
  makeWebhookReceiver,
  makeWebhookRouter,
  payloadEventId,
  type SignatureScheme,
  signatureSchemes,
  type WebhookReceiver,
  type WebhookReceiverDependencies,
} from '@mangaassist/webhooks';

/**
 * The signature scheme of each source: Stripe's own for `stripe`, Standard Webhooks for
 * `reviews` and `catalog`. The same scheme checks the format of the source's secrets at load.
 */
export const webhookSchemes: Readonly<Record<WebhookSource, SignatureScheme>> = {
  stripe: signatureSchemes.stripe,
  reviews: signatureSchemes['standard-webhooks'],
  catalog: signatureSchemes['standard-webhooks'],
};

/** What the processors publish to and call. */
export interface WebhookProcessingDependencies {
  /** Where `PaymentCompleted`, `ReviewSubmitted` and `CatalogUpdate.*` go. */
  readonly events: EventPublisher;
  /** The FM gateway (`FmGateway`), for the reviews' sentiment; required when `reviews` is served. */
  readonly gateway?: Pick<FmGateway, 'complete'>;
  /** Budget of one sentiment answer; past it the sentiment is `unknown`. @default 1500 */
  readonly sentimentDeadlineMs?: number;
}

export type WebhookDependencies = WebhookReceiverDependencies & WebhookProcessingDependencies;

/**
 * The receiver of one source, from the one per-source table the deployed functions and
 * `pnpm dev` share:
 *
 * | source    | scheme              | schema                | idempotency key          | processor |
 * |-----------|---------------------|-----------------------|--------------------------|-----------|
 * | `stripe`  | `stripe`            | `stripeEventSchema`   | `stripe:{id}`            | `PaymentCompleted` for a paid Checkout Session |
 * | `reviews` | `standard-webhooks` | `reviewPayloadSchema` | `reviews:{review_id}`    | sentiment (fast model), `ReviewSubmitted` |
 * | `catalog` | `standard-webhooks` | `catalogBatchSchema`  | `catalog:{batch_id}`     | one `CatalogUpdate.{type}` per item |
 *
 * Reviews and catalog are keyed on the payload's own id, not the Standard Webhooks
 * `webhook-id`, although both are signed: the payload id stays the same across a sender's
 * retries *and* across a re-send under a new `webhook-id` (a manual resend, a duplicate from the
 * sender's own at-least-once pipeline), which would otherwise publish the review or the catalog
 * twice; and it is what a partner on the `hmac-sha256-hex` scheme (which has no delivery id)
 * would send too. The consequence, documented for partners: a changed review or catalog batch
 * must come with a new `review_id` / `batch_id` — a repeat of an id already processed within the
 * idempotency window (7 days) is answered `already_processed`. The `webhook-id` is still logged
 * with every delivery.
 *
 * Throws `ConfigurationError` for `reviews` without a gateway.
 */
export function makeSourceReceiver(
  source: WebhookSource,
  dependencies: WebhookDependencies,
): WebhookReceiver {
  const { events } = dependencies;
  switch (source) {
    case 'stripe':
      return makeWebhookReceiver(
        {
          source,
          scheme: webhookSchemes.stripe,
          schema: stripeEventSchema,
          eventId: payloadEventId('id'),
          processor: makeStripeProcessor({ events }),
        },
        dependencies,
      );
    case 'reviews': {
      const { gateway } = dependencies;
      if (!gateway) throw new ConfigurationError('The reviews webhook needs the FM gateway (sentiment).');
      const classifySentiment = makeSentimentClassifier({
        gateway,
        logger: dependencies.logger ?? silentLogger,
        ...(dependencies.sentimentDeadlineMs !== undefined
          ? { deadlineMs: dependencies.sentimentDeadlineMs }
          : {}),
      });
      return makeWebhookReceiver(
        {
          source,
          scheme: webhookSchemes.reviews,
          schema: reviewPayloadSchema,
          eventId: payloadEventId('review_id'),
          processor: makeReviewProcessor({ events, classifySentiment }),
        },
        dependencies,
      );
    }
    case 'catalog':
      return makeWebhookReceiver(
        {
          source,
          scheme: webhookSchemes.catalog,
          schema: catalogBatchSchema,
          eventId: payloadEventId('batch_id'),
          processor: makeCatalogProcessor({ events }),
        },
        dependencies,
      );
  }
}

/** The receivers of `sources` (every source by default): mount them with `makeWebhookRouter`. */
export function makeWebhookReceivers(
  dependencies: WebhookDependencies,
  sources: readonly WebhookSource[] = webhookSources,
): WebhookReceiver[] {
  return sources.map((source) => makeSourceReceiver(source, dependencies));
}

export interface WebhookHandlerDependencies extends WebhookDependencies {
  /** The one source this function serves (`WEBHOOK_SOURCE`). */
  readonly source: WebhookSource;
  /** Work that must finish before Lambda freezes the environment (the gateway's event flush). */
  readonly afterResponse?: () => Promise<void>;
}

/**
 * The function URL handler of one source: serves it at `/` and at `/webhooks/{source}` (the
 * path `pnpm dev` uses, which partners register), 404 for anything else.
 */
export function makeWebhookHandler(dependencies: WebhookHandlerDependencies): FunctionUrlHandler {
  const logger = dependencies.logger ?? silentLogger;
  const router = makeWebhookRouter(makeWebhookReceivers(dependencies, [dependencies.source]), {
    rootSource: dependencies.source,
    logger,
  });
  return makeFunctionUrlHandler(router, {
    logger,
    ...(dependencies.afterResponse ? { afterResponse: dependencies.afterResponse } : {}),
  });
}

/**
 * The EventBridge client settings of a webhook function: the endpoint (the local bus, or AWS)
 * and request handler options — a connection timeout of 1 s and a request timeout of 5 s that
 * fails the attempt (`TimeoutError`, which the SDK and the publisher retry) instead of only
 * warning. Without them a stalled PutEvents holds the delivery past its processing timeout and
 * past its claim's in-progress time. The SDK builds its `NodeHttpHandler` from these options.
 *
 * @example
 * const client = new EventBridgeClient(webhookEventBridgeClientConfig(env));
 */
export function webhookEventBridgeClientConfig(
  env: Pick<WebhookEnvironment, 'eventBridgeEndpoint'>,
): WebhookEventBridgeClientConfig {
  return {
    ...(env.eventBridgeEndpoint ? { endpoint: env.eventBridgeEndpoint } : {}),
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  };
}

/** What `webhookEventBridgeClientConfig` returns: a subset of `EventBridgeClientConfig`. */
export interface WebhookEventBridgeClientConfig {
  /** The custom endpoint; absent = AWS. */
  readonly endpoint?: string;
  /** `NodeHttpHandler` options, in ms. */
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: boolean;
  };
}

/** What a webhook function reads from its environment (names in `gatewayEnvironment`). */
export interface WebhookEnvironment {
  readonly source: WebhookSource;
  /** ARN or name of the secret holding the `WebhookSecrets` JSON. */
  readonly secretId: string;
  readonly idempotencyTable: string;
  readonly eventBusName: string;
  /** A custom EventBridge endpoint (the local bus); unset = AWS. */
  readonly eventBridgeEndpoint?: string;
  /** A custom DynamoDB endpoint (the embedded DynamoDB); unset = AWS. */
  readonly dynamoDbEndpoint?: string;
}

/**
 * Reads the webhook function's settings. Throws `ConfigurationError` naming the variable that is
 * missing or invalid, so a bad deployment fails at cold start rather than on a delivery.
 */
export function webhookEnvironmentFrom(
  env: Readonly<Record<string, string | undefined>>,
): WebhookEnvironment {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const required = (name: string) => {
    const value = read(name);
    if (value === undefined) throw new ConfigurationError(`${name} is required`);
    return value;
  };
  const names = gatewayEnvironment;
  const sourceName = required(names.webhookSource);
  const source = webhookSources.find((candidate) => candidate === sourceName);
  if (!source) {
    throw new ConfigurationError(`${names.webhookSource} must be one of ${webhookSources.join(', ')}`);
  }
  const eventBridgeEndpoint = read(names.eventBridgeEndpoint);
  const dynamoDbEndpoint = read(names.dynamoDbEndpoint);
  return {
    source,
    secretId: required(names.webhookSecretId),
    idempotencyTable: required(names.idempotencyTable),
    eventBusName: required(names.eventBusName),
    ...(eventBridgeEndpoint ? { eventBridgeEndpoint } : {}),
    ...(dynamoDbEndpoint ? { dynamoDbEndpoint } : {}),
  };
}
