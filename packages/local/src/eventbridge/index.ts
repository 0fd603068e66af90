export {
  type EventBridgeErrorName,
  EventBridgeServiceError,
  eventBridgeErrorNames,
  eventBridgeErrorStatus,
} from './eventbridge-errors.js';
export {
  type BusEvent,
  type BusListener,
  type EventListing,
  eventTime,
  type JsonObject,
  type ListedEvent,
  type ListFilter,
  LocalEventBus,
  type LocalEventBusOptions,
  type PutOnBus,
  type RuleOutcome,
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
