import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { JsonSchemaType, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { addApiKeyMethod, addApiKeyPostMethod } from '../../../lib/constructs/api-key-method.js';
import { unitTestApp } from '../support.js';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  const target = new LambdaFunction(stack, 'Target', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('export const handler = async () => ({ statusCode: 204 });'),
  });
  const validator = restApi.addRequestValidator('Validator', { validateRequestBody: true });
  const model = restApi.addModel('Body', { schema: { type: JsonSchemaType.OBJECT } });
  const things = restApi.root.addResource('things');
  const method = addApiKeyPostMethod(things, target, {
    operationName: 'CreateThing',
    requestValidator: validator,
    requestModel: model,
  });
  const getMethod = addApiKeyMethod(things.addResource('{id}'), 'GET', target, {
    operationName: 'GetThing',
    requestValidator: validator,
    requestParameters: { 'method.request.path.id': true },
  });
  return { method, getMethod, model, stack, template: Template.fromStack(stack) };
}

const { method, getMethod, model, stack, template } = build();

describe('addApiKeyPostMethod', () => {
  it('adds a POST that requires an API key, through a Lambda proxy integration', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      OperationName: 'CreateThing',
      ApiKeyRequired: true,
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
  });

  it('validates the body against the model whatever the content type', () => {
    const modelRef = stack.resolve(model.modelId);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestModels: { 'application/json': modelRef, $default: modelRef },
    });
  });

  it('adds other methods the same way, with the path parameters they require', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      OperationName: 'GetThing',
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.id': true },
      RequestModels: Match.absent(),
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
  });

  it.each([
    ['POST', () => method],
    ['GET', () => getMethod],
  ])(
    'records on %s for cdk-nag that API keys, not an authorizer or Cognito, authenticate the callers',
    (_, methodOf) => {
      const acknowledged = methodOf()
        .node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
      const ids = acknowledged.map(([id]) => id.replace(/^annotation::/i, ''));
      expect(ids).toEqual(expect.arrayContaining(['AwsSolutions-APIG4', 'AwsSolutions-COG4']));
      for (const [, reason] of acknowledged) expect(reason).toMatch(/API key/);
    },
  );
});
