import { Validations } from 'aws-cdk-lib';
import {
  type IModel,
  Integration,
  type IRequestValidator,
  type IResource,
  LambdaIntegration,
  type LambdaIntegrationOptions,
  type Method,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

export interface ApiKeyMethodOptions {
  /** The operation's name in the API's description (`CreateChat`). */
  readonly operationName: string;
  /**
   * @default - no validator
   */
  readonly requestValidator?: IRequestValidator;
  /**
   * The body's model, applied whatever the content type (`$default` too), so a wrong
   * `Content-Type` cannot skip validation.
   * @default - the body is not validated by API Gateway
   */
  readonly requestModel?: IModel;
  /**
   * Request parameters (`method.request.path.id`, `method.request.header.x`), each required or
   * not; a validator that validates parameters refuses a request without a required one.
   * @default - none declared
   */
  readonly requestParameters?: Readonly<Record<string, boolean>>;
  /**
   * Of a Lambda target (an `Integration` target carries its own).
   * @default - a Lambda proxy integration with API Gateway's defaults (buffered, 29 s)
   */
  readonly integrationOptions?: LambdaIntegrationOptions;
}

/**
 * Adds `POST` on `resource`, integrated with `target` (a function, through a Lambda proxy
 * integration, or any other integration, such as the orchestrator's over its VPC link) and open
 * only to callers with a tenant API key (`apiKeyRequired`), metered by its usage plan. With the
 * API's Lambda authorizer (`ApiCallers`) the authorizer names that key (an end user's token
 * counts against its tenant's key) and refuses anyone else with 401.
 */
export function addApiKeyPostMethod(
  resource: IResource,
  target: IFunction | Integration,
  options: ApiKeyMethodOptions,
): Method {
  return addApiKeyMethod(resource, 'POST', target, options);
}

/**
 * Adds `httpMethod` (`GET`, `DELETE`, `POST`, …) on `resource`, as `addApiKeyPostMethod` does:
 * a Lambda proxy integration with `target`, open only to callers with a tenant API key.
 */
export function addApiKeyMethod(
  resource: IResource,
  httpMethod: string,
  target: IFunction | Integration,
  options: ApiKeyMethodOptions,
): Method {
  const integration =
    target instanceof Integration ? target : new LambdaIntegration(target, options.integrationOptions);
  const method = resource.addMethod(httpMethod, integration, {
    operationName: options.operationName,
    apiKeyRequired: true,
    ...(options.requestValidator ? { requestValidator: options.requestValidator } : {}),
    ...(options.requestModel
      ? { requestModels: { 'application/json': options.requestModel, $default: options.requestModel } }
      : {}),
    ...(options.requestParameters ? { requestParameters: { ...options.requestParameters } } : {}),
  });
  Validations.of(method).acknowledge(
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'Without the Lambda authorizer (ApiCallers), callers are tenant back ends authenticated by API key (apiKeyRequired: API Gateway refuses requests without a valid key) and metered by their usage plan. cdk-nag counts only authorizers.',
    },
    {
      id: 'AwsSolutions-COG4',
      reason:
        "The Lambda authorizer (ApiCallers) verifies end users' Cognito tokens itself (or any OIDC issuer's, by config) and takes tenant API keys too: a Cognito authorizer could take neither the other issuers nor the keys.",
    },
  );
  return method;
}
