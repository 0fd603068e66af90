import { type ConsumerDependencies, consumerFactory } from '@mangaassist/consumers';
import {
  type CatalogEnrichmentQueueHandler,
  makeCatalogEnrichmentQueueHandler,
} from '@mangaassist/consumers/sqs';

/**
 * The catalog enrichment function's handler over its dependencies: the `catalog-enrichment`
 * consumer from the registry behind the queue handler, with `afterEach` (the gateway's
 * `InferenceCompleted` flush) after each batch. The deployed entry
 * (`catalog-enrichment-handler.ts`) builds the dependencies from the environment, `pnpm dev` from
 * the local runtime. Throws `ConfigurationError` at build time (cold start) for a missing model or
 * products table.
 */
export function makeCatalogEnrichmentHandler(
  dependencies: ConsumerDependencies & { readonly afterEach?: () => Promise<void> },
): CatalogEnrichmentQueueHandler {
  const consume = consumerFactory('catalog-enrichment')(dependencies);
  return makeCatalogEnrichmentQueueHandler(consume, {
    ...(dependencies.afterEach ? { afterMessages: dependencies.afterEach } : {}),
    ...(dependencies.logger ? { logger: dependencies.logger } : {}),
  });
}
