import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { PlatformFunction } from '../../../lib/constructs/platform-function.js';
import {
  FunctionAlarms,
  LimitAlarms,
  platformFunctionsIn,
  TableAlarms,
} from '../../../lib/constructs/resource-alarms.js';
import { logicalId, resourcesOf, unitTestApp } from '../support.js';

interface AlarmProperties {
  readonly AlarmDescription: string;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: { Name: string; Value: unknown }[];
  readonly Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
  readonly Statistic?: string;
  readonly Threshold: number;
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
}

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const topic = new Topic(stack, 'Topic');
  const chat = new Construct(stack, 'ChatApi');
  new PlatformFunction(chat, 'ChatFunction', { entry: 'functions/chat-sync/src/handler.ts' });
  new PlatformFunction(stack, 'Starter', { entry: 'functions/jobs/src/starter-handler.ts' });
  const functions = platformFunctionsIn(stack);
  new FunctionAlarms(stack, 'FunctionAlarms', { stage: 'dev', topic, functions, errorsPer5Minutes: 5 });
  new TableAlarms(stack, 'TableAlarms', {
    stage: 'dev',
    topic,
    tables: {
      'ws-tickets': new Table(stack, 'Tickets', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
    },
  });
  new LimitAlarms(stack, 'LimitAlarms', {
    stage: 'dev',
    topic,
    cache: { name: 'mangaassist-dev', maxEcpuPerSecond: 5000, maxDataStorageGb: 1 },
    cacheUsagePercent: 80,
    accountConcurrency: { limit: 1000, usagePercent: 80 },
    modelSpendUsdPerHour: 194.44,
    bedrockThrottlesPer5Minutes: 10,
  });
  return { functions, template: Template.fromStack(stack) };
}

const { functions, template } = build();
const all = resourcesOf<AlarmProperties>(template, 'AWS::CloudWatch::Alarm');
const alarm = (prefix: string) => {
  const found = all.filter((entry) => entry.logicalId.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one alarm ${prefix}, found ${found.length}`);
  return found[0]?.properties as AlarmProperties;
};
const functionRef = (prefix: string) => ({ Ref: logicalId(template, 'AWS::Lambda::Function', prefix) });

describe('FunctionAlarms', () => {
  it('finds every platform function of a stack, however deep', () => {
    expect(functions.map((fn) => fn.node.path)).toEqual(['Test/ChatApi/ChatFunction', 'Test/Starter']);
  });

  it('alarms on more failed invocations than allowed, and on any throttle, per function', () => {
    expect(alarm('FunctionAlarmsChatApiChatFunctionErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: functionRef('ChatApiChatFunction') }],
      Statistic: 'Sum',
      Threshold: 5,
    });
    expect(alarm('FunctionAlarmsStarterThrottles')).toMatchObject({
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: functionRef('Starter') }],
      Threshold: 0,
    });
  });
});

describe('TableAlarms', () => {
  it("alarms on a table's read and write throttle events together", () => {
    const throttles = alarm('TableAlarmsWsTicketsTableThrottles');
    expect(throttles.Threshold).toBe(0);
    const stats = (throttles.Metrics ?? []).flatMap(
      (metric) => (metric as { MetricStat?: { Stat: string } }).MetricStat?.Stat ?? [],
    );
    expect(stats).toEqual(['Sum', 'Sum']);
    expect(throttles.Metrics?.find((metric) => metric.Expression)?.Expression).toBe('reads + writes');
    expect(throttles.Metrics?.flatMap((metric) => metric.MetricStat?.Metric.MetricName ?? []).sort()).toEqual(
      ['ReadThrottleEvents', 'WriteThrottleEvents'],
    );
  });
});

describe('LimitAlarms', () => {
  it('alarms on any throttled cache command, by the cache name', () => {
    expect(alarm('LimitAlarmsCacheThrottledCommands')).toMatchObject({
      Namespace: 'AWS/ElastiCache',
      MetricName: 'ThrottledCmds',
      Dimensions: [{ Name: 'clusterId', Value: 'mangaassist-dev' }],
      Threshold: 0,
    });
  });

  it("alarms at 80 % of the cache's ECPU and storage ceilings, and of the account's concurrency", () => {
    const ecpu = alarm('LimitAlarmsCacheProcessingUnits');
    expect(ecpu.Threshold).toBe(4000);
    // A minute's ECPUs over 60: the rate the ceiling is set in.
    expect(ecpu.Metrics?.find((metric) => metric.Expression)?.Expression).toBe('ecpu / 60');
    expect(alarm('LimitAlarmsCacheStorage')).toMatchObject({
      MetricName: 'BytesUsedForCache',
      Threshold: 0.8 * 1024 ** 3,
    });
    expect(alarm('LimitAlarmsAccountConcurrency')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'ClaimedAccountConcurrency',
      Threshold: 800,
    });
  });

  it('alarms on more Bedrock throttles than the fallbacks absorb, of any model in the region (a Metrics Insights query)', () => {
    const throttles = alarm('LimitAlarmsBedrockInvocationThrottles');
    expect(throttles.Metrics?.[0]?.Expression).toBe(
      'SELECT SUM(InvocationThrottles) FROM SCHEMA("AWS/Bedrock", ModelId)',
    );
    expect(throttles.Threshold).toBe(10);
    expect((throttles.Metrics?.[0] as { Period?: number } | undefined)?.Period).toBe(300);
  });

  it("alarms on an hour's model usage over twice the budgeted hourly average", () => {
    const spend = alarm('LimitAlarmsModelSpend');
    expect(spend.Metrics?.[0]?.Expression).toBe(
      'SELECT SUM(CostUSD) FROM SCHEMA("MangaAssist/Inference", model)',
    );
    expect((spend.Metrics?.[0] as { Period?: number } | undefined)?.Period).toBe(3600);
    expect(spend.Threshold).toBe(194.44);
  });

  it('notifies the topic when each alarm fires and recovers', () => {
    const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'Topic') };
    expect(all).toHaveLength(11);
    for (const { properties } of all) {
      expect(properties.AlarmActions).toEqual([topic]);
      expect(properties.OKActions).toEqual([topic]);
      expect(properties.AlarmDescription).toMatch(/^MangaAssist dev: /);
    }
  });
});
