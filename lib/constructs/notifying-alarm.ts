import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

export interface NotifyingAlarmOptions {
  /** Deployment stage: the description starts `MangaAssist <stage>: `. */
  readonly stage: string;
  /** What the alarm means and what to do about it. */
  readonly description: string;
  readonly metric: IMetric;
  /**
   * The alarm fires when one period's value is above this.
   * @default 0 - any occurrence
   */
  readonly threshold?: number;
  /** Told when the alarm fires and when it is OK again (the stage's alarm topic). */
  readonly action: IAlarmAction;
}

/**
 * An alarm on one period of `metric` above `threshold`, missing data counting as fine, that
 * notifies `action` when it fires and when it recovers: the shape of every MangaAssist alarm on a
 * count of bad things (failed executions, DLQ depth, error answers).
 */
export function notifyingAlarm(scope: Construct, id: string, options: NotifyingAlarmOptions): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmDescription: `MangaAssist ${options.stage}: ${options.description}`,
    metric: options.metric,
    threshold: options.threshold ?? 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(options.action);
  alarm.addOkAction(options.action);
  return alarm;
}
