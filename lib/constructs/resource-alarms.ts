import { inferenceMetricsNamespace } from '@mangaassist/consumers';
import { Duration, Stack } from 'aws-cdk-lib';
import { type Alarm, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { notifyingAlarm } from './notifying-alarm.js';
import { pascalCase } from './pascal-case.js';
import { PlatformFunction } from './platform-function.js';

const period = Duration.minutes(5);

/** Every `PlatformFunction` under `scope` (a stack), in construct-tree order. */
export function platformFunctionsIn(scope: IConstruct): PlatformFunction[] {
  return scope.node.findAll().filter((child): child is PlatformFunction => child instanceof PlatformFunction);
}

/** The function's construct path below its stack, as an alarm id: `ChatApiChatFunction`. */
function functionAlarmId(fn: PlatformFunction): string {
  const { scopes } = fn.node;
  const belowStack = scopes.slice(scopes.indexOf(Stack.of(fn)) + 1);
  return pascalCase(belowStack.map((scope) => scope.node.id).join('-'));
}

export interface FunctionAlarmsProps {
  readonly stage: string;
  readonly topic: ITopic;
  readonly functions: readonly PlatformFunction[];
  /** Errors (thrown, timed out, out of memory) of one function in 5 minutes before it alarms. */
  readonly errorsPer5Minutes: number;
}

/**
 * Two alarms per function, notifying `topic`: `<Function>Errors` (Lambda `Errors`, sum over 5
 * minutes, above `errorsPer5Minutes`: invocations that threw, timed out or ran out of memory —
 * answers the handler turned into a JSON error are not errors) and `<Function>Throttles` (any
 * `Throttles`: the account's or the function's concurrency is exhausted, so requests are refused
 * or, for queues and the bus, delayed).
 */
export class FunctionAlarms extends Construct {
  readonly errors: Readonly<Record<string, Alarm>>;
  readonly throttles: Readonly<Record<string, Alarm>>;

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const errors: Record<string, Alarm> = {};
    const throttles: Record<string, Alarm> = {};
    for (const fn of props.functions) {
      const name = functionAlarmId(fn);
      const what = fn.function.node.path;
      errors[name] = notifyingAlarm(this, `${name}Errors`, {
        stage: props.stage,
        description: `more than ${props.errorsPer5Minutes} invocations of ${what} failed (threw, timed out or ran out of memory) in 5 minutes: read its log group`,
        metric: fn.function.metricErrors({ statistic: 'Sum', period }),
        threshold: props.errorsPer5Minutes,
        action,
      });
      throttles[name] = notifyingAlarm(this, `${name}Throttles`, {
        stage: props.stage,
        description: `${what} was throttled: the account's (or its reserved) concurrency is exhausted; raise the limit or lower what feeds it`,
        metric: fn.function.metricThrottles({ statistic: 'Sum', period }),
        action,
      });
    }
    this.errors = errors;
    this.throttles = throttles;
  }
}

export interface TableAlarmsProps {
  readonly stage: string;
  readonly topic: ITopic;
  /** Tables whose throttled requests are alarmed, by a name people know them by. */
  readonly tables: Readonly<Record<string, ITable>>;
}

/**
 * `<Table>TableThrottles` per table, notifying `topic`: DynamoDB read or write throttle events in
 * 5 minutes (on-demand tables throttle above twice their previous peak, or at the account's
 * table limits).
 */
export class TableAlarms extends Construct {
  readonly throttles: Readonly<Record<string, Alarm>>;

  constructor(scope: Construct, id: string, props: TableAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const throttles: Record<string, Alarm> = {};
    for (const [name, table] of Object.entries(props.tables)) {
      throttles[name] = notifyingAlarm(this, `${pascalCase(name)}TableThrottles`, {
        stage: props.stage,
        description: `DynamoDB throttled requests to the ${name} table in 5 minutes`,
        metric: new MathExpression({
          expression: 'reads + writes',
          usingMetrics: {
            reads: table.metric('ReadThrottleEvents', { statistic: 'Sum', period }),
            writes: table.metric('WriteThrottleEvents', { statistic: 'Sum', period }),
          },
          label: `${name} throttle events`,
          period,
        }),
        action,
      });
    }
    this.throttles = throttles;
  }
}

export interface LimitAlarmsProps {
  readonly stage: string;
  readonly topic: ITopic;
  /** The ElastiCache Serverless cache and its configured ceilings. */
  readonly cache: {
    readonly name: string;
    readonly maxEcpuPerSecond: number;
    readonly maxDataStorageGb: number;
  };
  /** Share of a cache ceiling (percent) at which its use alarms. */
  readonly cacheUsagePercent: number;
  /** The account's Lambda concurrency quota and the share of it (percent) whose claim alarms. */
  readonly accountConcurrency: { readonly limit: number; readonly usagePercent: number };
  /** USD of model usage in an hour above which `ModelSpend` fires. */
  readonly modelSpendUsdPerHour: number;
  /** Bedrock throttles in 5 minutes above which `BedrockInvocationThrottles` fires. */
  readonly bedrockThrottlesPer5Minutes: number;
}

