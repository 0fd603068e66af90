import { callbackAttempts, callbackRetrySeconds } from '@mangaassist/jobs';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JobCallbackQueue, type JobCallbackQueueProps } from '../../../lib/constructs/job-callback-queue.js';
import { logicalId, unitTestApp } from '../support.js';

function build(props: Partial<JobCallbackQueueProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new JobCallbackQueue(stack, 'Callbacks', { consumerTimeout: Duration.seconds(30), ...props });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const queueId = (name: string) => logicalId(template, 'AWS::SQS::Queue', `Callbacks${name}`);
const day = 24 * 3600;

describe('JobCallbackQueue', () => {
  it('is a standard queue with its own dead-letter queue', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(JSON.stringify(template.findResources('AWS::SQS::Queue'))).not.toMatch(/FifoQueue/);
  });

  it('dead-letters a callback after as many receives as the deliverer makes attempts (13)', () => {
    expect(callbackAttempts).toBe(13);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [queueId('DeadLetters'), 'Arn'] },
        maxReceiveCount: callbackAttempts,
      },
    });
  });

  it('keeps a callback 4 days, longer than its whole retry schedule, and the dead letters 14 days', () => {
    const schedule = callbackRetrySeconds.reduce((sum, wait) => sum + wait, 0);
    expect(JobCallbackQueue.retention.toSeconds()).toBeGreaterThan(schedule + 2 * day);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.anyValue(),
      MessageRetentionPeriod: 4 * day,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.absent(),
      MessageRetentionPeriod: 14 * day,
    });
  });

  it('hides a received batch for six deliverer timeouts, encrypted with SQS managed keys', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.anyValue(),
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
    });
    build({ consumerTimeout: Duration.minutes(1) }).template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.anyValue(),
      VisibilityTimeout: 360,
    });
  });

  it('refuses requests without TLS on both queues', () => {
    for (const name of ['Queue', 'DeadLetters']) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { 'Fn::GetAtt': [queueId(name), 'Arn'] },
            }),
          ]),
        },
      });
    }
  });

  it('is deleted with the stack unless told otherwise', () => {
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
    build({ removalPolicy: RemovalPolicy.RETAIN }).template.allResources('AWS::SQS::Queue', {
      DeletionPolicy: 'Retain',
    });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
