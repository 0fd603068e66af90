import { recommendationsTable } from '@mangaassist/contracts';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { RecommendationRoutes } from '../../../lib/constructs/recommendation-routes.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  functionActions,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  resourcesOf,
  unitTestApp,
} from '../support.js';

const stack = new Stack(unitTestApp(), 'Test');
const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
new RecommendationRoutes(stack, 'Routes', {
  stage: 'dev',
  restApi,
  requestValidator: restApi.addRequestValidator('Validator', { validateRequestParameters: true }),
  recommendationsTable: new SpecTable(stack, 'Recommendations', { spec: recommendationsTable, stage: 'dev' })
    .table,
});
const template = Template.fromStack(stack);
const routeFunction = () => logicalId(template, 'AWS::Lambda::Function', 'RoutesFunction');
const table = () => logicalId(template, 'AWS::DynamoDB::Table', 'Recommendations');

describe('RecommendationRoutes', () => {
  it('serves GET /v1/recommendations behind an API key, with an optional segment in the query', () => {
    const methods = resourcesOf<Record<string, unknown>>(template, 'AWS::ApiGateway::Method');
    expect(methods).toHaveLength(1);
    expect(methods[0]?.properties).toMatchObject({
      HttpMethod: 'GET',
      ApiKeyRequired: true,
      OperationName: 'GetRecommendations',
      RequestParameters: { 'method.request.querystring.segment': false },
      RequestValidatorId: { Ref: logicalId(template, 'AWS::ApiGateway::RequestValidator', 'ApiValidator') },
      Integration: {
        Type: 'AWS_PROXY',
        Uri: { 'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetAtt': [routeFunction(), 'Arn'] }])] },
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'recommendations' });
    template.hasOutput('*', { Description: 'GET /v1/recommendations' });
  });

  it('runs a small function outside any VPC that knows the table and the stage only', () => {
    expect(functionProperties(template, 'RoutesFunction')).toMatchObject({ MemorySize: 256, Timeout: 10 });
    expect(functionProperties(template, 'RoutesFunction')).not.toHaveProperty('VpcConfig');
    expect(functionEnvironment(template, 'RoutesFunction')).toEqual({
      MANGA_ENV: 'dev',
      RECOMMENDATIONS_TABLE: { Ref: table() },
    });
  });

  it('may only read the recommendations table: GetItem and Scan', () => {
    const dynamo = functionStatements(template, 'RoutesFunction').filter((statement) =>
      String(statement.Action).startsWith('dynamodb:'),
    );
    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:Scan'],
        Resource: { 'Fn::GetAtt': [table(), 'Arn'] },
      }),
    ]);
    expect(
      functionActions(template, 'RoutesFunction').filter((action) => !/^(dynamodb|logs|xray):/.test(action)),
    ).toEqual([]);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged in its own resources', () => {
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((violation) =>
        violation.violatingResources
          .filter((resource) => (resource.constructPath ?? '').startsWith('Test/Routes/'))
          .map((resource) => `${violation.ruleName} ${resource.constructPath}`),
      );
    expect(findings).toEqual([]);
  });
});
