import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ApiAlarms } from '../../../lib/constructs/api-alarms.js';
import { logicalId, unitTestApp } from '../support.js';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', {
    restApiName: 'mangaassist-dev',
    cloudWatchRole: false,
    deployOptions: { stageName: 'dev', metricsEnabled: true },
  });
  restApi.root.addMethod('GET', new MockIntegration());
  const webSocketApi = new WebSocketApi(stack, 'Sockets');
  const webSocketStage = new WebSocketStage(stack, 'SocketStage', { webSocketApi, stageName: 'dev' });
  new ApiAlarms(stack, 'Alarms', {
    stage: 'dev',
    restStage: restApi.deploymentStage,
    webSocketStage,
    webSocketQueues: {
      messages: new Queue(stack, 'Messages', { fifo: true }),
      deadLetters: new Queue(stack, 'DeadLetters', { fifo: true }),
    },
    serverErrorRatePercent: 1,
    latencyP99Ms: 3000,
    webSocketErrorRatePercent: 5,
    topic: new Topic(stack, 'AlarmTopic'),
  });
  return Template.fromStack(stack);
}

const template = build();

interface MetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly MetricName: string;
      readonly Namespace: string;
      readonly Dimensions: unknown[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
  readonly ReturnData?: boolean;
}

interface AlarmProperties {
  readonly AlarmDescription: string;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly EvaluationPeriods: number;
  readonly TreatMissingData: string;
  readonly Metrics?: MetricQuery[];
  readonly MetricName?: string;
  readonly ExtendedStatistic?: string;
  readonly Period?: number;
  readonly Dimensions?: { Name: string; Value: unknown }[];
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
}

const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
  (alarm) => (alarm as { Properties: AlarmProperties }).Properties,
);
const alarmAbout = (text: string) => {
  const alarm = alarms.find((candidate) => candidate.AlarmDescription.includes(text));
  if (alarm === undefined) throw new Error(`no alarm about ${text}`);
  return alarm;
};
const metricNames = (alarm: AlarmProperties) =>
  (alarm.Metrics ?? [])
    .flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric.MetricName] : []))
    .sort();

describe('ApiAlarms', () => {
  it('alarms when more than 1 % of REST requests answer 5xx over 5 minutes', () => {
    const alarm = alarmAbout('REST requests answered 5xx');
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
    expect(metricNames(alarm)).toEqual(['5XXError', 'Count']);
    const result = alarm.Metrics?.find((query) => query.ReturnData !== false);
    expect(result?.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    for (const query of alarm.Metrics ?? []) {
      if (!query.MetricStat) continue;
      expect(query.MetricStat).toMatchObject({ Period: 300, Stat: 'Sum' });
      expect(query.MetricStat.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'ApiName', Value: 'mangaassist-dev' },
          { Name: 'Stage', Value: { Ref: logicalId(template, 'AWS::ApiGateway::Stage', 'Api') } },
        ]),
      );
    }
  });

  it('alarms when the p99 latency of POST /v1/chat exceeds 3 s over 5 minutes', () => {
    const alarm = alarmAbout('p99 latency of POST /v1/chat');
    expect(alarm).toMatchObject({
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 3000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'ApiName', Value: 'mangaassist-dev' },
        { Name: 'Resource', Value: '/v1/chat' },
        { Name: 'Method', Value: 'POST' },
      ]),
    );
  });

  it('alarms when more than 5 % of WebSocket connects and messages fail in their integration', () => {
    const alarm = alarmAbout('WebSocket connects and messages failed');
    expect(alarm.Threshold).toBe(5);
    expect(metricNames(alarm)).toEqual([
      'ConnectCount',
      'ExecutionError',
      'IntegrationError',
      'MessageCount',
    ]);
    for (const query of alarm.Metrics ?? []) {
      if (!query.MetricStat) continue;
      expect(query.MetricStat.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'ApiId', Value: { Ref: logicalId(template, 'AWS::ApiGatewayV2::Api', 'Sockets') } },
        ]),
      );
    }
  });

  it('alarms when a WebSocket message has waited more than 5 minutes for the stream function', () => {
    expect(alarmAbout('waited more than 300 s for the stream function')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'Messages'), 'QueueName'] },
        },
      ],
    });
  });

  it('alarms on the first WebSocket message in the dead-letter queue', () => {
    expect(alarmAbout('waiting in its dead-letter queue')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'DeadLetters'), 'QueueName'] },
        },
      ],
    });
  });

  it('treats no traffic as healthy', () => {
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  it('notifies the alarm topic when an alarm fires and when it recovers', () => {
    const topic = logicalId(template, 'AWS::SNS::Topic', 'AlarmTopic');
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
    }
  });
});
