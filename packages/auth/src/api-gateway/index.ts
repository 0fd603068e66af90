// API Gateway REST's side of @mangaassist/auth: the Lambda authorizer.

export { type DenialContext, makeRequestAuthorizer } from './request-authorizer.js';
