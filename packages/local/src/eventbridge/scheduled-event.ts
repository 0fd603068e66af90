const units: Readonly<Record<string, number>> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * The interval of a `rate(<value> <unit>)` schedule expression in milliseconds
 * (`rate(6 hours)` -> 21 600 000), or `undefined` for any other expression (a `cron(…)` the
 * local runner does not interpret). EventBridge wants the singular unit for 1 and the plural
 * otherwise; both are accepted here.
 */
export function scheduleIntervalMs(expression: string): number | undefined {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression.trim());
  const value = Number(rate?.[1]);
  const unit = units[rate?.[2] ?? ''];
  if (unit === undefined || !Number.isSafeInteger(value) || value < 1) return undefined;
  return value * unit;
}

/**
 * The envelope EventBridge delivers to a scheduled rule's targets: `source: aws.events`,
 * `detail-type: Scheduled Event`, the rule's ARN as the only resource, an empty detail.
 */
export function scheduledEventFields(ruleArn: string): {
  readonly source: 'aws.events';
  readonly detailType: 'Scheduled Event';
  readonly resources: readonly [string];
  readonly detail: Readonly<Record<string, never>>;
} {
  return { source: 'aws.events', detailType: 'Scheduled Event', resources: [ruleArn], detail: {} };
}
