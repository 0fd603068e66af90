import { jobsTable } from '@mangaassist/contracts';
import { defaultModelCatalog, defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { DocumentBucket } from '../../../lib/constructs/document-bucket.js';
import { JobRoutes } from '../../../lib/constructs/job-routes.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

/** A catalog with one more model, `house-haiku`. */
const catalogOverrides = JSON.stringify({
  models: { 'house-haiku': { ...defaultModelCatalog.models['claude-3-haiku'] } },
});

function build(bedrockProps: { catalogOverridesJson?: string } = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  new JobRoutes(stack, 'Routes', {
    stage: 'dev',
    restApi,
    requestValidator: restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    }),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', {
      regionTargets: defaultRegionTargets,
      ...bedrockProps,
    }),
    tenantsEnvironment: { TENANTS_JSON: '{}' },
    jobsTable: new SpecTable(stack, 'Jobs', { spec: jobsTable, stage: 'dev' }).table,
    documentsBucket: Bucket.fromBucketName(stack, 'Documents', DocumentBucket.bucketNameFor('dev')),
    queues: { normal: new Queue(stack, 'Normal'), low: new Queue(stack, 'Low') },
    stateMachine: new StateMachine(stack, 'Machine', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')),
    }),
    callbackSecret: new Secret(stack, 'CallbackSecrets'),
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const routeFunction = () => logicalId(template, 'AWS::Lambda::Function', 'RoutesFunction');

/** The method `httpMethod` on the resource whose path part is `pathPart`. */
function method(httpMethod: string, pathPart: string) {
  const resource = Object.entries(template.findResources('AWS::ApiGateway::Resource')).find(
    ([, value]) => (value as { Properties: { PathPart: string } }).Properties.PathPart === pathPart,
  )?.[0];
  return Object.values(template.findResources('AWS::ApiGateway::Method')).find((value) => {
    const properties = (value as { Properties: { HttpMethod: string; ResourceId: { Ref: string } } })
      .Properties;
    return properties.HttpMethod === httpMethod && properties.ResourceId.Ref === resource;
  }) as { Properties: Record<string, unknown> } | undefined;
}

describe('JobRoutes', () => {
  it('serves POST /v1/uploads, POST /v1/jobs, GET and DELETE /v1/jobs/{id}, each behind an API key, from one function', () => {
    const routes = [
      ['POST', 'uploads'],
      ['POST', 'jobs'],
      ['GET', '{id}'],
      ['DELETE', '{id}'],
    ] as const;
    template.resourceCountIs('AWS::ApiGateway::Method', routes.length);
    for (const [httpMethod, pathPart] of routes) {
      expect(method(httpMethod, pathPart)?.Properties).toMatchObject({
        ApiKeyRequired: true,
        Integration: {
          Type: 'AWS_PROXY',
          Uri: { 'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetAtt': [routeFunction(), 'Arn'] }])] },
        },
      });
    }
  });

  it('requires the job id in the path of GET and DELETE', () => {
    for (const httpMethod of ['GET', 'DELETE']) {
      expect(method(httpMethod, '{id}')?.Properties).toMatchObject({
        RequestParameters: { 'method.request.path.id': true },
        RequestValidatorId: { Ref: logicalId(template, 'AWS::ApiGateway::RequestValidator', 'ApiValidator') },
      });
    }
  });

  it('validates POST /v1/jobs bodies against a draft-04 model of the contract with the catalog’s model names', () => {
    const model = logicalId(template, 'AWS::ApiGateway::Model', 'ApiCreateJobRequest');
    expect(method('POST', 'jobs')?.Properties).toMatchObject({
      RequestModels: { 'application/json': { Ref: model }, $default: { Ref: model } },
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'CreateJobRequest',
      Schema: Match.objectLike({
        $schema: 'http://json-schema.org/draft-04/schema#',
        required: ['type', 'document'],
        additionalProperties: false,
        properties: Match.objectLike({
          document: { anyOf: Match.arrayWith([Match.objectLike({ required: ['upload_id'] })]) },
          model: Match.objectLike({ enum: Match.arrayWith(['auto', 'claude-3-haiku', 'fast']) }),
          priority: Match.objectLike({ enum: ['normal', 'low'] }),
        }),
      }),
    });
    build({ catalogOverridesJson: catalogOverrides }).template.hasResourceProperties(
      'AWS::ApiGateway::Model',
      {
        Schema: Match.objectLike({
          properties: Match.objectLike({
            model: Match.objectLike({ enum: Match.arrayWith(['house-haiku']) }),
          }),
        }),
      },
    );
  });

  it('tells the function the catalog overrides, when there are any, and no other gateway setting', () => {
    expect(functionEnvironment(template, 'RoutesFunction')).not.toHaveProperty('MODEL_CATALOG_JSON');
    expect(functionEnvironment(template, 'RoutesFunction')).not.toHaveProperty('BEDROCK_REGION_TARGETS');
    expect(
      functionEnvironment(build({ catalogOverridesJson: catalogOverrides }).template, 'RoutesFunction'),
    ).toMatchObject({
      MODEL_CATALOG_JSON: catalogOverrides,
    });
  });

  it('reads the callback secret, to refuse a callback_url from a tenant that has none', () => {
    const secret = logicalId(template, 'AWS::SecretsManager::Secret', 'CallbackSecrets');
    expect(functionEnvironment(template, 'RoutesFunction')).toMatchObject({
      CALLBACK_SECRET_ID: { Ref: secret },
    });
    const readable = functionStatements(template, 'RoutesFunction')
      .filter((statement) => asList(statement.Action).includes('secretsmanager:GetSecretValue'))
      .flatMap((statement) => asList(statement.Resource).map(flatten));
    expect(readable).toEqual([`<${secret}>`]);
  });

  it('may use DynamoDB, S3, SQS, Step Functions and the callback secret only: no model', () => {
    const services = new Set(
      functionActions(template, 'RoutesFunction').map((action) => action.split(':')[0]),
    );
    expect([...services].sort()).toEqual([
      'dynamodb',
      'logs',
      's3',
      'secretsmanager',
      'sqs',
      'states',
      'xray',
    ]);
    expect(functionActions(template, 'RoutesFunction')).toEqual(
      expect.arrayContaining(['sqs:SendMessage', 'states:StopExecution']),
    );
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