/**
 * Alarms on the shared services and quotas a platform runs into first, notifying `topic`:
 * - `CacheThrottledCommands`: ElastiCache `ThrottledCmds` above 0. Budgets and tickets fail open
 *   when the cache refuses them, so without this nobody would be told;
 * - `CacheProcessingUnits` and `CacheStorage`: ECPUs a second and bytes used above
 *   `cacheUsagePercent` of the cache's configured ceilings, before it starts throttling;
 * - `BedrockInvocationThrottles`: Bedrock throttled a model call in this region (a Metrics
 *   Insights query over every `ModelId`): the gateway fell back, or answered degraded;
 * - `AccountConcurrency`: Lambda `ClaimedAccountConcurrency` above its share of the account's
 *   quota, before every function throttles at once;
 * - `ModelSpend`: the hour's model usage (`MangaAssist/Inference` `CostUSD`, every model) above
 *   `modelSpendUsdPerHour`: the budgets see a month, this sees the hour it starts.
 */
export class LimitAlarms extends Construct {
  readonly cacheThrottledCommands: Alarm;
  readonly cacheProcessingUnits: Alarm;
  readonly cacheStorage: Alarm;
  readonly bedrockThrottles: Alarm;
  /** Model usage an hour, from every inference's `CostUSD`, above twice the budgeted rate. */
  readonly modelSpend: Alarm;
  readonly accountConcurrency: Alarm;

  constructor(scope: Construct, id: string, props: LimitAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const alarm = (alarmId: string, description: string, metric: Metric | MathExpression, threshold = 0) =>
      notifyingAlarm(this, alarmId, { stage: props.stage, description, metric, threshold, action });
    const { cache } = props;
    const cacheMetric = (metricName: string, statistic: string, metricPeriod = period) =>
      new Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { clusterId: cache.name },
        statistic,
        period: metricPeriod,
      });
    const share = props.cacheUsagePercent / 100;
    this.cacheThrottledCommands = alarm(
      'CacheThrottledCommands',
      `the ${cache.name} cache throttled commands: budgets and WebSocket tickets fail open while it does; raise its ECPU ceiling`,
      cacheMetric('ThrottledCmds', 'Sum'),
    );
    this.cacheProcessingUnits = alarm(
      'CacheProcessingUnits',
      `the ${cache.name} cache used more than ${props.cacheUsagePercent} % of its ${cache.maxEcpuPerSecond} ECPU a second`,
      new MathExpression({
        // ElastiCacheProcessingUnits counts ECPUs: a minute's sum over 60 is that minute's rate.
        expression: 'ecpu / 60',
        usingMetrics: { ecpu: cacheMetric('ElastiCacheProcessingUnits', 'Sum', Duration.minutes(1)) },
        label: 'ECPU per second',
        period: Duration.minutes(1),
      }),
      cache.maxEcpuPerSecond * share,
    );
    this.cacheStorage = alarm(
      'CacheStorage',
      `the ${cache.name} cache holds more than ${props.cacheUsagePercent} % of its ${cache.maxDataStorageGb} GB ceiling`,
      cacheMetric('BytesUsedForCache', 'Maximum'),
      cache.maxDataStorageGb * 1024 ** 3 * share,
    );
    this.bedrockThrottles = alarm(
      'BedrockInvocationThrottles',
      `Bedrock throttled more than ${props.bedrockThrottlesPer5Minutes} model calls in this region in 5 minutes: the gateway falls back to other models or regions (or answers degraded), but this often means the quota is too small; request an increase`,
      new MathExpression({
        expression: 'SELECT SUM(InvocationThrottles) FROM SCHEMA("AWS/Bedrock", ModelId)',
        label: 'Bedrock invocation throttles',
        period,
      }),
      props.bedrockThrottlesPer5Minutes,
    );
    this.modelSpend = alarm(
      'ModelSpend',
      `model usage passed $${props.modelSpendUsdPerHour} in an hour (twice the month's budgeted hourly average): a runaway client, a loop or a price change`,
      new MathExpression({
        expression: `SELECT SUM(CostUSD) FROM SCHEMA("${inferenceMetricsNamespace}", model)`,
        label: 'model usage (USD an hour)',
        period: Duration.hours(1),
      }),
      props.modelSpendUsdPerHour,
    );
    const { limit, usagePercent } = props.accountConcurrency;
    this.accountConcurrency = alarm(
      'AccountConcurrency',
      `Lambda functions of this account claim more than ${usagePercent} % of its ${limit} concurrent executions: request a higher quota before they throttle`,
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'ClaimedAccountConcurrency',
        statistic: 'Maximum',
        period,
      }),
      limit * (usagePercent / 100),
    );
  }
}
