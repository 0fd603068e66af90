import { describe, expect, it } from 'vitest';
import { EventBridgeServiceError } from './eventbridge-errors.js';
import { testEventPattern } from './test-event-pattern.js';

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'ModerationFlagged',
    source: 'mangaassist.ai',
    account: '123456789012',
    time: '2026-01-31T09:00:00Z',
    region: 'ap-northeast-1',
    resources: [],
    detail: { severity: 'high' },
    ...overrides,
  };
}

const severityPattern = { source: ['mangaassist.ai'], detail: { severity: ['high', 'critical'] } };

function request(pattern: unknown = severityPattern, event: unknown = envelope()) {
  return { EventPattern: JSON.stringify(pattern), Event: JSON.stringify(event) };
}

function refusal(body: unknown): EventBridgeServiceError {
  try {
    testEventPattern(body);
  } catch (error) {
    if (error instanceof EventBridgeServiceError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('testEventPattern', () => {
  it('answers whether the event matches, with EventBridge semantics', () => {
    expect(testEventPattern(request())).toEqual({ Result: true });
    expect(testEventPattern(request(severityPattern, envelope({ detail: { severity: 'low' } })))).toEqual({
      Result: false,
    });
    expect(
      testEventPattern(
        request({ detail: { score: [{ numeric: ['>', 0.5] }] } }, envelope({ detail: { score: 0.75 } })),
      ),
    ).toEqual({ Result: true });
  });

  it('accepts an event without resources, as EventBridge does despite its reference', () => {
    const { resources: _resources, ...withoutResources } = envelope();
    expect(testEventPattern(request(severityPattern, withoutResources))).toEqual({ Result: true });
  });

  it('refuses a pattern EventBridge refuses with InvalidEventPatternException', () => {
    const error = refusal(request({ detail: { severity: 'high' } }));
    expect(error.errorType).toBe('InvalidEventPatternException');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^Event pattern is not valid\. Reason: /);
  });

  it('refuses a pattern that is not JSON with InvalidEventPatternException', () => {
    const error = refusal({ EventPattern: '{"source": [', Event: JSON.stringify(envelope()) });
    expect(error.errorType).toBe('InvalidEventPatternException');
  });

  it.each(['id', 'account', 'source', 'time', 'region', 'detail-type'])(
    'refuses an event without %s as EventBridge does: ValidationException "Parameter Event is not valid."',
    (field) => {
      const event = envelope();
      delete event[field];
      const error = refusal(request(severityPattern, event));
      expect(error.errorType).toBe('ValidationException');
      expect(error.status).toBe(400);
      expect(error.message).toBe('Parameter Event is not valid.');
    },
  );

  it('refuses an event that is not a JSON object', () => {
    expect(refusal({ EventPattern: JSON.stringify(severityPattern), Event: '[1]' }).errorType).toBe(
      'ValidationException',
    );
    expect(refusal({ EventPattern: JSON.stringify(severityPattern), Event: 'nope' }).errorType).toBe(
      'ValidationException',
    );
  });

  it('names every missing parameter in one ValidationException', () => {
    const error = refusal({});
    expect(error.errorType).toBe('ValidationException');
    expect(error.message).toBe(
      "2 validation errors detected: Value null at 'eventPattern' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'event' failed to satisfy constraint: Member must not be null",
    );
  });

  it('refuses a pattern longer than 4096 characters', () => {
    const long = { source: ['x'.repeat(4096)] };
    const error = refusal(request(long));
    expect(error.errorType).toBe('ValidationException');
    expect(error.message).toMatch(/length less than or equal to 4096/);
  });

  it('refuses parameters that are not strings with a SerializationException', () => {
    expect(refusal({ EventPattern: severityPattern, Event: envelope() }).errorType).toBe(
      'SerializationException',
    );
    expect(refusal('text').errorType).toBe('SerializationException');
  });
});
