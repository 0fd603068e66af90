import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { EventAlarms } from '../../../lib/constructs/event-alarms.js';
import { logicalId, resourcesOf, unitTestApp } from '../support.js';

interface AlarmProperties {
  readonly AlarmDescription: string;
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: { Name: string; Value: unknown }[];
  readonly Statistic: string;
  readonly Period: number;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly EvaluationPeriods: number;
  readonly TreatMissingData: string;
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
}

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const bus = new EventBus(stack, 'Bus');
  const alarms = new EventAlarms(stack, 'Alarms', {
    stage: 'dev',
    topic: new Topic(stack, 'Topic'),
    queues: [
      { name: 'OrdersDlq', description: 'Orders nobody could deliver', queue: new Queue(stack, 'Orders') },
    ],
    rules: [
      {
        name: 'Orders',
        rule: new Rule(stack, 'OrdersRule', { eventBus: bus, eventPattern: { source: ['shop'] } }),
        eventBus: bus,
      },
      {
        name: 'Nightly',
        rule: new Rule(stack, 'NightlyRule', { schedule: Schedule.expression('rate(1 day)') }),
      },
    ],
    eventBus: bus,
  });
  return { alarms, template: Template.fromStack(stack) };
}

const { alarms, template } = build();
const all = resourcesOf<AlarmProperties>(template, 'AWS::CloudWatch::Alarm');
const alarm = (prefix: string) => {
  const found = all.find((entry) => entry.logicalId.startsWith(prefix));
  if (found === undefined) throw new Error(`no alarm ${prefix}`);
  return found.properties;
};
const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'Topic') };

describe('EventAlarms', () => {
  it('fires on the first message visible in a dead-letter queue', () => {
    expect(alarm('AlarmsOrdersDlqDepth')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'Orders'), 'QueueName'] },
        },
      ],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    expect(alarms.queueDepth.OrdersDlq).toBeDefined();
  });

  it('fires on any failed invocation of a custom-bus rule, by rule and bus', () => {
    expect(alarm('AlarmsOrdersFailedInvocations')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [
        { Name: 'EventBusName', Value: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') } },
        { Name: 'RuleName', Value: { Ref: logicalId(template, 'AWS::Events::Rule', 'OrdersRule') } },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('watches a default-bus rule by its name alone', () => {
    expect(alarm('AlarmsNightlyFailedInvocations').Dimensions).toEqual([
      { Name: 'RuleName', Value: { Ref: logicalId(template, 'AWS::Events::Rule', 'NightlyRule') } },
    ]);
  });

  it('fires on any event a rule could not put on its dead-letter queue, which is lost', () => {
    expect(alarm('AlarmsOrdersDlqDeliveryFailures')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'InvocationsFailedToBeSentToDlq',
      Dimensions: [
        { Name: 'EventBusName', Value: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') } },
        { Name: 'RuleName', Value: { Ref: logicalId(template, 'AWS::Events::Rule', 'OrdersRule') } },
      ],
      Statistic: 'Sum',
      Threshold: 0,
    });
    expect(alarms.lostInvocations.Nightly).toBeDefined();
  });

  it("fires on any event the platform's publishers gave up on, on the bus", () => {
    expect(alarm('AlarmsPublishFailures')).toMatchObject({
      Namespace: 'MangaAssist/Events',
      MetricName: 'PublishFailures',
      Dimensions: [
        { Name: 'EventBusName', Value: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') } },
      ],
      Statistic: 'Sum',
      Threshold: 0,
    });
  });

  it('notifies the topic when an alarm fires and when it recovers, and ignores missing data', () => {
    expect(all).toHaveLength(6);
    for (const { properties } of all) {
      expect(properties.AlarmActions).toEqual([topic]);
      expect(properties.OKActions).toEqual([topic]);
      expect(properties.TreatMissingData).toBe('notBreaching');
      expect(properties.AlarmDescription).toMatch(/^MangaAssist dev: /);
    }
  });
});
