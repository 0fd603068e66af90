import { Duration } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import type { IWebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ApiAlarmsProps {
  /** Deployment stage, for names and descriptions. */
  readonly stage: string;
  /** The REST API stage watched (its API must have CloudWatch metrics enabled). */
  readonly restStage: Stage;
  /**
   * The synchronous route whose p99 latency is held to the chat SLA.
   * @default { resourcePath: '/v1/chat', method: 'POST' }
   */
  readonly latencyRoute?: { readonly resourcePath: string; readonly method: string };
  /**
   * The WebSocket API stage watched.
   * @default - no WebSocket alarm
   */
  readonly webSocketStage?: IWebSocketStage;
  /**
   * The WebSocket message queue (route → stream function) and its dead-letter queue.
   * @default - no queue alarms
   */
  readonly webSocketQueues?: { readonly messages: IQueue; readonly deadLetters: IQueue };
  /**
   * Oldest queued WebSocket message, seconds. One connection's messages wait for its previous
   * answer (up to the stream timeout), so keep it above that.
   * @default 300
   */
  readonly webSocketQueueAgeSeconds?: number;
  /**
   * @default 1
   */
  readonly serverErrorRatePercent?: number;
  /**
   * @default 3000
   */
  readonly latencyP99Ms?: number;
  /**
   * @default 5
   */
  readonly webSocketErrorRatePercent?: number;
  /** Where the alarms notify, when they fire and when they recover (`AlarmTopic`). */
  readonly topic: ITopic;
}

const period = Duration.minutes(5);

/**
 * CloudWatch alarms on the APIs, each evaluated over 5 minutes and notifying `topic` when it
 * fires and when it recovers:
 *
 * - `RestServerErrorRate`: 5XXError / Count of the REST stage, percent (`IF` keeps a quiet
 *   period at 0 instead of dividing by zero);
 * - `ChatLatencyP99`: p99 `Latency` of `POST /v1/chat` (the chat SLA). Stage-wide latency would
 *   include `POST /v1/chat/stream`, whose latency is the whole answer's;
 * - `WebSocketErrorRate`: (IntegrationError + ExecutionError) / (ConnectCount + MessageCount)
 *   of the WebSocket stage, percent.
 * - `WebSocketQueueAge`: the oldest client message waiting for the stream function
 *   (`ApproximateAgeOfOldestMessage`, maximum) is older than `webSocketQueueAgeSeconds`: the
 *   stream function is throttled, failing or short of concurrency, and answers come late.
 * - `WebSocketDeadLetters`: a client message was dead-lettered (the stream function failed it
 *   `maxReceiveCount` times); it stays in alarm until the queue is redriven or purged.
 *
 * Missing data (no traffic) is not breaching.
 */
export class ApiAlarms extends Construct {
  readonly topic: ITopic;
  readonly serverErrorRate: Alarm;
  readonly chatLatencyP99: Alarm;
  readonly webSocketErrorRate?: Alarm;
  readonly webSocketQueueAge?: Alarm;
  readonly webSocketDeadLetters?: Alarm;

  constructor(scope: Construct, id: string, props: ApiAlarmsProps) {
    super(scope, id);
    this.topic = props.topic;

    const restApiName = props.restStage.restApi.restApiName;
    const restStageName = props.restStage.stageName;
    this.serverErrorRate = this.alarm('RestServerErrorRate', {
      description: `MangaAssist ${props.stage}: more than ${props.serverErrorRatePercent ?? 1} % of REST requests answered 5xx over 5 minutes`,
      metric: new MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: props.restStage.metricServerError({ statistic: 'Sum', period }),
          requests: props.restStage.metricCount({ statistic: 'Sum', period }),
        },
        label: 'REST 5xx rate (%)',
        period,
      }),
      threshold: props.serverErrorRatePercent ?? 1,
    });

    const route = props.latencyRoute ?? { resourcePath: '/v1/chat', method: 'POST' };
    this.chatLatencyP99 = this.alarm('ChatLatencyP99', {
      description: `MangaAssist ${props.stage}: p99 latency of ${route.method} ${route.resourcePath} above ${props.latencyP99Ms ?? 3000} ms over 5 minutes`,
      metric: new Metric({
        namespace: 'AWS/ApiGateway',
        metricName: 'Latency',
        dimensionsMap: {
          ApiName: restApiName,
          Stage: restStageName,
          Resource: route.resourcePath,
          Method: route.method,
        },
        statistic: 'p99',
        period,
      }),
      threshold: props.latencyP99Ms ?? 3000,
    });

    if (props.webSocketStage) {
      const ws = props.webSocketStage;
      const sum = (metricName: string) => ws.metric(metricName, { statistic: 'Sum', period });
      this.webSocketErrorRate = this.alarm('WebSocketErrorRate', {
        description: `MangaAssist ${props.stage}: more than ${props.webSocketErrorRatePercent ?? 5} % of WebSocket connects and messages failed in their integration over 5 minutes`,
        metric: new MathExpression({
          expression: 'IF(events > 0, 100 * (integrationErrors + executionErrors) / events, 0)',
          usingMetrics: {
            integrationErrors: sum('IntegrationError'),
            executionErrors: sum('ExecutionError'),
            events: new MathExpression({
              expression: 'connects + messages',
              usingMetrics: { connects: sum('ConnectCount'), messages: sum('MessageCount') },
              period,
            }),
          },
          label: 'WebSocket error rate (%)',
          period,
        }),
        threshold: props.webSocketErrorRatePercent ?? 5,
      });
    }

    if (props.webSocketQueues) {
      const { messages, deadLetters } = props.webSocketQueues;
      const maxAgeSeconds = props.webSocketQueueAgeSeconds ?? 300;
      this.webSocketQueueAge = this.alarm('WebSocketQueueAge', {
        description: `MangaAssist ${props.stage}: a WebSocket chat message has waited more than ${maxAgeSeconds} s for the stream function (throttled, failing or short of concurrency)`,
        metric: messages.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period }),
        threshold: maxAgeSeconds,
      });
      this.webSocketDeadLetters = this.alarm('WebSocketDeadLetters', {
        description: `MangaAssist ${props.stage}: WebSocket chat messages the stream function failed are waiting in its dead-letter queue: inspect, fix the cause, then purge (their connections have most likely closed; a redrive would answer no one)`,
        metric: deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period }),
        threshold: 0,
      });
    }
  }

  private alarm(id: string, options: { description: string; metric: IMetric; threshold: number }): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
