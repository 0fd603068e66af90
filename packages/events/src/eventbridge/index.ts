// The public surface of @mangaassist/events/eventbridge.

export {
  EventBridgeEventPublisher,
  eventTruncationFields,
  putEventsEntrySize,
  putEventsLimits,
  truncatableEventFields,
} from './eventbridge-event-publisher.js';
export {
  createEventBridgePublisher,
  type EventBridgeClientSettings,
  type EventBridgePublisherSettings,
  eventBridgeClientConfig,
  type OwnedEventBridgePublisher,
} from './eventbridge-publisher-factory.js';
