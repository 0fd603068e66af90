export {
  type BatchInferenceOptions,
  type BatchJobStateChange,
  type BatchJobStateChangeDetail,
  type BatchJobStatus,
  type BatchJobView,
  type BatchObjectStore,
  type BatchStateChangeListener,
  type BedrockEmulator,
  type BedrockEmulatorOptions,
  batchStateChangeDetailType,
  batchStateChangeSource,
  type FaultSpec,
  faultSpecSchema,
  InMemoryBatchObjectStore,
  type ScriptSpec,
  scriptSpecSchema,
  startBedrockEmulator,
} from './bedrock-emulator/index.js';
export { type DevServer, type DevServerOptions, startDevServer } from './dev-server/dev-server.js';
export {
  type EmbeddedDynamoDb,
  type EmbeddedDynamoDbOptions,
  startEmbeddedDynamoDb,
} from './dynamodb/embedded-dynamodb.js';
export { type EnsureTablesOptions, ensureTables } from './dynamodb/ensure-tables.js';
export {
  type BusEvent,
  busClosedError,
  createEventBridgeRequestHandler,
  type LocalEventBridge,
  LocalEventBus,
  LocalEventBusClosedError,
  type LocalEventBusCloseOptions,
  PutEventsFaults,
  putEventsFaultSpecSchema,
  startLocalEventBridge,
} from './eventbridge/index.js';
export {
  compileEventPattern,
  type EventMatcher,
  type EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './eventbridge/patterns/event-pattern.js';
export {
  applyInputTransformer,
  type InputTransformer,
  InvalidInputTransformerError,
  validateInputTransformer,
} from './eventbridge/patterns/input-transformer.js';
export {
  LocalOutbox,
  type LocalOutboxOptions,
  type OutboxEmail,
  type OutboxListing,
  type OutboxNotification,
} from './outbox/local-outbox.js';
export { bucketObjectStore, localDocumentsBucket, UnknownBucketError } from './s3/bucket-object-store.js';
export { LocalConnectionPusher } from './websocket/local-connection-pusher.js';
export {
  attachLocalWebSocketGateway,
  chatRoutes,
  type LocalWebSocketGateway,
  type LocalWebSocketGatewayOptions,
} from './websocket/local-websocket-gateway.js';
