import { GatewayResponse, type IRestApi, ResponseType } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';

export interface JsonErrorResponsesProps {
  /** The API whose gateway-generated errors are rewritten. */
  readonly restApi: IRestApi;
}

interface ErrorMapping {
  readonly type: ResponseType;
  /** @default - API Gateway's status for the response type */
  readonly statusCode?: string;
  readonly code: string;
  /** A JSON string literal or a `$context` variable that renders as one. */
  readonly message: string;
}

/** `$context.error.messageString` is API Gateway's message already quoted as a JSON string. */
const gatewayMessage = '$context.error.messageString';

/**
 * Errors API Gateway answers itself, before or instead of the integration. The chat function
 * answers everything else with the same shape (contracts' `errorResponseSchema`).
 */
const mappings: readonly ErrorMapping[] = [
  {
    type: ResponseType.BAD_REQUEST_BODY,
    code: 'invalid_request',
    message: '"$context.error.validationErrorString"',
  },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, code: 'invalid_request', message: gatewayMessage },
  { type: ResponseType.REQUEST_TOO_LARGE, code: 'payload_too_large', message: gatewayMessage },
  { type: ResponseType.UNSUPPORTED_MEDIA_TYPE, code: 'unsupported_media_type', message: gatewayMessage },
  // API Gateway's answer to an unknown route (its "Missing Authentication Token").
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    code: 'not_found',
    message: '"no such route"',
  },
  { type: ResponseType.INVALID_API_KEY, code: 'invalid_api_key', message: gatewayMessage },
  // The Lambda authorizer's deny: its code and reason (fixed sentences without quotes) from its context.
  {
    type: ResponseType.ACCESS_DENIED,
    statusCode: '401',
    code: '$context.authorizer.code',
    message: '"$context.authorizer.reason"',
  },
  // The authorizer could not decide (the token issuer's keys or the key values unreadable): API
  // Gateway reports a thrown or timed-out authorizer as either type.
  ...[ResponseType.AUTHORIZER_FAILURE, ResponseType.AUTHORIZER_CONFIGURATION_ERROR].map((type) => ({
    type,
    statusCode: '503',
    code: 'auth_unavailable',
    message: '"The caller could not be checked just now; retry shortly."',
  })),
  { type: ResponseType.UNAUTHORIZED, code: 'unauthorized', message: gatewayMessage },
  { type: ResponseType.THROTTLED, code: 'rate_limited', message: gatewayMessage },
  { type: ResponseType.QUOTA_EXCEEDED, code: 'quota_exceeded', message: gatewayMessage },
  { type: ResponseType.INTEGRATION_TIMEOUT, code: 'timeout', message: gatewayMessage },
  { type: ResponseType.INTEGRATION_FAILURE, code: 'upstream_error', message: gatewayMessage },
  { type: ResponseType.DEFAULT_4XX, code: 'bad_request', message: gatewayMessage },
  { type: ResponseType.DEFAULT_5XX, code: 'internal_error', message: gatewayMessage },
];

/** The public error body; gateway response templates allow only plain `$context` substitution. */
export function errorBodyTemplate(code: string, message: string): string {
  return `{"error":{"code":"${code}","message":${message},"request_id":"$context.requestId"}}`;
}

/**
 * Makes API Gateway's own errors (validation failures, throttling, unknown routes, integration
 * timeouts, …) come back as the API's JSON error body
 * `{"error":{"code","message","request_id"}}` instead of `{"message": …}`. The request id is
 * also in the `x-amzn-RequestId` header that API Gateway sets on every response; gateway
 * responses cannot map `$context` values into custom headers.
 */
export class JsonErrorResponses extends Construct {
  constructor(scope: Construct, id: string, props: JsonErrorResponsesProps) {
    super(scope, id);
    for (const mapping of mappings) {
      new GatewayResponse(this, mapping.type.responseType, {
        restApi: props.restApi,
        type: mapping.type,
        ...(mapping.statusCode ? { statusCode: mapping.statusCode } : {}),
        responseHeaders: { 'Cache-Control': "'no-store'" },
        templates: { 'application/json': errorBodyTemplate(mapping.code, mapping.message) },
      });
    }
  }
}
