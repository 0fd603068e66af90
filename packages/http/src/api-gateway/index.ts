// The public surface of @mangaassist/http/api-gateway.

export {
  type ApiGatewayHandlerOptions,
  makeApiGatewayHandler,
  type TenantResolver,
  tenantByKeyId,
  toHttpRequest,
  toProxyResult,
} from './api-gateway-http.js';
export {
  type AwsLambdaStreamingRuntime,
  type HttpResponseMetadata,
  type LambdaResponseStream,
  lambdaStreamingRuntime,
  makeStreamingApiGatewayHandler,
  type StreamingApiGatewayHandlerOptions,
  type StreamingLambdaHandler,
} from './lambda-response-streaming.js';
