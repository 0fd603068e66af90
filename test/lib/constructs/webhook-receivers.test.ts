import { webhookIdempotencyTable, webhookSources } from '@mangaassist/contracts';
import { defaultModelCatalog, defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  WebhookReceivers,
  type WebhookReceiversProps,
  webhookHandlerEntries,
} from '../../../lib/constructs/webhook-receivers.js';
import { WebhookSecret } from '../../../lib/constructs/webhook-secret.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

const gatewayRequirements = {
  REDIS_URL: 'rediss://cache.example:6379',
  SESSIONS_TABLE: 'mangaassist-dev-sessions',
  TENANTS_JSON: '{"tenants":[],"apiKeys":{}}',
};

function build(props: Partial<WebhookReceiversProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    // The test's own network: no custom resource beside the functions under test.
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'A stand-in VPC for this test.' });
  const receivers = new WebhookReceivers(stack, 'Webhooks', {
    stage: 'dev',
    entry: 'test/lib/fixtures/noop-handler.ts',
    secret: new WebhookSecret(stack, 'Secrets', { stage: 'dev' }).secret,
    idempotencyTable: new SpecTable(stack, 'Idempotency', { spec: webhookIdempotencyTable, stage: 'dev' })
      .table,
    eventBus: new EventBus(stack, 'Bus'),
    catalogEnrichmentQueue: Queue.fromQueueArn(
      stack,
      'CatalogEnrichment',
      'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-dev-catalog-enrichment.fifo',
    ),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    gatewayEnvironment: gatewayRequirements,
    gatewayNetwork: {
      vpc,
      subnets: { subnetGroupName: 'functions' },
      securityGroups: [new SecurityGroup(stack, 'Functions', { vpc })],
    },
    ...props,
  });
  return { stack, receivers, template: Template.fromStack(stack) };
}

const dev = build();
const prod = build({ provisionedConcurrency: 5 });

const functionPrefix = (source: string) =>
  `Webhooks${source.charAt(0).toUpperCase()}${source.slice(1)}Function`;
const aliasPrefix = (source: string) =>
  `Webhooks${source.charAt(0).toUpperCase()}${source.slice(1)}FunctionAlias`;

interface PermissionProperties {
  readonly Action: string;
  readonly Principal: string;
  readonly FunctionName: unknown;
  readonly FunctionUrlAuthType?: string;
  readonly InvokedViaFunctionUrl?: boolean;
}

function permissions(template: Template): PermissionProperties[] {
  return Object.values(template.findResources('AWS::Lambda::Permission')).map(
    (permission) => (permission as { Properties: PermissionProperties }).Properties,
  );
}

/** The AWS services (action prefixes) a function may call, beyond its logs, traces and network. */
function servicesOf(template: Template, prefix: string): string[] {
  const services = functionActions(template, prefix).map((action) => action.split(':')[0] ?? '');
  return [...new Set(services)].filter((service) => !['logs', 'xray', 'ec2'].includes(service)).sort();
}

