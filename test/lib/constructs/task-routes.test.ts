import { taskNames, taskRoutes } from '@mangaassist/contracts';
import { defaultModelCatalog, defaultRegionTargets, fallbackLadder } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { TaskRoutes } from '../../../lib/constructs/task-routes.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  const requestValidator = restApi.addRequestValidator('Validator', { validateRequestBody: true });
  const tasks = new TaskRoutes(stack, 'Tasks', {
    stage: 'dev',
    restApi,
    requestValidator,
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    eventBus: new EventBus(stack, 'Bus'),
    functionDefaults: { environment: { MANGA_ENV: 'dev', REDIS_URL: 'rediss://cache:6379' } },
  });
  return { stack, tasks, template: Template.fromStack(stack) };
}

const { template } = build();
const functionPrefix = (task: string) => `Tasks${task.charAt(0).toUpperCase()}${task.slice(1)}Function`;

describe('TaskRoutes', () => {
  it('serves each static route from its own function', () => {
    expect(taskNames).toEqual(['moderate', 'summarize', 'analyze']);
    template.resourceCountIs('AWS::Lambda::Function', 3);
    for (const task of taskNames) {
      const pathPart = taskRoutes[task].path.split('/').at(-1);
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: pathPart });
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        ApiKeyRequired: true,
        Integration: {
          Type: 'AWS_PROXY',
          Uri: Match.objectLike({
            'Fn::Join': Match.arrayWith([
              Match.arrayWith([
                { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', functionPrefix(task)), 'Arn'] },
              ]),
            ]),
          }),
        },
      });
    }
  });

  it('builds every function from the same entry and tells it its task in TASK_NAME', () => {
    for (const task of taskNames) {
      expect(functionEnvironment(template, functionPrefix(task))).toMatchObject({
        TASK_NAME: task,
        MANGA_ENV: 'dev',
        REDIS_URL: 'rediss://cache:6379',
        BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
        EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
      });
    }
  });

  it("validates bodies against a draft-04 model generated from the contracts' task request schema", () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'TaskRequest',
      Schema: Match.objectLike({
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['text'],
        additionalProperties: false,
        properties: Match.objectLike({ text: Match.objectLike({ type: 'string', minLength: 1 }) }),
      }),
    });
    const model = logicalId(template, 'AWS::ApiGateway::Model', 'Api');
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(3);
    for (const method of methods) {
      const properties = (method as { Properties: { RequestModels: unknown; RequestValidatorId: unknown } })
        .Properties;
      expect(properties.RequestModels).toEqual({
        'application/json': { Ref: model },
        $default: { Ref: model },
      });
      expect(flatten(properties.RequestValidatorId)).toMatch(/^<ApiValidator/);
    }
  });

  it('lets each task function invoke Bedrock and publish events, and touch no table', () => {
    for (const task of taskNames) {
      const actions = functionActions(template, functionPrefix(task));
      expect(actions).toEqual(expect.arrayContaining(['bedrock:InvokeModel', 'events:PutEvents']));
      expect(actions.every((action) => /^(bedrock|events|logs|xray):/.test(action))).toBe(true);
    }
  });

  it('lets each task function invoke only its tier’s model and that model’s fallbacks', () => {
    const catalog = defaultModelCatalog;
    for (const task of taskNames) {
      const ladder = fallbackLadder(catalog, catalog.aliases[taskRoutes[task].model]);
      const allowed = ladder.map((key) => catalog.models[key]?.modelId ?? '');
      const resources = functionStatements(template, functionPrefix(task))
        .filter((statement) => asList(statement.Action).includes('bedrock:InvokeModel'))
        .flatMap((statement) => asList(statement.Resource).map(flatten));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        // An inference profile id is the model id with a geography prefix: it ends with it.
        expect(
          allowed.some((modelId) => resource.endsWith(modelId)),
          `${task} may call ${resource}`,
        ).toBe(true);
      }
    }
    const moderate = functionStatements(template, functionPrefix('moderate')).flatMap((statement) =>
      asList(statement.Resource).map(flatten),
    );
    expect(moderate.join()).not.toContain('opus');
  });
});
