/**
 * Bedrock Runtime error types with the HTTP status the service (and the SDK's model) gives each.
 * The SDK reads the name from `x-amzn-errortype` and the text from the JSON body's `message`.
 */
export const bedrockErrorStatus = {
  AccessDeniedException: 403,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
} as const;

export type BedrockErrorName = keyof typeof bedrockErrorStatus;

export const bedrockErrorNames = Object.keys(bedrockErrorStatus) as [BedrockErrorName, ...BedrockErrorName[]];

/** Errors raised before Bedrock's own handler runs (the AWS front door), unknown to the Bedrock model. */
export const frontDoorErrorStatus = {
  MissingAuthenticationTokenException: 403,
  UnrecognizedClientException: 403,
  UnknownOperationException: 404,
} as const;

export type FrontDoorErrorName = keyof typeof frontDoorErrorStatus;

export type EmulatedErrorName = BedrockErrorName | FrontDoorErrorName;

const emulatedErrorStatus: Record<EmulatedErrorName, number> = {
  ...bedrockErrorStatus,
  ...frontDoorErrorStatus,
};

const defaultMessages: Record<EmulatedErrorName, string> = {
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  InternalServerException: 'The server encountered an internal error (injected by the local emulator).',
  ModelErrorException: 'The model failed to process the request (injected by the local emulator).',
  ModelNotReadyException:
    'The model is not ready to serve inference requests (injected by the local emulator).',
  ModelTimeoutException: 'The request took too long to process (injected by the local emulator).',
  ResourceNotFoundException: 'The specified resource could not be found (injected by the local emulator).',
  ServiceQuotaExceededException: 'Your request exceeds the service quota (injected by the local emulator).',
  ServiceUnavailableException: 'The service is currently unavailable (injected by the local emulator).',
  ThrottlingException: 'Too many requests, please wait before trying again (injected by the local emulator).',
  ValidationException: 'The request failed validation.',
  MissingAuthenticationTokenException: 'Missing Authentication Token',
  UnrecognizedClientException: 'The security token included in the request is invalid.',
  UnknownOperationException: 'The requested operation is not recognized by the service.',
};

/** An error the emulator answers with `x-amzn-errortype: <name>` and the matching status. */
export class EmulatedServiceError extends Error {
  readonly errorType: EmulatedErrorName;
  readonly status: number;

  constructor(errorType: EmulatedErrorName, message: string = defaultMessages[errorType]) {
    super(message);
    this.name = 'EmulatedServiceError';
    this.errorType = errorType;
    this.status = emulatedErrorStatus[errorType];
  }
}

/** The message Bedrock gives for a model id it does not serve. */
export const invalidModelIdMessage = 'The provided model identifier is invalid.';
