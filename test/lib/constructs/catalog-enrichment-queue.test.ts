import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  CatalogEnrichmentQueue,
  type CatalogEnrichmentQueueProps,
} from '../../../lib/constructs/catalog-enrichment-queue.js';
import { logicalId, unitTestApp } from '../support.js';

function build(props: Partial<CatalogEnrichmentQueueProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const queue = new CatalogEnrichmentQueue(stack, 'CatalogEnrichment', { stage: 'dev', ...props });
  return { stack, queue, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const queueId = logicalId(template, 'AWS::SQS::Queue', 'CatalogEnrichmentQueue');
const deadLettersId = logicalId(template, 'AWS::SQS::Queue', 'CatalogEnrichmentDeadLetters');

describe('CatalogEnrichmentQueue', () => {
  it('is a FIFO queue named for the stage, deduplicated on content, ordered and deduplicated per product', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'mangaassist-dev-catalog-enrichment.fifo',
      FifoQueue: true,
      ContentBasedDeduplication: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
  });

  it('takes messages up to the size the catalog webhook packs its requests under, 256 KiB', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'mangaassist-dev-catalog-enrichment.fifo',
      MaximumMessageSize: 262_144,
    });
  });

  it('dead-letters a message after 5 receives into a FIFO queue kept 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'mangaassist-dev-catalog-enrichment.fifo',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(template.findResources('AWS::SQS::Queue')[deadLettersId]?.Properties).toMatchObject({
      FifoQueue: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    build({ maxReceiveCount: 3 }).template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });

  it('keeps messages 14 days and hides a received one past the consumer’s 120 s claim', () => {
    expect(template.findResources('AWS::SQS::Queue')[queueId]?.Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      VisibilityTimeout: 150,
    });
    build({ visibilityTimeout: Duration.minutes(5) }).template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'mangaassist-dev-catalog-enrichment.fifo',
      VisibilityTimeout: 300,
    });
  });

  it('encrypts both queues with SQS managed keys and refuses requests without TLS', () => {
    for (const id of [queueId, deadLettersId]) {
      expect(template.findResources('AWS::SQS::Queue')[id]?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('is deleted with its stack unless told to retain, messages and dead letters alike', () => {
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
    const retained = build({ removalPolicy: RemovalPolicy.RETAIN }).template.findResources('AWS::SQS::Queue');
    expect(Object.values(retained).map((queue) => queue.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
