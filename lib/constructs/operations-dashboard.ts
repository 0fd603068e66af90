import { inferenceMetricsNamespace } from '@mangaassist/consumers';
import { publishFailuresMetric } from '@mangaassist/events';
import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryWidget,
  MathExpression,
  Metric,
  SearchExpression,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

const period = Duration.minutes(5);
const width = 8;
const height = 6;

export interface OperationsDashboardProps {
  readonly stage: string;
  /** The REST API's name (`mangaassist-<stage>`) and stage name. */
  readonly restApi: { readonly name: string; readonly stage: string };
  /** The WebSocket API's id. */
  readonly webSocketApiId: string;
  /** Each webhook source's receiver function name (its `live` alias serves the URL). */
  readonly webhookFunctions: Readonly<Record<string, string>>;
  /** Job lanes' and callbacks' queue names. */
  readonly jobQueues: Readonly<Record<string, string>>;
  /** The AI event bus's name. */
  readonly eventBusName: string;
  /** The dead-letter and failure queues of the bus's rules and consumers, by name. */
  readonly deadLetterQueues: readonly { readonly name: string; readonly queue: IQueue }[];
  /** The analytics consumer's log group: one EMF line per inference, with its tenant. */
  readonly analyticsLogGroup: ILogGroup;
  /** The ElastiCache Serverless cache's name. */
  readonly cacheName: string;
}

const metric = (
  namespace: string,
  metricName: string,
  dimensionsMap: Record<string, string>,
  statistic = 'Sum',
  label?: string,
): Metric =>
  new Metric({ namespace, metricName, dimensionsMap, statistic, period, ...(label ? { label } : {}) });

/**
 * One line per model (`MangaAssist/Inference`, dimension `model`) of `metricName`'s `statistic`,
 * each labelled with its model (and `label`, where one graph shows two statistics).
 */
const perModel = (metricName: string, statistic = 'Sum', label = '') =>
  new SearchExpression({
    expression: `SEARCH('{${inferenceMetricsNamespace},model} MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`,
    label: label === '' ? modelLabel : `${modelLabel} ${label}`,
    period,
  });

