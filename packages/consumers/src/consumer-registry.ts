import type { Clock, Logger, MetricsSink } from '@mangaassist/commons';
import { ConfigurationError } from '@mangaassist/commons';
import type { ConsumerName } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import { makeAnalyticsConsumer } from './analytics.js';
import type { AnalyticsStore } from './analytics-store.js';
import { makeCatalogEnrichmentConsumer } from './catalog-enrichment.js';
import type { ConsumerModel } from './consumer-model.js';
import type { EmailSender } from './email-sender.js';
import { makeEmbeddingRegenerationConsumer } from './embedding-regeneration.js';
import type { ConsumerFunction } from './event-consumer.js';
import { makeFmTriggerConsumer } from './fm-trigger.js';
import { type AttentionThresholds, makeInferencePostProcessor } from './inference-post-processor.js';
import { makeModerationHandlerConsumer } from './moderation-handler.js';
import type { ProductCatalog } from './product-catalog.js';
import type { ProductStore } from './product-store.js';
import type { ReviewStore } from './review-store.js';

// Shared by the consumers' authors: each adds lines (a dependency, a factory), never rewrites
// another's.

/**
 * Everything any consumer may need, built once by the function's handler (or `pnpm dev`) from
 * its environment. Only `dedupe` is always there; a factory checks for the rest with
 * `requireDependency`, so a function deployed without what its consumer needs fails at cold
 * start, not on its first event.
 */
export interface ConsumerDependencies {
  /** The consumed-events store (`consumedEventsTable`, TTL `consumerLimits.dedupeTtlSeconds`). */
  readonly dedupe: IdempotencyStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Drives model deadlines. @default systemClock */
  readonly clock?: Clock;
  /** The bus, for consumers that emit (`consumerEmissions`). */
  readonly events?: EventPublisher;
  /** The FM gateway, for consumers that call a model (they emit `InferenceCompleted`). */
  readonly model?: ConsumerModel;
  /** fm-trigger: order confirmations. */
  readonly emails?: EmailSender;
  /** catalog-enrichment: the products table. */
  readonly products?: ProductStore;
  /** fm-trigger, moderation-handler: the reviews table. */
  readonly reviews?: ReviewStore;
  /** analytics, inference-post-processor: the analytics table (`inferenceAnalyticsTable`). */
  readonly analytics?: AnalyticsStore;
  /** analytics, inference-post-processor: CloudWatch embedded metrics (`emfWriter()` in Lambda). */
  readonly metrics?: MetricsSink;
  /** inference-post-processor: when an inference needs attention. @default attentionDefaults */
  readonly attentionThresholds?: AttentionThresholds;
  /** embedding-regeneration: the products table's catalog side. */
  readonly productCatalog?: ProductCatalog;
}

/** Builds one consumer from the dependencies; throws `ConfigurationError` for a missing one. */
export type ConsumerFactory = (dependencies: ConsumerDependencies) => ConsumerFunction;

/**
 * The consumers by name. Every name of `eventConsumers` and `queueConsumers` gets a line here; `consumerFactory`
 * throws for one that has none yet.
 */
export const consumerFactories: Partial<Record<ConsumerName, ConsumerFactory>> = {
  'fm-trigger': (dependencies) =>
    makeFmTriggerConsumer({
      ...optional(dependencies),
      dedupe: dependencies.dedupe,
      events: requireDependency(dependencies, 'events', 'fm-trigger'),
      model: requireDependency(dependencies, 'model', 'fm-trigger'),
      emails: requireDependency(dependencies, 'emails', 'fm-trigger'),
      reviews: requireDependency(dependencies, 'reviews', 'fm-trigger'),
    }),
  'catalog-enrichment': (dependencies) =>
    makeCatalogEnrichmentConsumer({
      ...optional(dependencies),
      dedupe: dependencies.dedupe,
      model: requireDependency(dependencies, 'model', 'catalog-enrichment'),
      products: requireDependency(dependencies, 'products', 'catalog-enrichment'),
    }),
  'moderation-handler': (dependencies) =>
    makeModerationHandlerConsumer({
      ...optional(dependencies),
      dedupe: dependencies.dedupe,
      reviews: requireDependency(dependencies, 'reviews', 'moderation-handler'),
    }),
  analytics: (dependencies) =>
    makeAnalyticsConsumer({
      ...optional(dependencies),
      dedupe: dependencies.dedupe,
      analytics: requireDependency(dependencies, 'analytics', 'analytics'),
      metrics: requireDependency(dependencies, 'metrics', 'analytics'),
    }),
  'inference-post-processor': (dependencies) =>
    makeInferencePostProcessor({
      ...optional(dependencies),
      ...dependencies.attentionThresholds,
      dedupe: dependencies.dedupe,
      analytics: requireDependency(dependencies, 'analytics', 'inference-post-processor'),
      metrics: requireDependency(dependencies, 'metrics', 'inference-post-processor'),
    }),
  'embedding-regeneration': (dependencies) =>
    makeEmbeddingRegenerationConsumer({
      ...optional(dependencies),
      embeddings: requireDependency(dependencies, 'productCatalog', 'embedding-regeneration'),
    }),
};

/** The consumer functions that have a factory. */
export function registeredConsumers(): ConsumerName[] {
  return (Object.keys(consumerFactories) as ConsumerName[]).filter(
    (name) => consumerFactories[name] !== undefined,
  );
}

/** A required dependency of a consumer, or `ConfigurationError` naming it. */
export function requireDependency<K extends keyof ConsumerDependencies>(
  dependencies: ConsumerDependencies,
  key: K,
  consumer: ConsumerName,
): NonNullable<ConsumerDependencies[K]> {
  const value = dependencies[key];
  if (value === undefined || value === null) {
    throw new ConfigurationError(`${consumer} needs the ${key} dependency`);
  }
  return value;
}

/**
 * The factory of `name`. Throws `ConfigurationError` when the name has none (a function
 * deployed for a consumer not built yet).
 */
export function consumerFactory(name: ConsumerName): ConsumerFactory {
  const factory = consumerFactories[name];
  if (factory === undefined) throw new ConfigurationError(`no consumer is registered as ${name}`);
  return factory;
}

/** The optional settings every factory passes on. */
function optional(dependencies: ConsumerDependencies) {
  return {
    ...(dependencies.logger === undefined ? {} : { logger: dependencies.logger }),
    ...(dependencies.now === undefined ? {} : { now: dependencies.now }),
    ...(dependencies.clock === undefined ? {} : { clock: dependencies.clock }),
  };
}
