/**
 * Trigger: EventBridge rules on the MangaAssist bus (asynchronous invocation), one function per
 * consumer, which `EVENT_CONSUMER` names; every rule target of that consumer invokes it.
 * This entry runs the consumers that only read and write their tables (moderation-handler: hides
 * flagged reviews; analytics and inference-post-processor: usage per model and day, EMF;
 * embedding-regeneration: marks product embeddings stale), so it carries no model, bus or email
 * client; `fm-trigger-handler.ts` runs the one that calls a model (and
 * `catalog-enrichment-handler.ts` the catalog enrichment queue's consumer). Recommendations are a
 * state machine (`functions/recommendations`).
 * Failure and idempotency: each event is handled once per consumer (`<consumer>:<event id>` in the
 * consumed-events table, kept past the archive's retention, so redeliveries and replays are
 * no-ops); malformed, out-of-contract, too-deep and permanently failing events are logged,
 * recorded and acknowledged; transient failures throw, so Lambda retries and the failure queue
 * keeps what never succeeds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createConsumerPlatform, eventConsumerEnvironmentFrom } from '@mangaassist/consumers/platform';
import { makeEventConsumerHandler } from './event-consumer.js';

const config = eventConsumerEnvironmentFrom(process.env);
const logger = new Logger({ serviceName: `event-consumer-${config.consumer}` });

export const handler = makeEventConsumerHandler({
  consumer: config.consumer,
  ...createConsumerPlatform(config, { logger }),
});
