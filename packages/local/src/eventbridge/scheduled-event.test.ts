import { describe, expect, it } from 'vitest';
import { scheduledEventFields, scheduleIntervalMs } from './scheduled-event.js';

describe('scheduleIntervalMs', () => {
  it.each([
    ['rate(6 hours)', 21_600_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 day)', 86_400_000],
  ])('reads %s as %i ms', (expression, ms) => {
    expect(scheduleIntervalMs(expression)).toBe(ms);
  });

  it.each(['cron(0 */6 * * ? *)', 'rate(0 hours)', 'rate(6 weeks)', 'rate(-1 hours)', ''])(
    'cannot time %j',
    (expression) => {
      expect(scheduleIntervalMs(expression)).toBeUndefined();
    },
  );
});

describe('scheduledEventFields', () => {
  it('describes the event EventBridge sends a scheduled rule', () => {
    const arn = 'arn:aws:events:ap-northeast-1:000000000000:rule/recommendation-schedule';
    expect(scheduledEventFields(arn)).toEqual({
      source: 'aws.events',
      detailType: 'Scheduled Event',
      resources: [arn],
      detail: {},
    });
  });
});
