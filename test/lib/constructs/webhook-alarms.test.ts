import { webhookIdempotencyTable, webhookSources } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import { WebhookAlarms, type WebhookAlarmsProps } from '../../../lib/constructs/webhook-alarms.js';
import { WebhookReceivers } from '../../../lib/constructs/webhook-receivers.js';
import { WebhookSecret } from '../../../lib/constructs/webhook-secret.js';
import { flatten, logicalId, unitTestApp } from '../support.js';

function build(props: Partial<Omit<WebhookAlarmsProps, 'receivers' | 'topic'>> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const receivers = new WebhookReceivers(stack, 'Webhooks', {
    stage: 'dev',
    entry: 'test/lib/fixtures/noop-handler.ts',
    secret: new WebhookSecret(stack, 'Secrets', { stage: 'dev' }).secret,
    idempotencyTable: new SpecTable(stack, 'Idempotency', { spec: webhookIdempotencyTable, stage: 'dev' })
      .table,
    eventBus: new EventBus(stack, 'Bus'),
    catalogEnrichmentQueue: Queue.fromQueueArn(
      stack,
      'CatalogEnrichment',
      'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-dev-catalog-enrichment.fifo',
    ),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
  });
  const alarms = new WebhookAlarms(stack, 'Alarms', {
    stage: 'dev',
    receivers: Object.values(receivers.receivers),
    topic: new Topic(stack, 'Topic'),
    ...props,
  });
  return { stack, alarms, template: Template.fromStack(stack) };
}

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

function alarms(template: Template): AlarmProperties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => (alarm as { Properties: AlarmProperties }).Properties,
  );
}

const pascal = (source: string) => `${source.charAt(0).toUpperCase()}${source.slice(1)}`;
const { template } = build();

describe('WebhookAlarms', () => {
  it('watches the 4xx and 5xx counts of every webhook function URL', () => {
    const all = alarms(template);
    expect(all).toHaveLength(2 * webhookSources.length);
    for (const source of webhookSources) {
      const fn = logicalId(template, 'AWS::Lambda::Function', `Webhooks${pascal(source)}Function`);
      const dimensions = [
        { Name: 'FunctionName', Value: `<${fn}>` },
        { Name: 'Resource', Value: `<${fn}>:live` },
      ];
      const ofSource = all
        .filter((alarm) => alarm.Dimensions.some((dimension) => flatten(dimension.Value) === `<${fn}>:live`))
        .map((alarm) => ({
          metric: `${alarm.Namespace} ${alarm.MetricName} ${alarm.Statistic} ${alarm.Period}`,
          dimensions: alarm.Dimensions.map((dimension) => ({
            ...dimension,
            Value: flatten(dimension.Value),
          })),
        }));
      expect(ofSource).toEqual(
        expect.arrayContaining([
          { metric: 'AWS/Lambda Url4xxCount Sum 300', dimensions: expect.arrayContaining(dimensions) },
          { metric: 'AWS/Lambda Url5xxCount Sum 300', dimensions: expect.arrayContaining(dimensions) },
        ]),
      );
      expect(ofSource).toHaveLength(2);
    }
  });

  it('fires above 25 client errors or 5 server errors in 5 minutes by default', () => {
    for (const alarm of alarms(template)) {
      expect(alarm).toMatchObject({
        Threshold: alarm.MetricName === 'Url4xxCount' ? 25 : 5,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('takes its thresholds from its props', () => {
    const tuned = alarms(build({ clientErrorsPer5Minutes: 100, serverErrorsPer5Minutes: 1 }).template);
    for (const alarm of tuned) {
      expect(alarm.Threshold).toBe(alarm.MetricName === 'Url4xxCount' ? 100 : 1);
    }
  });

  it('notifies the alarm topic when an alarm fires and when it recovers', () => {
    const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'Topic') };
    for (const alarm of alarms(template)) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.OKActions).toEqual([topic]);
    }
  });

  it('names the source and the threshold in each description', () => {
    const descriptions = alarms(template).map((alarm) => alarm.AlarmDescription);
    expect(descriptions).toContain(
      'MangaAssist dev: more than 25 4xx answers from the stripe webhook URL in 5 minutes',
    );
    expect(descriptions).toContain(
      'MangaAssist dev: more than 5 5xx answers from the catalog webhook URL in 5 minutes',
    );
  });
});
