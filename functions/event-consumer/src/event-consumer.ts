import { silentLogger } from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import { type ConsumerDependencies, type ConsumerResult, consumerFactory } from '@mangaassist/consumers';
import { type ConsumerName, type EventConsumer, eventConsumers } from '@mangaassist/contracts';

/** A consumer as its Lambda function runs it: the EventBridge event in, the outcome out. */
export type EventConsumerHandler = (event: unknown) => Promise<ConsumerResult>;

export interface EventConsumerHandlerDependencies extends ConsumerDependencies {
  /** Which consumer this function is (`EVENT_CONSUMER`). */
  readonly consumer: ConsumerName;
  /**
   * Work that must finish before Lambda freezes the environment, after every event, success or
   * failure (the gateway's `InferenceCompleted` flush). Its failure is logged, never thrown.
   */
  readonly afterEach?: () => Promise<void>;
}

/**
 * The handler of one consumer, from the registry (`consumerFactories`): the consumer function,
 * then `afterEach`. Throws `ConfigurationError` at build time (cold start) for a consumer that is
 * not registered or lacks a dependency. At run time it resolves with the `ConsumerResult`
 * (processed, skipped, duplicate, rejected: all acknowledged) and rejects only for what a retry
 * may fix, so Lambda's asynchronous retries and the failure destination take over.
 */
export function makeEventConsumerHandler(
  dependencies: EventConsumerHandlerDependencies,
): EventConsumerHandler {
  const logger = dependencies.logger ?? silentLogger;
  const consume = consumerFactory(dependencies.consumer)(dependencies);
  const { afterEach } = dependencies;
  return async (event) => {
    try {
      return await withTraceAnnotations(traceAnnotationsOf(dependencies.consumer, event), () =>
        consume(event),
      );
    } finally {
      if (afterEach) {
        await afterEach().catch((error: unknown) =>
          logger.warn('event consumer: after-event work failed', {
            consumer: dependencies.consumer,
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      }
    }
  };
}

/** What the event's trace is filtered by: the consumer, the event's type and its tenant, if it names one. */
function traceAnnotationsOf(consumer: ConsumerName, event: unknown) {
  const envelope = event as { 'detail-type'?: unknown; detail?: { tenant_id?: unknown } } | null | undefined;
  const type = envelope?.['detail-type'];
  const tenant = envelope?.detail?.tenant_id;
  return {
    consumer,
    event_type: typeof type === 'string' ? type : undefined,
    tenant: typeof tenant === 'string' ? tenant : undefined,
  };
}

/**
 * One handler per consumer over shared dependencies — what `pnpm dev` hands the local bus, which
 * invokes `handlers[target.handler]` for each matched Lambda target. Throws `ConfigurationError`
 * as `makeEventConsumerHandler` does.
 */
export function makeEventConsumerHandlers(
  dependencies: ConsumerDependencies & { readonly afterEach?: () => Promise<void> },
  consumers: readonly EventConsumer[] = eventConsumers,
): Record<EventConsumer, EventConsumerHandler | undefined> {
  const handlers: Record<EventConsumer, EventConsumerHandler | undefined> = {
    'moderation-handler': undefined,
    'inference-post-processor': undefined,
    analytics: undefined,
    'embedding-regeneration': undefined,
    'fm-trigger': undefined,
  };
  for (const consumer of consumers) {
    handlers[consumer] = makeEventConsumerHandler({ ...dependencies, consumer });
  }
  return handlers;
}
