import type { StateMachine } from 'aws-local-stepfunctions';
import type { TaskKind } from './local-definition.js';

/** A JSON value as aws-local-stepfunctions passes and takes it. */
export type JsonValue = Parameters<StateMachine['run']>[0];

/** What a local Task handler is told besides its input. */
export interface LocalTaskContext {
  /**
   * Aborts when the execution is stopped (`LocalStateMachines.stop`), times out or ends while the
   * handler still runs (a Map iteration left behind by a failed sibling): stop the work. The
   * execution no longer waits for the handler, and its outcome is discarded.
   */
  readonly signal: AbortSignal;
  readonly executionId: string;
  /** The Task state the handler stands in for (state names are unique machine-wide). */
  readonly stateName: string;
}

/**
 * Stands in for one Task state's resource in `pnpm dev`. It gets the state's effective input
 * (after InputPath and Parameters, as a copy it may change) and resolves with the task's result
 * (before ResultSelector, ResultPath and OutputPath), which must be JSON-serialisable (it is
 * serialised as on the wire: `undefined` becomes `null`, a `Date` a string).
 *
 * For a Lambda resource the handler is the function: with `arn:aws:states:::lambda:invoke` it
 * gets the `Payload` and its result becomes `{ ExecutedVersion, Payload, StatusCode }`.
 *
 * To fail, throw: the error's `name` is the ASL error name Retry and Catch match (an `Error`
 * named `'ModelThrottled'` matches `"ErrorEquals": ["ModelThrottled"]`; a plain `Error` is
 * `"Error"`; `States.ALL` matches any, `States.TaskFailed` any but a timeout). For a Lambda resource the Cause is
 * the Lambda runtime's JSON, `{"errorMessage","errorType","trace"}`; otherwise the message.
 */
export type LocalTaskHandler = (input: unknown, context: LocalTaskContext) => Promise<unknown>;

/**
 * Handed to the library in place of a task's outcome once the execution is stopped. The library
 * reads `isRetryable` and `isCatchable` off the errors it sees (its own RuntimeError contract),
 * so no Retry or Catch runs the state, or anything after it, again: without this a Retry waiting
 * when the execution was aborted calls the handler again at once (the wait ends on abort).
 */
export class ExecutionStoppedError extends Error {
  override readonly name = 'ExecutionStoppedError';
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(executionId: string) {
    super(`execution ${executionId} is no longer running`);
  }
}

/**
 * A task's failure as the library matches it: `name` is the ASL error name, `message` the Cause.
 * Built afresh from what the handler threw so that the library sees a string Cause (it prefers
 * an error's `cause` property, which may be any object) and no `isRetryable` of the handler's.
 */
export class TaskFailedError extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/** Hooks of the execution a handler runs in. */
export interface TaskCallHooks {
  /** Called with every handler call, so that closing can wait for calls still running. */
  readonly track: (call: Promise<unknown>) => void;
  /** Called with what a failing handler threw (for the log: the stack is not in the history). */
  readonly failed: (thrown: unknown) => void;
}

/**
 * Wraps `handler` as the library's `taskResourceLocalHandlers` entry for one Task state of one
 * execution: copies and adapts the input, serialises the result, turns a throw into a
 * `TaskFailedError`, and refuses to run, or to report, once `context.signal` has aborted.
 */
export function localTask(
  handler: LocalTaskHandler,
  kind: TaskKind,
  context: LocalTaskContext,
  hooks: TaskCallHooks,
): (input: JsonValue) => Promise<JsonValue> {
  return async (input) => {
    if (context.signal.aborted) throw new ExecutionStoppedError(context.executionId);
    let call: Promise<unknown>;
    try {
      call = handler(handlerInput(kind, structuredClone(input)), context);
    } catch (thrown) {
      call = Promise.reject(thrown);
    }
    hooks.track(call);
    try {
      const result = await call;
      if (context.signal.aborted) throw new ExecutionStoppedError(context.executionId);
      return taskResult(kind, toJson(result));
    } catch (thrown) {
      if (thrown instanceof ExecutionStoppedError) throw thrown;
      if (context.signal.aborted) throw new ExecutionStoppedError(context.executionId);
      hooks.failed(thrown);
      throw taskFailure(thrown, kind);
    }
  };
}

/** The ASL error and Cause of what a handler threw. */
export function taskFailure(thrown: unknown, kind: TaskKind): TaskFailedError {
  // Already an ASL failure (SendTaskFailure's error and cause): as given.
  if (thrown instanceof TaskFailedError) return thrown;
  const errorType = thrown instanceof Error && thrown.name !== '' ? thrown.name : 'Error';
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  if (kind === 'other') return new TaskFailedError(errorType, errorMessage);
  const trace = thrown instanceof Error && thrown.stack !== undefined ? thrown.stack.split('\n') : [];
  return new TaskFailedError(errorType, JSON.stringify({ errorMessage, errorType, trace }));
}

function handlerInput(kind: TaskKind, input: JsonValue): unknown {
  if (kind !== 'lambda-invoke' && kind !== 'lambda-invoke-callback') return input;
  return typeof input === 'object' && input !== null && !Array.isArray(input) && input.Payload !== undefined
    ? input.Payload
    : {};
}

function taskResult(kind: TaskKind, result: JsonValue): JsonValue {
  return kind === 'lambda-invoke' ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
}

/** `value` as it would arrive over the wire; throws (a TypeError) on a BigInt or a cycle. */
function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}
