import {
  consumedEventsTable,
  type EventConsumer,
  eventConsumers,
  inferenceAnalyticsTable,
  productsTable,
  reviewsTable,
} from '@mangaassist/contracts';
import { defaultModelCatalog, defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import {
  type ConsumerTable,
  consumerAccess,
  EventConsumers,
  type EventConsumersProps,
} from '../../../lib/constructs/event-consumers.js';
import { pascalCase } from '../../../lib/constructs/pascal-case.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
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

const tableIds: Record<ConsumerTable, string> = {
  products: 'Products',
  reviews: 'Reviews',
  analytics: 'Analytics',
  consumedEvents: 'ConsumedEvents',
};

function build(props: Partial<EventConsumersProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const table = (id: string, spec: typeof productsTable) =>
    new SpecTable(stack, id, { spec, stage: 'dev' }).table;
  const consumers = new EventConsumers(stack, 'Consumers', {
    stage: 'dev',
    entry: 'test/lib/fixtures/noop-handler.ts',
    tables: {
      products: table(tableIds.products, productsTable),
      reviews: table(tableIds.reviews, reviewsTable),
      analytics: table(tableIds.analytics, inferenceAnalyticsTable),
      consumedEvents: table(tableIds.consumedEvents, consumedEventsTable),
    },
    eventBus: new EventBus(stack, 'Bus'),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    senderEmail: 'orders@shop.example.jp',
    senderIdentity: 'shop.example.jp',
    ...props,
  });
  return { stack, consumers, template: Template.fromStack(stack) };
}

const dev = build();
const functionPrefix = (consumer: EventConsumer) => `Consumers${pascalCase(consumer)}Function`;
const tableRef = (table: ConsumerTable) => ({
  Ref: logicalId(dev.template, 'AWS::DynamoDB::Table', tableIds[table]),
});
const tableArn = (table: ConsumerTable) => ({
  'Fn::GetAtt': [logicalId(dev.template, 'AWS::DynamoDB::Table', tableIds[table]), 'Arn'],
});

/** The AWS services (action prefixes) a consumer may call, beyond its logs and traces. */
function servicesOf(consumer: EventConsumer): string[] {
  const services = functionActions(dev.template, functionPrefix(consumer)).map(
    (action) => action.split(':')[0] ?? '',
  );
  return [...new Set(services)].filter((service) => !['logs', 'xray'].includes(service)).sort();
}

function statementsFor(consumer: EventConsumer, service: string) {
  return functionStatements(dev.template, functionPrefix(consumer)).filter((statement) =>
    asList(statement.Action).some((action) => action.startsWith(`${service}:`)),
  );
}

describe('EventConsumers', () => {
  it('runs one function per consumer of the contract, told which one it is', () => {
    dev.template.resourceCountIs('AWS::Lambda::Function', eventConsumers.length);
    for (const consumer of eventConsumers) {
      expect(functionEnvironment(dev.template, functionPrefix(consumer))).toMatchObject({
        MANGA_ENV: 'dev',
        EVENT_CONSUMER: consumer,
      });
    }
  });

  it('gives each function 512 MB and 60 s by default, outside any VPC', () => {
    for (const consumer of eventConsumers) {
      const properties = functionProperties(dev.template, functionPrefix(consumer));
      expect(properties).toMatchObject({ MemorySize: 512, Timeout: 60 });
      expect(properties.VpcConfig).toBeUndefined();
    }
  });

  it('takes memory and timeout from its props', () => {
    const { template } = build({ memorySize: 1024, timeout: Duration.seconds(90) });
    expect(functionProperties(template, functionPrefix('analytics'))).toMatchObject({
      MemorySize: 1024,
      Timeout: 90,
    });
  });

  it('names in each environment exactly the tables the consumer may use', () => {
    const names: Record<ConsumerTable, string> = {
      products: 'PRODUCTS_TABLE',
      reviews: 'REVIEWS_TABLE',
      analytics: 'ANALYTICS_TABLE',
      consumedEvents: 'CONSUMED_EVENTS_TABLE',
    };
    for (const consumer of eventConsumers) {
      const environment = functionEnvironment(dev.template, functionPrefix(consumer));
      for (const table of Object.keys(names) as ConsumerTable[]) {
        if (consumerAccess[consumer].tables[table] === undefined) {
          expect(environment).not.toHaveProperty(names[table]);
        } else {
          expect(environment[names[table]]).toEqual(tableRef(table));
        }
      }
    }
  });

  it('gives only the fm-trigger the sender address, and only model callers the bus and Bedrock settings', () => {
    for (const consumer of eventConsumers) {
      const environment = functionEnvironment(dev.template, functionPrefix(consumer));
      const callsModels = consumer === 'fm-trigger';
      expect(environment.SENDER_EMAIL).toEqual(
        consumer === 'fm-trigger' ? 'orders@shop.example.jp' : undefined,
      );
      expect(environment.EVENT_BUS_NAME).toEqual(
        callsModels ? { Ref: logicalId(dev.template, 'AWS::Events::EventBus', 'Bus') } : undefined,
      );
      expect(environment.BEDROCK_REGION_TARGETS).toEqual(
        callsModels ? JSON.stringify(defaultRegionTargets) : undefined,
      );
      expect(environment).not.toHaveProperty('REDIS_URL');
    }
  });

  it('grants each consumer only the AWS services it uses', () => {
    expect(servicesOf('fm-trigger')).toEqual(['bedrock', 'dynamodb', 'events', 'ses', 'sqs']);
    for (const consumer of [
      'moderation-handler',
      'analytics',
      'inference-post-processor',
      'embedding-regeneration',
    ] as const) {
      expect(servicesOf(consumer)).toEqual(['dynamodb', 'sqs']);
    }
  });

  it.each([
    ['fm-trigger', ['consumedEvents', 'reviews']],
    ['moderation-handler', ['consumedEvents', 'reviews']],
    ['analytics', ['analytics', 'consumedEvents']],
    ['inference-post-processor', ['analytics', 'consumedEvents']],
    ['embedding-regeneration', ['consumedEvents', 'products']],
  ] as const)('lets %s use the tables %j and no other', (consumer, tables) => {
    const resources = statementsFor(consumer, 'dynamodb').flatMap((statement) => asList(statement.Resource));
    expect(new Set(resources.map(flatten))).toEqual(new Set(tables.map((table) => flatten(tableArn(table)))));
  });

  it('puts events on the bus only, and only from the consumers that emit', () => {
    const bus = { 'Fn::GetAtt': [logicalId(dev.template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] };
    for (const consumer of ['fm-trigger'] as const) {
      expect(statementsFor(consumer, 'events')).toEqual([
        expect.objectContaining({ Action: 'events:PutEvents', Resource: bus }),
      ]);
    }
  });

  it('lets the fm-trigger send email from the configured address of the configured identity only', () => {
    expect(statementsFor('fm-trigger', 'ses')).toEqual([
      {
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: expect.anything(),
        Condition: { StringEquals: { 'ses:FromAddress': 'orders@shop.example.jp' } },
      },
    ]);
    const [statement] = statementsFor('fm-trigger', 'ses');
    expect(flatten(statement?.Resource)).toBe(
      'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/shop.example.jp',
    );
  });

  it('lets the model callers invoke the fast model and its fallbacks only', () => {
    const allowed = ['claude-haiku-4-5', 'claude-3-haiku'].map(
      (key) => defaultModelCatalog.models[key]?.modelId ?? key,
    );
    for (const consumer of ['fm-trigger'] as const) {
      const resources = statementsFor(consumer, 'bedrock').flatMap((statement) =>
        asList(statement.Resource).map(flatten),
      );
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources)
        expect(allowed.some((modelId) => resource.endsWith(modelId))).toBe(true);
    }
  });

  it("retries a failed invocation twice within an hour, then sends it to the consumer's failure queue", () => {
    for (const consumer of eventConsumers) {
      const fn = logicalId(dev.template, 'AWS::Lambda::Function', functionPrefix(consumer));
      const queue = logicalId(dev.template, 'AWS::SQS::Queue', `Consumers${pascalCase(consumer)}Failures`);
      dev.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fn },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      });
      const sqs = statementsFor(consumer, 'sqs').flatMap((statement) => asList(statement.Resource));
      expect(sqs).toEqual([{ 'Fn::GetAtt': [queue, 'Arn'] }]);
      expect(dev.consumers.consumers[consumer].failureQueue).toBeDefined();
    }
  });

  it('keeps failure queues encrypted, TLS-only, for 14 days', () => {
    dev.template.resourceCountIs('AWS::SQS::Queue', eventConsumers.length);
    dev.template.allResourcesProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    dev.template.resourceCountIs('AWS::SQS::QueuePolicy', eventConsumers.length);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    const violations = new AwsSolutionsChecks().validateScope(dev.stack).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});
