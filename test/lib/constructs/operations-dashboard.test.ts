import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { OperationsDashboard } from '../../../lib/constructs/operations-dashboard.js';
import { unitTestApp } from '../support.js';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly metrics?: unknown[][];
    readonly query?: string;
  };
}

function build() {
  const stack = new Stack(unitTestApp(), 'Test', { env: { region: 'ap-northeast-1' } });
  new OperationsDashboard(stack, 'Ops', {
    stage: 'prod',
    restApi: { name: 'mangaassist-prod', stage: 'prod' },
    webSocketApiId: 'ws12345',
    webhookFunctions: { stripe: 'fn-stripe', reviews: 'fn-reviews', catalog: 'fn-catalog' },
    jobQueues: { normal: 'jobs-normal', low: 'jobs-low', callbacks: 'jobs-callbacks' },
    eventBusName: 'mangaassist-prod-ai-events',
    deadLetterQueues: [{ name: 'AnalyticsFailures', queue: new Queue(stack, 'Failures') }],
    analyticsLogGroup: new LogGroup(stack, 'Analytics'),
    cacheName: 'mangaassist-prod',
  });
  const template = Template.fromStack(stack);
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as {
    Properties: { DashboardName: string; DashboardBody: unknown };
  }[];
  // The body is JSON text with tokens (the region, the log group) joined in: render them as names.
  const body = JSON.parse(
    stack
      .resolve(dashboard?.Properties.DashboardBody)
      ['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : 'TOKEN'))
      .join(''),
  ) as { widgets: Widget[] };
  return { name: dashboard?.Properties.DashboardName, widgets: body.widgets };
}

const { name, widgets } = build();
const titled = (title: string) => {
  const widget = widgets.find((candidate) => candidate.properties.title === title);
  if (widget === undefined) throw new Error(`no widget ${title}`);
  return widget;
};
const text = (widget: Widget) => JSON.stringify(widget.properties);

describe('OperationsDashboard', () => {
  it("is the stage's one dashboard, with a row of requests, models, tenants, webhooks and the bus, jobs and capacity", () => {
    expect(name).toBe('MangaAssist-prod');
    expect(
      widgets.filter((widget) => widget.type === 'text').map((widget) => widget.properties.markdown),
    ).toEqual([
      '## Requests — MangaAssist prod',
      '## Models',
      '## Webhooks and the bus',
      '## Jobs, orchestrator and capacity',
    ]);
  });

  it('shows per model requests, latency, time to first token, tokens, cost, fallbacks and degraded answers, and the cache hit rate', () => {
    expect(text(titled('Requests per model'))).toContain(
      '{MangaAssist/Inference,model} MetricName=\\"Requests\\"',
    );
    expect(text(titled('Latency per model, p50 and p99 (ms)'))).toMatch(/LatencyMs.*'p50'.*LatencyMs.*'p99'/);
    expect(text(titled('Time to first token per model, p50 and p99 (ms)'))).toContain('TimeToFirstTokenMs');
    expect(text(titled('Tokens per model'))).toMatch(/InputTokens.*OutputTokens/);
    expect(text(titled('Cost per model (USD)'))).toContain('CostUSD');
    expect(text(titled('Fallbacks, degraded, failed and timed-out answers'))).toMatch(
      /FallbackRequests.*DegradedRequests.*ErrorRequests.*TimeoutRequests/,
    );
    expect(text(titled('Response cache hit rate (%)'))).toContain(
      "100 * SEARCH('{MangaAssist/Inference,model} MetricName=\\\"CachedRequests\\\"', 'Average'",
    );
    expect(text(titled('Bedrock invocations and throttles per model id'))).toContain('InvocationThrottles');
  });

  it('labels each per-model line with its model, so the lines of one graph can be told apart', () => {
    // CloudWatch's dynamic label of the series' `model` dimension.
    const model = ['$', "{PROP('Dim.model')}"].join('');
    expect(text(titled('Latency per model, p50 and p99 (ms)'))).toContain(`${model} p99`);
    expect(text(titled('Requests per model'))).toContain(`"label":"${model}"`);
  });

  it('reads each AWS metric by the dimensions its service publishes', () => {
    expect(titled('POST /v1/chat latency (ms)').properties.metrics?.[0]).toEqual([
      'AWS/ApiGateway',
      'Latency',
      'ApiName',
      'mangaassist-prod',
      'Method',
      'POST',
      'Resource',
      '/v1/chat',
      'Stage',
      'prod',
      { label: 'p50', stat: 'p50' },
    ]);
    expect(titled('WebSocket').properties.metrics?.[0]?.slice(0, 6)).toEqual([
      'AWS/ApiGateway',
      'ConnectCount',
      'ApiId',
      'ws12345',
      'Stage',
      'prod',
    ]);
    const capacity =
      titled('Capacity: Lambda concurrency, cache ECPUs and throttles').properties.metrics ?? [];
    expect(capacity.find((metric) => metric[1] === 'ThrottledCmds')?.slice(0, 4)).toEqual([
      'AWS/ElastiCache',
      'ThrottledCmds',
      'clusterId',
      'mangaassist-prod',
    ]);
  });

  it("sums each tenant's spend from the analytics consumer's log lines", () => {
    const spend = widgets.find((widget) => widget.type === 'log');
    expect(spend?.properties.title).toBe('Spend per tenant (USD, the dashboard interval)');
    expect(spend?.properties.query).toContain('stats sum(CostUSD) as usd');
    expect(spend?.properties.query).toContain('by tenant_id');
  });

  it("watches each webhook source's URL through its live alias, the bus's failures and every dead-letter queue", () => {
    const webhooks = titled('Webhooks by source: requests, 4xx, 5xx').properties.metrics ?? [];
    expect(webhooks).toHaveLength(9);
    expect(webhooks[0]).toEqual([
      'AWS/Lambda',
      'UrlRequestCount',
      'FunctionName',
      'fn-stripe',
      'Resource',
      'fn-stripe:live',
      { label: 'stripe requests', stat: 'Sum' },
    ]);
    expect(text(titled('Events not published (after retries)'))).toContain('mangaassist-prod-ai-events');
    expect(text(titled('Dead-letter and failure queues (messages waiting)'))).toContain('AnalyticsFailures');
  });

  it('shows the job queues, the orchestrator and the shared capacity by name', () => {
    expect(text(titled('Job queues: waiting, and oldest (s)'))).toMatch(
      /jobs-normal.*jobs-low.*jobs-callbacks/,
    );
    expect(text(titled('Orchestrator'))).toMatch(
      /OpenRequests.*ActiveStreams.*WebSocketAnswers.*OverloadRefusals/,
    );
    expect(text(titled('Capacity: Lambda concurrency, cache ECPUs and throttles'))).toMatch(
      /ClaimedAccountConcurrency.*ThrottledCmds.*ElastiCacheProcessingUnits/,
    );
    expect(text(titled('WebSocket'))).toContain('ws12345');
  });
});
