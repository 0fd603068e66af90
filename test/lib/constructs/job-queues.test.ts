import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JobQueues, type JobQueuesProps } from '../../../lib/constructs/job-queues.js';
import { logicalId, unitTestApp } from '../support.js';

function build(props: Partial<JobQueuesProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const queues = new JobQueues(stack, 'Jobs', { consumerTimeout: Duration.seconds(30), ...props });
  return { stack, queues, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const queueId = (name: string) => logicalId(template, 'AWS::SQS::Queue', `Jobs${name}`);

describe('JobQueues', () => {
  it('has a normal and a low lane, each a standard queue with its own dead-letter queue', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4);
    expect(JSON.stringify(template.findResources('AWS::SQS::Queue'))).not.toMatch(/FifoQueue/);
  });

  it.each(['Normal', 'Low'])('moves a %s-lane message to its dead-letter queue after 5 receives', (lane) => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [queueId(`${lane}DeadLetters`), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('keeps queued jobs 14 days, hidden for six starter timeouts while one is being started, encrypted', () => {
    template.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      {
        RedrivePolicy: Match.anyValue(),
        VisibilityTimeout: 180,
        MessageRetentionPeriod: 14 * 24 * 3600,
        SqsManagedSseEnabled: true,
      },
      2,
    );
    build({ consumerTimeout: Duration.minutes(1) }).template.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      { VisibilityTimeout: 360 },
      2,
    );
  });

  it('refuses requests without TLS on every queue', () => {
    for (const name of ['NormalQueue', 'LowQueue', 'NormalDeadLetters', 'LowDeadLetters']) {
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

  it('takes the receive count and the removal policy it is given', () => {
    const custom = build({ maxReceiveCount: 3, removalPolicy: RemovalPolicy.RETAIN }).template;
    custom.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      { RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) },
      2,
    );
    custom.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
