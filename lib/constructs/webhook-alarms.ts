import type { WebhookSource } from '@mangaassist/contracts';
import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { notifyingAlarm } from './notifying-alarm.js';
import type { WebhookReceiver } from './webhook-receivers.js';

export interface WebhookAlarmsProps {
  /** Deployment stage, for descriptions. */
  readonly stage: string;
  /** The receivers watched, each through its function URL. */
  readonly receivers: readonly WebhookReceiver[];
  /** Where the alarms notify, when they fire and when they recover. */
  readonly topic: ITopic;
  /**
   * 4xx answers of one URL in 5 minutes above which its alarm fires.
   * @default 25
   */
  readonly clientErrorsPer5Minutes?: number;
  /**
   * 5xx answers of one URL in 5 minutes above which its alarm fires.
   * @default 5
   */
  readonly serverErrorsPer5Minutes?: number;
}

/** The two alarms of one function URL. */
export interface FunctionUrlAlarms {
  readonly clientErrors: Alarm;
  readonly serverErrors: Alarm;
}

const period = Duration.minutes(5);

/**
 * Spike alarms on every webhook function URL, from the URL metrics Lambda publishes in
 * `AWS/Lambda` (`Url4xxCount`, `Url5xxCount`, Sum over 5 minutes) with the dimensions of the
 * `live` alias the URL points at (`FunctionName`, `Resource` = `<function>:live`):
 *
 * - `<Source>ClientErrors`: many refusals: a partner signing with a secret we do not hold (a
 *   rotation done on one side only), someone probing the URL, or a partner sending payloads
 *   that no longer match the contract;
 * - `<Source>ServerErrors`: deliveries failing on our side (a malformed secret, the idempotency
 *   table, the bus): the partner retries them, so the alarm is about the backlog growing.
 *
 * Missing data (no deliveries) is not breaching.
 */
export class WebhookAlarms extends Construct {
  readonly alarms: Readonly<Partial<Record<WebhookSource, FunctionUrlAlarms>>>;

  constructor(scope: Construct, id: string, props: WebhookAlarmsProps) {
    super(scope, id);
    const clientThreshold = props.clientErrorsPer5Minutes ?? 25;
    const serverThreshold = props.serverErrorsPer5Minutes ?? 5;
    const action = new SnsAction(props.topic);
    const alarms: Partial<Record<WebhookSource, FunctionUrlAlarms>> = {};
    for (const receiver of props.receivers) {
      const name = pascalCase(receiver.source);
      const sum = (metricName: string) => receiver.alias.metric(metricName, { statistic: 'Sum', period });
      const alarm = (alarmId: string, metricName: string, threshold: number, what: string) =>
        notifyingAlarm(this, alarmId, {
          stage: props.stage,
          description: `more than ${threshold} ${what} from the ${receiver.source} webhook URL in 5 minutes`,
          metric: sum(metricName),
          threshold,
          action,
        });
      alarms[receiver.source] = {
        clientErrors: alarm(`${name}ClientErrors`, 'Url4xxCount', clientThreshold, '4xx answers'),
        serverErrors: alarm(`${name}ServerErrors`, 'Url5xxCount', serverThreshold, '5xx answers'),
      };
    }
    this.alarms = alarms;
  }
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
