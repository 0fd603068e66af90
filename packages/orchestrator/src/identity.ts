import type { IncomingHttpHeaders } from 'node:http';
import { errorResponse } from '@mangaassist/http';
import type { Identification } from './orchestrator-server.js';

/**
 * The header API Gateway's HTTP integration sets to the caller's API key id
 * (`integration.request.header.x-mangaassist-api-key-id: context.identity.apiKeyId`), after it
 * has checked the key: the orchestrator counts the request to that key's tenant, as the Lambda
 * doors do with `requestContext.identity.apiKeyId`.
 */
export const apiKeyIdHeader = 'x-mangaassist-api-key-id';

/** The header a service in the VPC names itself with when it calls the FM proxy. */
export const callingServiceHeader = 'x-calling-service';

/** The tenant a calling service's usage and cost are counted to: `svc-<service>`. */
export function serviceTenantId(service: string): string {
  return `svc-${service}`;
}

const serviceName = /^[a-z][a-z0-9-]{0,58}$/;

/** Whether `name` can name a calling service: lower-case letters, digits and `-`, 1 to 59. */
export function isServiceName(name: string): boolean {
  return serviceName.test(name);
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The public door's callers, as API Gateway identified them: the API key id it forwards
 * (`apiKeyIdHeader`) mapped to its tenant by `resolveTenant` (`TENANTS_JSON`). A request without
 * it did not come through API Gateway: 403, as API Gateway answers a missing key. Only the load
 * balancer behind the VPC link may reach this listener (its security group), so the header
 * cannot be forged from elsewhere.
 */
export function apiGatewayIdentity(resolveTenant: (apiKeyId: string) => string) {
  return (headers: IncomingHttpHeaders, requestId: string): Identification => {
    const apiKeyId = single(headers, apiKeyIdHeader);
    if (apiKeyId === undefined) {
      return {
        refusal: errorResponse(403, requestId, 'invalid_api_key', 'Forbidden: send a valid x-api-key.'),
      };
    }
    return { tenantId: resolveTenant(apiKeyId) };
  };
}

/**
 * The public door's callers by their `x-api-key` itself, checked here (`pnpm orchestrator`, where
 * no API Gateway stands in front): the key's tenant, or 403 as API Gateway answers.
 */
export function apiKeyIdentity(tenantForKey: (value: string | undefined) => string | undefined) {
  return (headers: IncomingHttpHeaders, requestId: string): Identification => {
    const tenantId = tenantForKey(single(headers, 'x-api-key'));
    if (tenantId === undefined) {
      return {
        refusal: errorResponse(403, requestId, 'invalid_api_key', 'Forbidden: send a valid x-api-key.'),
      };
    }
    return { tenantId };
  };
}

/**
 * The FM proxy's callers: the service named by `x-calling-service` (a lower-case name, as a
 * Service Connect service is named), counted as tenant `svc-<name>` (give it a budget by adding
 * that tenant to `TENANTS_JSON`; unknown, it gets the default one). A request that names none is
 * `defaultService`'s (a sidecar serves one service); without either, or with an invalid name: 400
 * `calling_service_required`, so no model call goes unattributed. Throws `RangeError` for an
 * invalid `defaultService`.
 */
export function callingServiceIdentity(defaultService?: string) {
  if (defaultService !== undefined && !isServiceName(defaultService)) {
    throw new RangeError(`not a service name: ${JSON.stringify(defaultService)}`);
  }
  return (headers: IncomingHttpHeaders, requestId: string): Identification => {
    const service = single(headers, callingServiceHeader) ?? defaultService;
    if (service === undefined || !isServiceName(service)) {
      return {
        refusal: errorResponse(
          400,
          requestId,
          'calling_service_required',
          `Name the calling service in ${callingServiceHeader}: lower-case letters, digits and "-", at most 59 characters.`,
        ),
      };
    }
    return { tenantId: serviceTenantId(service) };
  };
}
