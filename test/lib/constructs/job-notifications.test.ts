import { defaultTargetRetry } from '@mangaassist/contracts';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JobNotifications, type JobNotificationsProps } from '../../../lib/constructs/job-notifications.js';
import { asList, flatten, logicalId, policyStatements, unitTestApp } from '../support.js';

function build(props: Partial<JobNotificationsProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new JobNotifications(stack, 'Notifications', {
    stage: 'dev',
    eventBus: new EventBus(stack, 'Bus'),
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const topic = () => ({ Ref: logicalId(template, 'AWS::SNS::Topic', 'NotificationsTopic') });
const key = () => ({ 'Fn::GetAtt': [logicalId(template, 'AWS::KMS::Key', 'NotificationsTopicKey'), 'Arn'] });
const role = () => logicalId(template, 'AWS::IAM::Role', 'NotificationsPublishRole');

describe('JobNotifications', () => {
  it('is a topic named after the stage, encrypted with its own rotated customer managed key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'mangaassist-dev-job-notifications',
      KmsMasterKeyId: key(),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(JobNotifications.topicName('prod')).toBe('mangaassist-prod-job-notifications');
  });

  it('refuses publishers and subscribers without TLS, and names no service in its topic policy', () => {
    template.resourceCountIs('AWS::SNS::TopicPolicy', 1);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic()],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
    const keyPolicy = JSON.stringify(template.findResources('AWS::KMS::Key'));
    expect(keyPolicy).not.toContain('events.amazonaws.com');
  });

  it('sends JobCompleted and JobFailed from mangaassist.ai on the AI bus to the topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'mangaassist-dev-job-notifications',
      EventBusName: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
      EventPattern: { source: ['mangaassist.ai'], 'detail-type': ['JobCompleted', 'JobFailed'] },
      Targets: [
        Match.objectLike({
          Id: 'job-notifications-topic',
          Arn: topic(),
          RoleArn: { 'Fn::GetAtt': [role(), 'Arn'] },
          Input: Match.absent(),
        }),
      ],
    });
  });

  it('retries as the contract rules do, then dead-letters into a queue only this rule may send to', () => {
    const deadLetters = logicalId(template, 'AWS::SQS::Queue', 'NotificationsDeadLetters');
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: {
            MaximumRetryAttempts: defaultTargetRetry.maximumRetryAttempts,
            MaximumEventAgeInSeconds: defaultTargetRetry.maximumEventAgeSeconds,
          },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetters, 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: deadLetters }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': {
                  'Fn::GetAtt': [logicalId(template, 'AWS::Events::Rule', 'NotificationsRule'), 'Arn'],
                },
              },
            },
          }),
        ]),
      },
    });
    build({ retry: { maximumEventAgeSeconds: 600, maximumRetryAttempts: 1 } }).template.hasResourceProperties(
      'AWS::Events::Rule',
      {
        Targets: [
          Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 600 } }),
        ],
      },
    );
  });

  it('publishes with a role EventBridge may assume for this rule only, allowed the topic and its key, nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnEquals: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ],
      },
    });
    const [trust] = Object.values(template.findResources('AWS::IAM::Role')).map(
      (resource) =>
        (
          resource as {
            Properties: {
              AssumeRolePolicyDocument: {
                Statement: { Condition: Record<string, Record<string, unknown>> }[];
              };
            };
          }
        ).Properties.AssumeRolePolicyDocument.Statement[0],
    );
    expect(flatten(trust?.Condition.ArnEquals?.['aws:SourceArn'])).toBe(
      `arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/<${logicalId(template, 'AWS::Events::EventBus', 'Bus')}>/mangaassist-dev-job-notifications`,
    );
    const statements = policyStatements(template);
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Resource: topic() }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: key(),
      }),
    ]);
    expect(statements.flatMap((statement) => asList(statement.Resource)).map(flatten)).not.toContain('*');
  });

  it('deletes its key and dead-letter queue with the stack unless told otherwise', () => {
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    const retained = build({ removalPolicy: RemovalPolicy.RETAIN }).template;
    retained.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    retained.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
