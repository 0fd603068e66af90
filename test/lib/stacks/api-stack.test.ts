import { defaultModelCatalog } from '@mangaassist/core/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../../lib/config.js';
import { ApiStack } from '../../../lib/stacks/api-stack.js';
import { asList, flatten, functionActions, logicalId, policyStatements, unitTestApp } from '../support.js';

function build(environment: string) {
  const app = unitTestApp();
  const shared = new Stack(app, 'Shared');
  const table = (id: string) =>
    new Table(shared, id, { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const vpc = new Vpc(shared, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  const stack = new ApiStack(app, 'Api', {
    config: environmentConfig(environment),
    eventBus: new EventBus(shared, 'Bus'),
    sessionsTable: table('Sessions'),
    connectionsTable: table('Connections'),
    functionNetwork: {
      vpc,
      subnets: { subnetGroupName: 'functions' },
      securityGroups: [new SecurityGroup(shared, 'Functions', { vpc })],
    },
    redisUrl: 'rediss://cache.example:6379',
  });
  return { stack, template: Template.fromStack(stack) };
}

const dev = build('dev');
const prod = build('prod');

const bedrockStatements = (template: Template) =>
  policyStatements(template).filter((statement) =>
    asList(statement.Action).some((action) => action.startsWith('bedrock:')),
  );

/** The AWS services (action prefixes) a function may call, beyond its own logs and traces. */
function servicesOf(template: Template, prefix: string): string[] {
  const services = functionActions(template, prefix).map((action) => action.split(':')[0] ?? '');
  return [...new Set(services)]
    .filter((service) => service !== 'logs' && service !== 'xray' && service !== 'ec2')
    .sort();
}

describe('ApiStack', () => {
  it('serves chat, the SSE stream, tickets and the three static tasks, each behind an API key', () => {
    const methods = Object.values(dev.template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(6);
    for (const method of methods)
      expect(method).toMatchObject({ Properties: { ApiKeyRequired: true, HttpMethod: 'POST' } });
    dev.template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: Match.objectLike({ ResponseTransferMode: 'STREAM' }),
    });
  });

  it('runs eight Node.js 22 arm64 functions, every one in the cache’s network', () => {
    const functions = Object.values(dev.template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn as { Properties: Record<string, unknown> }).Properties,
    );
    expect(functions).toHaveLength(8);
    for (const fn of functions) {
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.VpcConfig).toBeDefined();
    }
  });

  it('gives every function the cache, the tenants, the sessions table name and the stage', () => {
    for (const fn of Object.values(dev.template.findResources('AWS::Lambda::Function'))) {
      const variables = (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } })
        .Properties.Environment.Variables;
      expect(variables).toMatchObject({
        MANGA_ENV: 'dev',
        REDIS_URL: 'rediss://cache.example:6379',
        TENANTS_JSON: expect.anything(),
        SESSIONS_TABLE: expect.anything(),
      });
      expect(flatten(variables.TENANTS_JSON)).toContain('"apiKeys":{');
    }
  });

  it('grants each function only the services it calls', () => {
    const { template } = dev;
    expect(servicesOf(template, 'ChatApiChatFunction')).toEqual(['bedrock', 'dynamodb', 'events']);
    expect(servicesOf(template, 'ChatApiStreamFunction')).toEqual(['bedrock', 'dynamodb', 'events']);
    expect(servicesOf(template, 'ChatApiTicketFunction')).toEqual([]);
    for (const task of ['Moderate', 'Summarize', 'Analyze']) {
      expect(servicesOf(template, `Tasks${task}Function`)).toEqual(['bedrock', 'events']);
    }
    expect(servicesOf(template, 'WebSocketConnectionFunction')).toEqual(['dynamodb']);
    expect(servicesOf(template, 'WebSocketMessageFunction')).toEqual([
      'bedrock',
      'dynamodb',
      'events',
      'execute-api',
    ]);
  });

  it('lets the functions invoke only the catalog models, only through profile or model ARNs', () => {
    const statements = bedrockStatements(dev.template);
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
    const resources = bedrockStatements(prod.template)
      .flatMap((statement) => asList(statement.Resource).map(flatten))
      .join('\n');
    expect(resources).not.toMatch(/:bedrock:us-|inference-profile\/(us|eu|global)\./);
  });

  it('creates an API key and usage plan for every configured tenant, open on the REST stage', () => {
    const { tenants } = environmentConfig('dev');
    dev.template.resourceCountIs('AWS::ApiGateway::ApiKey', tenants.length);
    dev.template.resourceCountIs('AWS::ApiGateway::UsagePlan', tenants.length);
    const stage = logicalId(dev.template, 'AWS::ApiGateway::Stage', 'ChatApi');
    dev.template.allResourcesProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ Stage: { Ref: stage } })],
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: { Limit: 100_000, Period: 'MONTH' },
    });
  });

  it('puts the REST stage behind the WAF web ACL', () => {
    const association = Object.values(dev.template.findResources('AWS::WAFv2::WebACLAssociation'))[0] as {
      Properties: { ResourceArn: unknown };
    };
    expect(flatten(association.Properties.ResourceArn)).toContain(
      `/stages/<${logicalId(dev.template, 'AWS::ApiGateway::Stage', 'ChatApi')}>`,
    );
  });

  it('watches the REST 5xx rate, the chat p99 latency and the WebSocket error rate', () => {
    dev.template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', Threshold: 3000 });
  });

  it('starts WebSocket access logging only once the account’s CloudWatch role is set', () => {
    const account = logicalId(dev.template, 'AWS::ApiGateway::Account', 'ChatApi');
    dev.template.hasResource('AWS::ApiGatewayV2::Stage', { DependsOn: Match.arrayWith([account]) });
  });

  it('keeps two chat instances warm in prod and none in dev', () => {
    prod.template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    dev.template.resourceCountIs('AWS::Lambda::Alias', 0);
  });

  it('keeps prod logs for 90 days and retains them, while dev logs expire after 7 days', () => {
    const prodLogs = Object.values(prod.template.findResources('AWS::Logs::LogGroup'));
    // 8 functions, REST access and execution logs, WebSocket access logs, WAF logs.
    expect(prodLogs).toHaveLength(12);
    for (const logGroup of prodLogs) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
    }
    for (const logGroup of Object.values(dev.template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 7 } });
    }
  });

  it('tells the prod functions which geographies they may use', () => {
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ MANGA_ENV: 'prod', BEDROCK_ALLOWED_GEOGRAPHIES: 'jp,apac' }),
      },
    });
  });
});
