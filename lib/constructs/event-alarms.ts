import { publishFailuresMetric } from '@mangaassist/events';
import { Duration } from 'aws-cdk-lib';
import { type Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IEventBus, IRule } from 'aws-cdk-lib/aws-events';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from './notifying-alarm.js';

/** A queue whose messages are failures someone has to look at. */
export interface WatchedQueue {
  /** Unique among the queues (no `/`): the alarm's construct id is `<name>Depth`. */
  readonly name: string;
  /** What its messages are, for the alarm description. */
  readonly description: string;
  readonly queue: IQueue;
}

/** A rule whose targets' permanent failures are alarmed. */
export interface WatchedRule {
  /** The rule's name as people know it (no `/`): the alarm's construct id is `<name>FailedInvocations`. */
  readonly name: string;
  readonly rule: IRule;
  /** The custom bus the rule is on; undefined = the default bus (the metric then has no bus dimension). */
  readonly eventBus?: IEventBus;
}

export interface EventAlarmsProps {
  /** Deployment stage, for descriptions. */
  readonly stage: string;
  /** Where the alarms notify, when they fire and when they recover. */
  readonly topic: ITopic;
  readonly queues: readonly WatchedQueue[];
  readonly rules: readonly WatchedRule[];
  /** The bus whose publishers' given-up events (`publishFailuresMetric`) are alarmed. */
  readonly eventBus: IEventBus;
}

const period = Duration.minutes(5);

/**
 * Alarms on what the event pipeline failed to do, each firing on the first occurrence:
 *
 * - `<Queue>Depth`: a dead-letter or failure queue holds a message
 *   (`ApproximateNumberOfMessagesVisible`, maximum over 5 minutes, above 0). It stays in alarm
 *   until the queue is drained (redriven or purged), so a failure cannot be forgotten.
 * - `<Rule>FailedInvocations`: EventBridge failed to invoke a rule's target permanently
 *   (`AWS/Events` `FailedInvocations`, sum over 5 minutes, above 0), with dimensions `RuleName`
 *   and, for a custom bus, `EventBusName`.
 * - `<Rule>DlqDeliveryFailures`: EventBridge could not put an event that failed on the rule's
 *   dead-letter queue (`InvocationsFailedToBeSentToDlq`, same dimensions): the event is lost.
 *
 * - `PublishFailures`: a publisher (gateway, webhooks, consumers, jobs) gave up on events after
 *   its retries (`MangaAssist/Events` `PublishFailures`, dimension `EventBusName`).
 *
 * Missing data is not breaching: EventBridge publishes `FailedInvocations` only when it is not
 * zero, and SQS stops publishing for an empty idle queue.
 */
export class EventAlarms extends Construct {
  readonly queueDepth: Readonly<Record<string, Alarm>>;
  readonly failedInvocations: Readonly<Record<string, Alarm>>;
  /** Events the platform's publishers gave up on (PutEvents failures after retries). */
  readonly publishFailures: Alarm;
  /** Per rule: events that could not be put on its dead-letter queue, and so are lost. */
  readonly lostInvocations: Readonly<Record<string, Alarm>>;

  constructor(scope: Construct, id: string, props: EventAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const alarm = (alarmId: string, description: string, metric: Metric): Alarm =>
      notifyingAlarm(this, alarmId, { stage: props.stage, description, metric, action });

    const queueDepth: Record<string, Alarm> = {};
    for (const watched of props.queues) {
      queueDepth[watched.name] = alarm(
        `${watched.name}Depth`,
        `${watched.description} are waiting in a dead-letter queue: inspect, fix the cause, redrive`,
        watched.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period }),
      );
    }
    const failedInvocations: Record<string, Alarm> = {};
    const lostInvocations: Record<string, Alarm> = {};
    for (const watched of props.rules) {
      const ruleMetric = (metricName: string) =>
        new Metric({
          namespace: 'AWS/Events',
          metricName,
          dimensionsMap: {
            RuleName: watched.rule.ruleName,
            ...(watched.eventBus ? { EventBusName: watched.eventBus.eventBusName } : {}),
          },
          statistic: 'Sum',
          period,
        });
      failedInvocations[watched.name] = alarm(
        `${watched.name}FailedInvocations`,
        `EventBridge failed to invoke a target of rule ${watched.name} after its retries`,
        ruleMetric('FailedInvocations'),
      );
      lostInvocations[watched.name] = alarm(
        `${watched.name}DlqDeliveryFailures`,
        `EventBridge could not put failed events of rule ${watched.name} on their dead-letter queue (its policy, key or size): those events are lost`,
        ruleMetric('InvocationsFailedToBeSentToDlq'),
      );
    }
    this.publishFailures = alarm(
      'PublishFailures',
      "events were not accepted by the platform's bus after the publishers' retries (PutEvents failures; the logs of the function that published say which)",
      new Metric({
        namespace: publishFailuresMetric.namespace,
        metricName: publishFailuresMetric.name,
        dimensionsMap: { EventBusName: props.eventBus.eventBusName },
        statistic: 'Sum',
        period,
      }),
    );
    this.queueDepth = queueDepth;
    this.failedInvocations = failedInvocations;
    this.lostInvocations = lostInvocations;
  }
}