/** CloudWatch's dynamic label: the series' `model` dimension. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudWatch's label syntax, not a JavaScript template.
const modelLabel = "${PROP('Dim.model')}";

const graph = (title: string, left: IMetric[], options: { right?: IMetric[]; unit?: string } = {}) =>
  new GraphWidget({
    title,
    left,
    ...(options.right ? { right: options.right } : {}),
    width,
    height,
    ...(options.unit ? { leftYAxis: { label: options.unit, showUnits: false } } : {}),
  });

/**
 * The stage's one CloudWatch dashboard, `MangaAssist-<stage>`, in rows a platform team reads top
 * down:
 * - **Requests**: REST requests, 4xx and 5xx; `POST /v1/chat` latency p50/p99 (the 3 s SLA);
 *   WebSocket connects, messages and errors.
 * - **Models** (`MangaAssist/Inference`, per model): requests, latency and time to first token
 *   p50/p99, input and output tokens, cost, fallbacks, degraded, failed and timed-out answers,
 *   cache hit rate; Bedrock's own invocations and throttles per model id.
 * - **Tenants**: spend and requests per tenant, from the analytics consumer's EMF lines (a Logs
 *   Insights query: the tenant is a property, not a metric dimension, so tenants cost nothing).
 * - **Webhooks**: requests, 4xx and 5xx per source.
 * - **Bus**: events the publishers gave up on, and every dead-letter and failure queue's depth.
 * - **Jobs and orchestrator**: job queues' depth and oldest message; the orchestrator's open
 *   requests, active streams, WebSocket answers and overload refusals.
 * - **Capacity**: the account's claimed Lambda concurrency; the cache's ECPUs, storage and
 *   throttled commands.
 *
 * Every resource is named, not referenced: the API stack's through `PublishedNames`, so this
 * dashboard adds no export that would pin a resource in place.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const rest = { ApiName: props.restApi.name, Stage: props.restApi.stage };
    const chatRoute = { ...rest, Resource: '/v1/chat', Method: 'POST' };
    const webSocket = { ApiId: props.webSocketApiId, Stage: props.restApi.stage };
    const orchestrator = { Stage: props.stage };
    const cache = { clusterId: props.cacheName };
    const heading = (text: string) => new TextWidget({ markdown: text, width: 24, height: 1 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `MangaAssist-${props.stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      heading(`## Requests — MangaAssist ${props.stage}`),
      graph('REST requests', [
        metric('AWS/ApiGateway', 'Count', rest, 'Sum', 'requests'),
        metric('AWS/ApiGateway', '4XXError', rest, 'Sum', '4xx'),
        metric('AWS/ApiGateway', '5XXError', rest, 'Sum', '5xx'),
      ]),
      graph(
        'POST /v1/chat latency (ms)',
        [
          metric('AWS/ApiGateway', 'Latency', chatRoute, 'p50', 'p50'),
          metric('AWS/ApiGateway', 'Latency', chatRoute, 'p99', 'p99'),
        ],
        { unit: 'ms' },
      ),
      graph('WebSocket', [
        metric('AWS/ApiGateway', 'ConnectCount', webSocket, 'Sum', 'connects'),
        metric('AWS/ApiGateway', 'MessageCount', webSocket, 'Sum', 'messages'),
        metric('AWS/ApiGateway', 'IntegrationError', webSocket, 'Sum', 'integration errors'),
        metric('AWS/ApiGateway', 'ExecutionError', webSocket, 'Sum', 'execution errors'),
      ]),
      heading('## Models'),
      graph('Requests per model', [perModel('Requests')]),
      graph(
        'Latency per model, p50 and p99 (ms)',
        [perModel('LatencyMs', 'p50', 'p50'), perModel('LatencyMs', 'p99', 'p99')],
        {
          unit: 'ms',
        },
      ),
      graph(
        'Time to first token per model, p50 and p99 (ms)',
        [perModel('TimeToFirstTokenMs', 'p50', 'p50'), perModel('TimeToFirstTokenMs', 'p99', 'p99')],
        { unit: 'ms' },
      ),
      graph('Tokens per model', [
        perModel('InputTokens', 'Sum', 'in'),
        perModel('OutputTokens', 'Sum', 'out'),
      ]),
      graph('Cost per model (USD)', [perModel('CostUSD')], { unit: 'USD' }),
      graph('Fallbacks, degraded, failed and timed-out answers', [
        perModel('FallbackRequests', 'Sum', 'fallback'),
        perModel('DegradedRequests', 'Sum', 'degraded'),
        perModel('ErrorRequests', 'Sum', 'error'),
        perModel('TimeoutRequests', 'Sum', 'timeout'),
      ]),
      graph('Response cache hit rate (%)', [
        new MathExpression({
          expression: `100 * SEARCH('{${inferenceMetricsNamespace},model} MetricName="CachedRequests"', 'Average', ${period.toSeconds()})`,
          label: '',
          period,
        }),
      ]),
      graph('Bedrock invocations and throttles per model id', [
        new SearchExpression({
          expression: `SEARCH('{AWS/Bedrock,ModelId} MetricName="Invocations"', 'Sum', ${period.toSeconds()})`,
          label: 'invocations',
          period,
        }),
        new SearchExpression({
          expression: `SEARCH('{AWS/Bedrock,ModelId} MetricName="InvocationThrottles"', 'Sum', ${period.toSeconds()})`,
          label: 'throttles',
          period,
        }),
      ]),
      new LogQueryWidget({
        title: 'Spend per tenant (USD, the dashboard interval)',
        logGroupNames: [props.analyticsLogGroup.logGroupName],
        queryLines: [
          'filter ispresent(CostUSD) and ispresent(tenant_id)',
          'stats sum(CostUSD) as usd, sum(Requests) as requests, sum(DegradedRequests) as degraded by tenant_id',
          'sort usd desc',
          'limit 20',
        ],
        width,
        height,
      }),
      heading('## Webhooks and the bus'),
      graph(
        'Webhooks by source: requests, 4xx, 5xx',
        Object.entries(props.webhookFunctions).flatMap(([source, functionName]) => {
          const url = { FunctionName: functionName, Resource: `${functionName}:live` };
          return [
            metric('AWS/Lambda', 'UrlRequestCount', url, 'Sum', `${source} requests`),
            metric('AWS/Lambda', 'Url4xxCount', url, 'Sum', `${source} 4xx`),
            metric('AWS/Lambda', 'Url5xxCount', url, 'Sum', `${source} 5xx`),
          ];
        }),
      ),
      graph('Events not published (after retries)', [
        metric(
          publishFailuresMetric.namespace,
          publishFailuresMetric.name,
          { EventBusName: props.eventBusName },
          'Sum',
          'given up',
        ),
      ]),
      graph(
        'Dead-letter and failure queues (messages waiting)',
        props.deadLetterQueues.map(({ name, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period, label: name }),
        ),
      ),
      heading('## Jobs, orchestrator and capacity'),
      graph(
        'Job queues: waiting, and oldest (s)',
        Object.entries(props.jobQueues).map(([name, queueName]) =>
          metric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: queueName }, 'Maximum', name),
        ),
        {
          right: Object.entries(props.jobQueues).map(([name, queueName]) =>
            metric(
              'AWS/SQS',
              'ApproximateAgeOfOldestMessage',
              { QueueName: queueName },
              'Maximum',
              `${name} age`,
            ),
          ),
        },
      ),
      graph('Orchestrator', [
        metric('MangaAssist/Orchestrator', 'OpenRequests', orchestrator, 'Maximum', 'open requests'),
        metric('MangaAssist/Orchestrator', 'ActiveStreams', orchestrator, 'Maximum', 'active streams'),
        metric('MangaAssist/Orchestrator', 'WebSocketAnswers', orchestrator, 'Maximum', 'WebSocket answers'),
        metric('MangaAssist/Orchestrator', 'OverloadRefusals', orchestrator, 'Sum', 'overload refusals'),
      ]),
      graph(
        'Capacity: Lambda concurrency, cache ECPUs and throttles',
        [
          new Metric({
            namespace: 'AWS/Lambda',
            metricName: 'ClaimedAccountConcurrency',
            statistic: 'Maximum',
            period,
            label: 'claimed Lambda concurrency',
          }),
          metric('AWS/ElastiCache', 'ThrottledCmds', cache, 'Sum', 'cache throttled commands'),
        ],
        {
          right: [
            metric('AWS/ElastiCache', 'ElastiCacheProcessingUnits', cache, 'Sum', 'cache ECPUs'),
            metric('AWS/ElastiCache', 'BytesUsedForCache', cache, 'Maximum', 'cache bytes'),
          ],
        },
      ),
    );
  }
}
