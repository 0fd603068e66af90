import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DeadLetterQueue, type DeadLetterQueueProps } from '../../../lib/constructs/dead-letter-queue.js';
import { logicalId, unitTestApp } from '../support.js';

function build(props: Partial<DeadLetterQueueProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new DeadLetterQueue(stack, 'Dlq', { purpose: 'events nobody could deliver', ...props });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();

describe('DeadLetterQueue', () => {
  it('keeps failed events for 14 days, encrypted with SQS managed keys', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    expect(DeadLetterQueue.retention.toDays()).toBe(14);
  });

  it('refuses every request made without TLS', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'DlqQueue'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('is a standard queue unless it collects a FIFO queue’s dead letters', () => {
    expect(JSON.stringify(template.findResources('AWS::SQS::Queue'))).not.toMatch(/FifoQueue/);
    build({ fifo: true }).template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true });
  });

  it('is deleted with its stack unless told to retain', () => {
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
    build({ removalPolicy: RemovalPolicy.RETAIN }).template.hasResource('AWS::SQS::Queue', {
      DeletionPolicy: 'Retain',
    });
  });

  it('acknowledges that a dead-letter queue has no DLQ of its own, leaving no cdk-nag finding', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
