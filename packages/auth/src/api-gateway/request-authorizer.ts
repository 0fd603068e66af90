import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventHeaders,
} from 'aws-lambda';
import { type CallerAuthorizer, principalOf } from '../callers.js';

/** The values a denial passes to the API's `ACCESS_DENIED` gateway response (401 JSON). */
export interface DenialContext {
  readonly code: string;
  readonly reason: string;
}

/**
 * The API Gateway REST Lambda authorizer (`REQUEST` type, results not cached) over `authorize`.
 * Admitted: an allow policy on the method, `usageIdentifierKey` set to the tenant's key (the
 * API's key source is `AUTHORIZER`, so usage plans meter token callers too) and the tenant and
 * end user in the context (`$context.authorizer.tenantId`, `.subject`). Refused: a deny policy
 * with the refusal's `code` and `reason` in the context, which the `ACCESS_DENIED` gateway
 * response renders as a 401 JSON error. An issuer that cannot be reached throws, so API Gateway
 * answers its `AUTHORIZER_FAILURE` response (503) and the caller may retry.
 */
export function makeRequestAuthorizer(
  authorize: CallerAuthorizer,
): (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult> {
  return async (event) => {
    const decision = await authorize({
      authorization: header(event.headers, 'authorization'),
      apiKey: header(event.headers, 'x-api-key'),
    });
    if (!decision.allowed) {
      return {
        principalId: 'anonymous',
        policyDocument: policy('Deny', event.methodArn),
        context: { code: decision.code, reason: decision.reason } satisfies DenialContext,
      };
    }
    return {
      principalId: principalOf(decision),
      policyDocument: policy('Allow', event.methodArn),
      context: { tenantId: decision.tenantId, ...(decision.subject ? { subject: decision.subject } : {}) },
      usageIdentifierKey: decision.usageKey,
    };
  };
}

function policy(effect: 'Allow' | 'Deny', methodArn: string): APIGatewayAuthorizerResult['policyDocument'] {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
  };
}

/** A header by name, whatever case the client sent it in. */
function header(headers: APIGatewayRequestAuthorizerEventHeaders | null, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
