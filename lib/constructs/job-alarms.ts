import { byPriority, type JobPriority } from '@mangaassist/contracts';
import { Duration } from 'aws-cdk-lib';
import type { Alarm, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { notifyingAlarm } from './notifying-alarm.js';
import { pascalCase } from './pascal-case.js';

export interface JobAlarmsProps {
  /** Deployment stage, for descriptions. */
  readonly stage: string;
  /** Where the alarms notify, when they fire and when they recover. */
  readonly topic: ITopic;
  /** Each priority lane's queue and dead-letter queue. */
  readonly lanes: Readonly<Record<JobPriority, { readonly queue: IQueue; readonly deadLetters: IQueue }>>;
  /** The job workflow. */
  readonly stateMachine: IStateMachine;
  /** The safety net's dead-letter queue (status changes neither delivered nor handled). */
  readonly safetyNetDeadLetters: IQueue;
  /** The callback queue and its dead-letter queue (callbacks out of attempts). */
  readonly callbacks: { readonly queue: IQueue; readonly deadLetters: IQueue };
  /** The job notification rule's dead-letter queue (events not published to the topic). */
  readonly notificationDeadLetters: IQueue;
  /**
   * Age of a lane's oldest queued job, seconds, above which its alarm fires.
   * @default 900
   */
  readonly queueAgeSeconds?: number;
  /**
   * Age of the oldest callback still on its first attempts, seconds, above which its alarm fires.
   * @default 32400 - 9 hours: the longest retry wait (8 h) and an hour
   */
  readonly callbackAgeSeconds?: number;
}

const period = Duration.minutes(5);

/**
 * Alarms on the document jobs, each evaluated over 5 minutes and notifying `topic` when it fires
 * and when it recovers; missing data (no traffic) is not breaching:
 *
 * - `<Lane>QueueAge`: a lane's oldest queued job (`ApproximateAgeOfOldestMessage`, maximum) is
 *   older than `queueAgeSeconds`: the starter is failing, throttled or short of concurrency, and
 *   jobs wait instead of running.
 * - `<Lane>DeadLetters`: a queued job could not be started `maxReceiveCount` times and is in the
 *   lane's dead-letter queue (stays in alarm until redriven or purged; the job itself stays
 *   `queued` until then).
 * - `SafetyNetDeadLetters`: an ended execution's status change was neither delivered to nor
 *   handled by the safety net: its job may be stuck `running`.
 * - `ExecutionsFailed`: an execution failed. Every failed job ends its execution in the ASL's
 *   Fail state, including failures of the customer's making (a rejected document, a spent
 *   budget): read the job's error before the steps function's logs.
 * - `ExecutionsTimedOut`: an execution ran past the workflow's time limit.
 * - `CallbackQueueAge`: the callback queue's oldest message (`ApproximateAgeOfOldestMessage`,
 *   maximum) is older than `callbackAgeSeconds`. SQS leaves a message received three times or
 *   more out of that metric, so callbacks waiting out their retry schedule (a tenant's endpoint
 *   down) do not raise it; callbacks not being attempted at all do: the deliverer is failing
 *   before it receives, disabled, or short of concurrency.
 * - `CallbackDeadLetters`: a callback was not delivered in its 13 attempts (24 hours) and is in
 *   the callback dead-letter queue: the tenant's endpoint kept failing, or the tenant still has
 *   no callback secret. Redrive once the cause is fixed (the job and its result stay for 30 days).
 * - `NotificationDeadLetters`: EventBridge could not publish `JobCompleted` or `JobFailed` to the
 *   job notification topic after its retries (a key or topic policy change, say).
 */
export class JobAlarms extends Construct {
  readonly queueAge: Readonly<Record<JobPriority, Alarm>>;
  readonly deadLetters: Readonly<Record<JobPriority, Alarm>>;
  readonly safetyNetDeadLetters: Alarm;
  readonly executionsFailed: Alarm;
  readonly executionsTimedOut: Alarm;
  readonly callbackQueueAge: Alarm;
  readonly callbackDeadLetters: Alarm;
  readonly notificationDeadLetters: Alarm;
  private readonly action: SnsAction;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: JobAlarmsProps) {
    super(scope, id);
    this.action = new SnsAction(props.topic);
    this.stage = props.stage;
    const maxAgeSeconds = props.queueAgeSeconds ?? 900;
    this.queueAge = byPriority((priority) => {
      const name = pascalCase(priority);
      return this.alarm(`${name}QueueAge`, {
        description: `a ${priority}-priority document job has waited more than ${maxAgeSeconds} s to start (the job starter is failing, throttled or short of concurrency)`,
        metric: props.lanes[priority].queue.metricApproximateAgeOfOldestMessage({
          statistic: 'Maximum',
          period,
        }),
        threshold: maxAgeSeconds,
      });
    });
    this.deadLetters = byPriority((priority) => {
      const name = pascalCase(priority);
      return this.alarm(`${name}DeadLetters`, {
        description: `${priority}-priority document jobs the starter could not start are waiting in their dead-letter queue (the jobs stay queued): inspect the starter's logs, fix the cause, redrive`,
        metric: props.lanes[priority].deadLetters.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period,
        }),
        threshold: 0,
      });
    });
    this.safetyNetDeadLetters = this.alarm('SafetyNetDeadLetters', {
      description:
        'status changes of ended document job executions were not handled (their jobs may stay running): inspect the safety net function, fix the cause, redrive',
      metric: props.safetyNetDeadLetters.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period,
      }),
      threshold: 0,
    });
    this.executionsFailed = this.alarm('ExecutionsFailed', {
      description:
        "document job executions failed: the job's error says why (a rejected document or a spent budget is the customer's; anything else, see the steps function's logs)",
      metric: props.stateMachine.metricFailed({ statistic: 'Sum', period }),
      threshold: 0,
    });
    this.executionsTimedOut = this.alarm('ExecutionsTimedOut', {
      description: 'document job executions ran past the workflow’s time limit (their jobs were failed)',
      metric: props.stateMachine.metricTimedOut({ statistic: 'Sum', period }),
      threshold: 0,
    });
    const callbackAgeSeconds = props.callbackAgeSeconds ?? 32_400;
    this.callbackQueueAge = this.alarm('CallbackQueueAge', {
      description: `a document job callback has waited more than ${callbackAgeSeconds} s for its first attempts (the callback deliverer is failing, disabled or short of concurrency)`,
      metric: props.callbacks.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period }),
      threshold: callbackAgeSeconds,
    });
    this.callbackDeadLetters = this.alarm('CallbackDeadLetters', {
      description:
        "document job callbacks were not delivered in 24 hours and wait in their dead-letter queue: read the deliverer's logs (the tenant's endpoint failing, or no callback secret for the tenant), fix the cause, redrive",
      metric: props.callbacks.deadLetters.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period,
      }),
      threshold: 0,
    });
    this.notificationDeadLetters = this.alarm('NotificationDeadLetters', {
      description:
        'JobCompleted or JobFailed events could not be published to the job notification topic and wait in its dead-letter queue: check the topic, its key and the rule’s role, then redrive',
      metric: props.notificationDeadLetters.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period,
      }),
      threshold: 0,
    });
  }

  private alarm(id: string, options: { description: string; metric: IMetric; threshold: number }): Alarm {
    return notifyingAlarm(this, id, { ...options, stage: this.stage, action: this.action });
  }
}