describe('WebhookReceivers', () => {
  it('runs one function per source, told its source, secret, table and bus by environment', () => {
    const { template } = dev;
    template.resourceCountIs('AWS::Lambda::Function', webhookSources.length);
    for (const source of webhookSources) {
      expect(functionEnvironment(template, functionPrefix(source))).toMatchObject({
        MANGA_ENV: 'dev',
        WEBHOOK_SOURCE: source,
        WEBHOOK_SECRET_ID: { Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'Secrets') },
        IDEMPOTENCY_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Idempotency') },
        EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
      });
    }
  });

  it('gives each function 512 MB and 30 s by default, and reserves no concurrency', () => {
    for (const source of webhookSources) {
      const properties = functionProperties(dev.template, functionPrefix(source));
      expect(properties).toMatchObject({ MemorySize: 512, Timeout: 30 });
      expect(properties).not.toHaveProperty('ReservedConcurrentExecutions');
    }
  });

  it('takes memory, timeout and reserved concurrency from its props', () => {
    const { template } = build({ memorySize: 256, timeout: Duration.seconds(20), reservedConcurrency: 7 });
    expect(functionProperties(template, functionPrefix('catalog'))).toMatchObject({
      MemorySize: 256,
      Timeout: 20,
      ReservedConcurrentExecutions: 7,
    });
  });

  it('gives only the reviews function the gateway settings and the cache network', () => {
    const reviews = functionEnvironment(dev.template, functionPrefix('reviews'));
    expect(reviews).toMatchObject({
      ...gatewayRequirements,
      BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
    });
    expect(functionProperties(dev.template, functionPrefix('reviews')).VpcConfig).toBeDefined();
    for (const source of ['stripe', 'catalog']) {
      const environment = functionEnvironment(dev.template, functionPrefix(source));
      for (const name of [...Object.keys(gatewayRequirements), 'BEDROCK_REGION_TARGETS']) {
        expect(environment).not.toHaveProperty(name);
      }
      expect(functionProperties(dev.template, functionPrefix(source)).VpcConfig).toBeUndefined();
    }
  });

  it('keeps reviews outside any VPC too when no gateway network is given', () => {
    const { template } = build({ gatewayNetwork: undefined });
    expect(functionProperties(template, functionPrefix('reviews')).VpcConfig).toBeUndefined();
  });

  it('publishes a live alias per source, warm only when provisioned concurrency is configured', () => {
    dev.template.resourceCountIs('AWS::Lambda::Alias', webhookSources.length);
    dev.template.allResourcesProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: Match.absent(),
    });
    prod.template.resourceCountIs('AWS::Lambda::Alias', webhookSources.length);
    prod.template.allResourcesProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 },
    });
  });

  it('puts a function URL without IAM auth and without CORS on each live alias', () => {
    const { template } = prod;
    template.resourceCountIs('AWS::Lambda::Url', webhookSources.length);
    for (const source of webhookSources) {
      template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        Cors: Match.absent(),
        Qualifier: 'live',
        TargetFunctionArn: {
          'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', functionPrefix(source)), 'Arn'],
        },
      });
    }
  });

  it('lets anyone call each URL, and invoke the alias only through its URL', () => {
    const { template } = dev;
    const all = permissions(template);
    expect(all).toHaveLength(2 * webhookSources.length);
    for (const source of webhookSources) {
      const alias = { Ref: logicalId(template, 'AWS::Lambda::Alias', aliasPrefix(source)) };
      const onAlias = all.filter((permission) => flatten(permission.FunctionName) === flatten(alias));
      expect(onAlias).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: 'lambda:InvokeFunctionUrl',
            Principal: '*',
            FunctionUrlAuthType: 'NONE',
          }),
          expect.objectContaining({
            Action: 'lambda:InvokeFunction',
            Principal: '*',
            InvokedViaFunctionUrl: true,
          }),
        ]),
      );
      expect(onAlias).toHaveLength(2);
    }
  });

  it('grants each function only the secret, the table, the bus and, for reviews, Bedrock, for the catalog, its queue', () => {
    const { template } = dev;
    expect(servicesOf(template, functionPrefix('stripe'))).toEqual(['dynamodb', 'events', 'secretsmanager']);
    expect(servicesOf(template, functionPrefix('catalog'))).toEqual([
      'dynamodb',
      'events',
      'secretsmanager',
      'sqs',
    ]);
    expect(servicesOf(template, functionPrefix('reviews'))).toEqual([
      'bedrock',
      'dynamodb',
      'events',
      'secretsmanager',
    ]);
  });

  it('lets the catalog receiver only send to the catalog enrichment queue, whose URL it is given', () => {
    const { template } = dev;
    const queueArn = 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-dev-catalog-enrichment.fifo';
    const sqs = functionStatements(template, functionPrefix('catalog')).filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('sqs:')),
    );
    expect(sqs).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn }),
    ]);
    expect(
      flatten(functionEnvironment(template, functionPrefix('catalog')).CATALOG_ENRICHMENT_QUEUE_URL),
    ).toContain('mangaassist-dev-catalog-enrichment.fifo');
    for (const source of ['stripe', 'reviews']) {
      expect(functionEnvironment(template, functionPrefix(source))).not.toHaveProperty(
        'CATALOG_ENRICHMENT_QUEUE_URL',
      );
    }
  });

  it('runs the catalog receiver from its own entry, which builds the SQS client', () => {
    expect(webhookHandlerEntries.catalog).toBe('functions/webhook/src/catalog-handler.ts');
    expect(webhookHandlerEntries.stripe).toBe('functions/webhook/src/handler.ts');
  });

  it('reads the webhook secret, and only it, and writes nothing to it', () => {
    const { template } = dev;
    const secret = { Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'Secrets') };
    for (const source of webhookSources) {
      const statements = functionStatements(template, functionPrefix(source)).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('secretsmanager:')),
      );
      expect(statements).toHaveLength(1);
      expect(asList(statements[0]?.Action).sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      expect(asList(statements[0]?.Resource)).toEqual([secret]);
    }
  });

  it('reads and writes the idempotency table and its items only, never every table', () => {
    const { template } = dev;
    const table = logicalId(template, 'AWS::DynamoDB::Table', 'Idempotency');
    for (const source of webhookSources) {
      const statements = functionStatements(template, functionPrefix(source)).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('dynamodb:')),
      );
      expect(statements.length).toBeGreaterThan(0);
      const actions = statements.flatMap((statement) => asList(statement.Action));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
      expect(actions).not.toContain('dynamodb:DeleteTable');
      for (const resource of statements.flatMap((statement) => asList(statement.Resource))) {
        expect(resource).toEqual({ 'Fn::GetAtt': [table, 'Arn'] });
      }
    }
  });

  it('puts events on the bus only', () => {
    const { template } = dev;
    const bus = logicalId(template, 'AWS::Events::EventBus', 'Bus');
    for (const source of webhookSources) {
      const statements = functionStatements(template, functionPrefix(source)).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('events:')),
      );
      expect(statements).toEqual([
        expect.objectContaining({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [bus, 'Arn'] } }),
      ]);
    }
  });

  it('lets reviews invoke the fast model and its fallbacks only', () => {
    const resources = functionStatements(dev.template, functionPrefix('reviews'))
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('bedrock:')))
      .flatMap((statement) => asList(statement.Resource).map(flatten));
    expect(resources.length).toBeGreaterThan(0);
    const allowed = ['claude-haiku-4-5', 'claude-3-haiku'].map(
      (key) => defaultModelCatalog.models[key]?.modelId ?? key,
    );
    for (const resource of resources) {
      expect(resource).not.toBe('*');
      expect(allowed.some((modelId) => resource.endsWith(modelId))).toBe(true);
    }
  });

  it('outputs the URL to register for each source, at the path pnpm dev serves it', () => {
    const { template } = dev;
    for (const source of webhookSources) {
      const url = logicalId(template, 'AWS::Lambda::Url', `${aliasPrefix(source)}liveFunctionUrl`);
      const outputs = Object.values(template.findOutputs('*')).map(
        (output) => (output as { Value: unknown }).Value,
      );
      expect(outputs).toContainEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [url, 'FunctionUrl'] }, `webhooks/${source}`]],
      });
    }
    expect(flatten(dev.stack.resolve(dev.receivers.receivers.stripe.endpoint))).toMatch(/webhooks\/stripe$/);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    for (const { stack } of [dev, prod]) {
      const violations = new AwsSolutionsChecks().validateScope(stack).violations;
      expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
    }
  });
});
