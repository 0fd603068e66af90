import { consumedEventsTable, productsTable } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import {
  CatalogEnrichmentConsumer,
  type CatalogEnrichmentConsumerProps,
} from '../../../lib/constructs/catalog-enrichment-consumer.js';
import { CatalogEnrichmentQueue } from '../../../lib/constructs/catalog-enrichment-queue.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  asList,
  flatten,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

function build(props: Partial<CatalogEnrichmentConsumerProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new CatalogEnrichmentConsumer(stack, 'CatalogEnrichment', {
    stage: 'dev',
    entry: 'test/lib/fixtures/noop-handler.ts',
    queue: new CatalogEnrichmentQueue(stack, 'Enrichment', { stage: 'dev' }).queue,
    productsTable: new SpecTable(stack, 'Products', { spec: productsTable, stage: 'dev' }).table,
    consumedEventsTable: new SpecTable(stack, 'Consumed', { spec: consumedEventsTable, stage: 'dev' }).table,
    eventBus: new EventBus(stack, 'Bus'),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const prefix = 'CatalogEnrichmentFunction';
const ref = (type: string, id: string) => ({ Ref: logicalId(template, type, id) });
const servicesOf = () =>
  [
    ...new Set(
      functionStatements(template, prefix).flatMap((statement) =>
        asList(statement.Action).map((action) => action.split(':')[0] ?? ''),
      ),
    ),
  ]
    // Every platform function writes its logs and traces.
    .filter((service) => !['logs', 'xray'].includes(service))
    .sort();

describe('CatalogEnrichmentConsumer', () => {
  it('consumes the queue one message at a time, reporting partial batch failures, 20 at most at once', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'EnrichmentQueue'), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    build({ maxConcurrency: 5 }).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('runs as the catalog-enrichment consumer with its tables, the bus and the gateway settings', () => {
    expect(functionEnvironment(template, prefix)).toMatchObject({
      MANGA_ENV: 'dev',
      EVENT_CONSUMER: 'catalog-enrichment',
      PRODUCTS_TABLE: ref('AWS::DynamoDB::Table', 'ProductsTable'),
      CONSUMED_EVENTS_TABLE: ref('AWS::DynamoDB::Table', 'ConsumedTable'),
      EVENT_BUS_NAME: ref('AWS::Events::EventBus', 'Bus'),
      BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
    });
    expect(functionProperties(template, prefix)).toMatchObject({ MemorySize: 512, Timeout: 60 });
    expect(functionProperties(template, prefix).VpcConfig).toBeUndefined();
    expect(functionProperties(build({ timeout: Duration.seconds(30) }).template, prefix)).toMatchObject({
      Timeout: 30,
    });
  });

  it('may consume its queue, use its two tables, put events and invoke Bedrock — nothing else', () => {
    expect(servicesOf()).toEqual(['bedrock', 'dynamodb', 'events', 'sqs']);
    const sqs = functionStatements(template, prefix).filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('sqs:')),
    );
    expect(flatten(sqs.map((statement) => statement.Resource))).toContain('EnrichmentQueue');
    expect(sqs.flatMap((statement) => asList(statement.Action)).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    const tables = functionStatements(template, prefix)
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('dynamodb:')))
      .flatMap((statement) => asList(statement.Resource))
      .map(flatten);
    expect(tables.every((resource) => /ProductsTable|ConsumedTable/.test(resource))).toBe(true);
  });

  it('invokes only the fast model and its fallbacks', () => {
    const bedrock = functionStatements(template, prefix).filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('bedrock:')),
    );
    const resources = flatten(bedrock.map((statement) => statement.Resource));
    expect(resources).toMatch(/haiku/);
    expect(resources).not.toMatch(/opus/);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
