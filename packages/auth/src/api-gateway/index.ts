// API Gateway REST's side of @mangaassist/auth: the Lambda authorizer and the key values it meters by.

export { apiGatewayKeySource } from './api-gateway-key-source.js';
export { type DenialContext, makeRequestAuthorizer } from './request-authorizer.js';
