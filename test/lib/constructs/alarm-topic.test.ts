import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlarmTopic, CostBudget } from '../../../lib/constructs/alarm-topic.js';
import { flatten, logicalId, unitTestApp } from '../support.js';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const { topic } = new AlarmTopic(stack, 'Alarms', { stage: 'prod' });
  new CostBudget(stack, 'Cost', { stage: 'prod', topic, monthlyUsd: 6_000, monthlyModelUsd: 70_000 });
  return Template.fromStack(stack);
}

const template = build();

describe('AlarmTopic', () => {
  it('encrypts the topic with a rotating key CloudWatch and Budgets may use, and accepts TLS publishers only', () => {
    const key = logicalId(template, 'AWS::KMS::Key', 'Alarms');
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: ['budgets.amazonaws.com', 'cloudwatch.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it("lets only this account's alarms and budgets publish", () => {
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0] as {
      Properties: {
        PolicyDocument: {
          Statement: {
            Effect: string;
            Principal?: { Service: string };
            Condition?: { ArnLike?: Record<string, unknown>; StringEquals?: Record<string, unknown> };
          }[];
        };
      };
    };
    const allows = policy.Properties.PolicyDocument.Statement.filter(
      (statement) => statement.Effect === 'Allow',
    );
    expect(allows.map((statement) => statement.Principal?.Service)).toEqual([
      'cloudwatch.amazonaws.com',
      'budgets.amazonaws.com',
    ]);
    expect(flatten(allows[0]?.Condition?.ArnLike?.['aws:SourceArn'])).toBe(
      'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*',
    );
    expect(flatten(allows[1]?.Condition?.ArnLike?.['aws:SourceArn'])).toBe(
      'arn:<AWS::Partition>:budgets::<AWS::AccountId>:budget/*',
    );
    expect(allows[1]?.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
  });
});

describe('CostBudget', () => {
  it("watches the account's Bedrock spend on its own: model calls carry no tags", () => {
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetName: 'mangaassist-prod-bedrock',
        BudgetLimit: { Amount: 70_000, Unit: 'USD' },
        CostFilters: { Service: ['Amazon Bedrock'] },
      },
    });
    template.resourceCountIs('AWS::Budgets::Budget', 2);
  });

  it("watches the stage's tagged monthly cost, notifying the topic at 80 % spent and 100 % forecast", () => {
    const topic = logicalId(template, 'AWS::SNS::Topic', 'Alarms');
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetName: 'mangaassist-prod-monthly',
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: 6_000, Unit: 'USD' },
        CostFilters: { TagKeyValue: ['user:stage$prod'] },
      },
      NotificationsWithSubscribers: [
        {
          Notification: {
            NotificationType: 'ACTUAL',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 80,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }],
        },
        {
          Notification: {
            NotificationType: 'FORECASTED',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 100,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }],
        },
      ],
    });
  });
});
