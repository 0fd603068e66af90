export {
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterListing,
  LocalDeadLetterQueue,
  type LocalDeadLetterQueueOptions,
} from './dead-letter-queue.js';
export {
  type EventBridgeErrorName,
  EventBridgeServiceError,
  eventBridgeErrorNames,
  eventBridgeErrorStatus,
} from './eventbridge-errors.js';
export {
  type AddRulesOptions,
  type BusEvent,
  type BusListener,
  type EventListing,
  eventTime,
  type JsonObject,
  type KeptEvent,
  type ListedEvent,
  type ListFilter,
  LocalEventBus,
  LocalEventBusClosedError,
  type LocalEventBusCloseOptions,
  type LocalEventBusOptions,
  type PutOnBus,
  type RuleOutcome,
  type ScheduleRunnerOptions,
  type TargetOutcome,
} from './local-event-bus.js';
export {
  createEventBridgeRequestHandler,
  type EventBridgeRequestHandler,
  type EventBridgeRequestHandlerOptions,
  type LocalEventBridge,
  type LocalEventBridgeOptions,
  startLocalEventBridge,
} from './local-eventbridge.js';
export {
  type LocalTarget,
  type LocalTargetContext,
  type LocalTargets,
  NonRetryableTargetError,
  ruleArn,
} from './local-rules.js';
export {
  type PutEventsContext,
  type PutEventsResponse,
  type PutEventsResultEntry,
  putEvents,
  putEventsQuotas,
  requestEntrySize,
} from './put-events.js';
export {
  type ActiveFault,
  type EntryFailure,
  type EntryFaultSpec,
  entryFaultSpecSchema,
  type PutEventsEntryErrorCode,
  type PutEventsFaultSpec,
  PutEventsFaults,
  putEventsEntryErrorCodes,
  putEventsFaultSpecSchema,
  type RequestFailure,
  type RequestFaultSpec,
  requestFaultSpecSchema,
} from './put-events-faults.js';
export { scheduleIntervalMs } from './scheduled-event.js';
export { type ReleaseSlot, TargetConcurrency } from './target-concurrency.js';
export { busClosedError, defaultRetryTiming, type RetryTiming, retryDelayMs } from './target-delivery.js';
export {
  type TestEventPatternResponse,
  testEventPattern,
  testEventRequiredFields,
} from './test-event-pattern.js';
