/**
 * Whole-request errors of the local EventBridge endpoint, with the HTTP status EventBridge gives
 * each. They travel as the AWS JSON 1.1 protocol sends errors: the status, and a body
 * `{"__type": "<name>", "message": "…"}` from which the SDK names its exception.
 */
export const eventBridgeErrorStatus = {
  /** A malformed request, a constraint on `Entries` broken, or a request over the size limit. */
  ValidationException: 400,
  /** The body is not the JSON the operation expects. */
  SerializationException: 400,
  /** `X-Amz-Target` names no operation this endpoint serves. */
  UnknownOperationException: 400,
  /** `TestEventPattern` (and `PutRule`): the event pattern is not one EventBridge accepts. */
  InvalidEventPatternException: 400,
  ThrottlingException: 400,
  AccessDeniedException: 400,
  ResourceNotFoundException: 400,
  InternalException: 500,
  ServiceUnavailableException: 503,
} as const;

export type EventBridgeErrorName = keyof typeof eventBridgeErrorStatus;

export const eventBridgeErrorNames = Object.keys(eventBridgeErrorStatus) as [
  EventBridgeErrorName,
  ...EventBridgeErrorName[],
];

/** A request the local endpoint refuses as a whole, answered with `__type: name`. */
export class EventBridgeServiceError extends Error {
  override readonly name = 'EventBridgeServiceError';
  readonly errorType: EventBridgeErrorName;
  readonly status: number;

  constructor(errorType: EventBridgeErrorName, message: string) {
    super(message);
    this.errorType = errorType;
    this.status = eventBridgeErrorStatus[errorType];
  }
}
