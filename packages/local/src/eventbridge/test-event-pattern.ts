import { EventBridgeServiceError } from './eventbridge-errors.js';
import { compileEventPattern, InvalidEventPatternError } from './patterns/event-pattern.js';

/** `TestEventPattern`'s answer: whether the event matches the pattern. */
export interface TestEventPatternResponse {
  readonly Result: boolean;
}

/** `EventPattern`'s length constraint in the API reference. */
const maxPatternLength = 4096;

/**
 * The envelope fields an `Event` must carry. The API reference also lists `resources`, but
 * EventBridge accepts an event without it (as LocalStack's tests against AWS record), so it is
 * not required here either.
 */
export const testEventRequiredFields = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

/**
 * Serves one `AWSEvents.TestEventPattern` request body as EventBridge does: `{ Result }` for
 * `{ EventPattern, Event }`, both JSON text, matched with EventBridge's semantics
 * (`compileEventPattern` from core).
 *
 * Errors (thrown as `EventBridgeServiceError`, all 400): a body that is not a JSON object or a
 * parameter that is not a string (`SerializationException`); a missing parameter or a pattern
 * over 4096 characters (`ValidationException`, "N validation error(s) detected: …"); a pattern
 * that is not JSON or that EventBridge refuses (`InvalidEventPatternException`, "Event pattern is
 * not valid. Reason: …"); an event that is not a JSON object or lacks an envelope field of
 * `testEventRequiredFields` (`ValidationException`, "Parameter Event is not valid." — what
 * EventBridge answers, not `InvalidEventPatternException`).
 */
export function testEventPattern(body: unknown): TestEventPatternResponse {
  if (!isRecord(body)) {
    throw new EventBridgeServiceError('SerializationException', 'The request body is not a JSON object.');
  }
  const { EventPattern: patternText, Event: eventText } = body;
  const violations = [
    ...(patternText === undefined || patternText === null ? [notNull('eventPattern')] : []),
    ...(eventText === undefined || eventText === null ? [notNull('event')] : []),
    ...(typeof patternText === 'string' && patternText.length > maxPatternLength
      ? [
          `Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${maxPatternLength}`,
        ]
      : []),
  ];
  if (violations.length > 0) {
    const count = violations.length === 1 ? '1 validation error' : `${violations.length} validation errors`;
    throw new EventBridgeServiceError('ValidationException', `${count} detected: ${violations.join('; ')}`);
  }
  if (typeof patternText !== 'string' || typeof eventText !== 'string') {
    throw new EventBridgeServiceError('SerializationException', 'EventPattern and Event must be strings.');
  }

  const matches = compile(patternText);
  const event = parseJson(eventText);
  if (!isRecord(event) || !testEventRequiredFields.every((field) => Object.hasOwn(event, field))) {
    throw new EventBridgeServiceError('ValidationException', 'Parameter Event is not valid.');
  }
  return { Result: matches(event) };
}

function compile(patternText: string): (event: unknown) => boolean {
  const parsed = parseJson(patternText);
  try {
    if (parsed === invalidJson) throw new InvalidEventPatternError('Filter is not valid JSON');
    return compileEventPattern(parsed);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new EventBridgeServiceError('InvalidEventPatternException', error.message);
    }
    throw error;
  }
}

const invalidJson = Symbol('invalid JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return invalidJson;
  }
}

const notNull = (member: string) =>
  `Value null at '${member}' failed to satisfy constraint: Member must not be null`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
