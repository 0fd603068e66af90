/**
 * Trigger: API Gateway REST, before every `/v1/*` method (a `REQUEST` Lambda authorizer, results
 * not cached, so each request's own `Authorization` and `x-api-key` are decided).
 * Admits an end user's bearer token of the configured issuer (the tenant from its claim) or a
 * tenant's API key, and hands API Gateway the key to meter the request against.
 * Failure semantics: a bad, expired or foreign credential is a deny (401 JSON with its reason);
 * the issuer's keys or the key values unreadable → throws, API Gateway answers 503.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { makeRequestAuthorizer } from '@mangaassist/auth/api-gateway';
import { authorizerConfigFromEnvironment, createAuthorizerPlatform } from '@mangaassist/auth/platform';

const logger = new Logger({ serviceName: 'authorizer' });
const authorize = makeRequestAuthorizer(
  createAuthorizerPlatform(authorizerConfigFromEnvironment(process.env)),
);

export const handler: typeof authorize = async (event) => {
  try {
    const result = await authorize(event);
    if (result.policyDocument.Statement[0]?.Effect === 'Deny') {
      logger.info('caller refused', { code: result.context?.code, path: event.path });
    }
    return result;
  } catch (error) {
    logger.error('caller could not be decided', { error: error as Error });
    throw error;
  }
};
