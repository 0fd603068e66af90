import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { JobAlarms, type JobAlarmsProps } from '../../../lib/constructs/job-alarms.js';
import { logicalId, unitTestApp } from '../support.js';

function build(props: Partial<JobAlarmsProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const queue = (id: string) => new Queue(stack, id);
  new JobAlarms(stack, 'Alarms', {
    stage: 'dev',
    topic: new Topic(stack, 'Topic'),
    lanes: {
      normal: { queue: queue('Normal'), deadLetters: queue('DeadNormal') },
      low: { queue: queue('Low'), deadLetters: queue('DeadLow') },
    },
    stateMachine: new StateMachine(stack, 'Machine', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')),
    }),
    safetyNetDeadLetters: queue('DeadSafetyNet'),
    callbacks: { queue: queue('Callbacks'), deadLetters: queue('DeadCallbacks') },
    notificationDeadLetters: queue('DeadNotifications'),
    ...props,
  });
  return { template: Template.fromStack(stack) };
}

const { template } = build();
const queueName = (id: string) => ({
  Name: 'QueueName',
  Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', id), 'QueueName'] },
});

describe('JobAlarms', () => {
  it.each(['Normal', 'Low'])('fires when a %s-lane job has waited 15 minutes to start', (lane) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [queueName(lane)],
    });
    build({ queueAgeSeconds: 300 }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
  });

  it('fires when a callback has waited 9 hours for its first attempts', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 32_400,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [queueName('Callbacks')],
    });
    build({ callbackAgeSeconds: 3600 }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 3600,
      Dimensions: [queueName('Callbacks')],
    });
  });

  it.each(['DeadNormal', 'DeadLow', 'DeadSafetyNet', 'DeadCallbacks', 'DeadNotifications'])(
    'fires on the first message in %s',
    (queue) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [queueName(queue)],
      });
    },
  );

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut'])(
    'fires on the first of the state machine’s %s',
    (metric) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Statistic: 'Sum',
        Threshold: 0,
        Dimensions: [
          {
            Name: 'StateMachineArn',
            Value: { Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'Machine') },
          },
        ],
      });
    },
  );

  it('notifies the topic when an alarm fires and when it recovers, and treats no data as fine', () => {
    const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'Topic') };
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topic],
      OKActions: [topic],
      EvaluationPeriods: 1,
      Period: 300,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('^MangaAssist dev: '),
    });
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(10);
  });
});
