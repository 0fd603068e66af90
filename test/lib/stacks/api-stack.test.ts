import { defaultModelCatalog } from '@mangaassist/core/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../../lib/config.js';
import { ApiStack } from '../../../lib/stacks/api-stack.js';
import { asList, flatten, policyStatements, unitTestApp } from '../support.js';

function build(environment: string) {
  const app = unitTestApp();
  const shared = new Stack(app, 'Shared');
  const eventBus = new EventBus(shared, 'Bus');
  const stack = new ApiStack(app, 'Api', { config: environmentConfig(environment), eventBus });
  return { stack, template: Template.fromStack(stack) };
}

const bedrockStatements = (template: Template) =>
  policyStatements(template).filter((statement) =>
    asList(statement.Action).some((action) => action.startsWith('bedrock:')),
  );

describe('ApiStack', () => {
  it('serves POST /v1/chat from a Node.js 22 arm64 function sized by the config', () => {
    const { template } = build('dev');
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 1024,
      Timeout: 29,
    });
  });

  it('lets the chat function invoke only the catalog models, only through profile or model ARNs', () => {
    const statements = bedrockStatements(build('dev').template);
    expect(statements.length).toBeGreaterThan(0);
    const catalogIds = Object.values(defaultModelCatalog.models).map((spec) => spec.modelId);
    for (const statement of statements) {
      expect(asList(statement.Action).sort()).toEqual([
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
      ]);
      for (const resource of asList(statement.Resource).map(flatten)) {
        expect(resource).not.toBe('*');
        expect(resource).toMatch(
          /^arn:<AWS::Partition>:bedrock:[a-z0-9*-]+:(<AWS::AccountId>)?:(inference-profile|foundation-model)\//,
        );
        expect(catalogIds.some((id) => resource.endsWith(id))).toBe(true);
      }
    }
  });

  it('keeps prod Bedrock permissions inside Japan and Asia-Pacific', () => {
    const resources = bedrockStatements(build('prod').template)
      .flatMap((statement) => asList(statement.Resource).map(flatten))
      .join('\n');
    expect(resources).not.toMatch(/:bedrock:us-|inference-profile\/(us|eu|global)\./);
  });

  it('keeps two chat instances warm in prod and none in dev', () => {
    build('prod').template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    build('dev').template.resourceCountIs('AWS::Lambda::Alias', 0);
  });

  it('keeps prod logs for 90 days and retains them, while dev logs expire after 7 days', () => {
    const prod = build('prod').template;
    const prodLogs = Object.values(prod.findResources('AWS::Logs::LogGroup'));
    expect(prodLogs.length).toBe(3);
    for (const logGroup of prodLogs) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
    }
    const devLogs = Object.values(build('dev').template.findResources('AWS::Logs::LogGroup'));
    for (const logGroup of devLogs) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 7 } });
    }
  });

  it('tells the prod function which geographies it may use', () => {
    build('prod').template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ MANGA_ENV: 'prod', BEDROCK_ALLOWED_GEOGRAPHIES: 'jp,apac' }),
      },
    });
  });
});
