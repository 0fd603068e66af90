// The local stand-in for AWS Step Functions that `pnpm dev` runs the platform's state machines on:
// the ASL CDK deploys, interpreted in process by aws-local-stepfunctions 3, with every Task state
// overridden by a local handler. What was checked against the library's source and what differs
// from AWS:
// - Task overrides are keyed by state name and reach Task states inside a Map's ItemProcessor
//   (and Parallel branches): nested machines run with the root's overrides. asl-validator refuses
//   a name used twice anywhere in a definition, so a name picks exactly one state.
// - Retry and Catch match an error by its `name` exactly, `States.ALL` anything, and
//   `States.TaskFailed` anything a Task throws but a timeout: a handler's `Error` named
//   'ModelThrottled' is ASL error ModelThrottled, a plain `Error` is "Error". That is also what
//   the Lambda runtime reports as errorType. The library's Cause is the message; for Lambda
//   resources this runtime makes it the Lambda runtime's JSON instead (task-handlers.ts).
// - Retry waits (IntervalSeconds, BackoffRate, MaxDelaySeconds, JitterStrategy) are computed as
//   on AWS; the library's `retryIntervalOverrides` replace the wait by one fixed number, losing
//   the backoff, so this runtime scales the numbers in its copy of the definition instead.
// - `abort()` settles the execution at once and closes its event log, but a running handler gets
//   no signal and runs on; a Retry waiting at the time calls the handler again at once, and Map
//   iterations still queued start. Handlers here get their own AbortSignal, and a handler called
//   after the stop is refused with an error the library may neither retry nor catch.
// - MaxConcurrency holds while the Map runs; once an iteration fails the Map aborts the running
//   ones (their handlers run on) and the queued ones still start, so for a moment more handlers
//   than MaxConcurrency can run. On AWS the rest of the Map stops.
// - A Task without TimeoutSeconds times out after 60 s in the library (AWS: no limit); this
//   runtime gives it the longest Node.js timer (about 24.8 days). HeartbeatSeconds is ignored.
// - A callback Task (`lambda:invoke.waitForTaskToken`) gets a fresh token where its Parameters say
//   `$$.Task.Token` (the library has none), and waits for `sendTaskSuccess` / `sendTaskFailure`.
//   A token is forgotten when its execution ends, not when its state times out or is retried: an
//   old token then still completes nothing but is not refused (AWS: TaskTimedOut).
// - A Distributed Map checks its failure tolerance once every child has run (AWS stops the Map
//   run as soon as the tolerance is exceeded), and counts failed children, not failed items.
// - A Pass state's falsy Result (0, false, "", null) is ignored: the input passes through.
// - Inside a Map iteration `$$.Execution.Input` is the item, not the execution's input.
// - asl-validator accepts JSONata and variables (Assign), which the library ignores; this runtime
//   refuses such definitions (local-definition.ts).
// - The library runs a Distributed Map as an inline one, ignoring its reader, batcher and failure
//   tolerance; this runtime runs it itself (distributed-map.ts): items from an S3 object through
//   `objects`, one child execution per item or batch, listed as `<machine>/<Map state>`.
// - Execution names are remembered only while the execution is in the history (AWS: 90 days).

import { randomUUID } from 'node:crypto';
import { type Logger, silentLogger, utf8ByteLength } from '@mangaassist/commons';
import { ExecutionError, ExecutionTimeoutError, type RunOptions } from 'aws-local-stepfunctions';
import { type ChildOutcome, type LocalObjectReader, runDistributedMap } from './distributed-map.js';
import {
  BoundedEventLog,
  type LibraryEvent,
  type ListedExecutionEvent,
  listedEvent,
  payloadForListing,
  textForListing,
} from './execution-events.js';
import {
  localTaskTokenPlaceholder,
  type PreparedDefinition,
  type PreparedDistributedMap,
  prepareDefinition,
} from './local-definition.js';
import { type JsonValue, type LocalTaskHandler, localTask, TaskFailedError } from './task-handlers.js';

/** The status of an execution, as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** A state machine `pnpm dev` runs: its deployed ASL and a handler for each Task state. */
export interface LocalStateMachineDefinition {
  /** The state machine's name, as in its ARN: 1–80 characters, none of AWS's forbidden ones. */
  readonly name: string;
  /** The ASL definition, the same JSON CDK deploys (JSONPath; not JSONata). */
  readonly definition: object;
  /**
   * Task state name -> its local handler, for every Task state of the definition, those inside
   * Map item processors and Parallel branches included (state names are unique machine-wide).
   */
  readonly tasks: Readonly<Record<string, LocalTaskHandler>>;
}

export interface LocalStateMachinesOptions {
  /** The machines to start with; `add` adds more. @default [] */
  readonly machines?: readonly LocalStateMachineDefinition[];
  /** Executions kept; beyond, the oldest finished ones are forgotten (counted in `dropped`). @default 100 */
  readonly historyLimit?: number;
  /** Events kept per execution: its first half and its latest half. @default 200 */
  readonly maxEventsPerExecution?: number;
  /** A payload or cause in the listing is cut to this many UTF-8 bytes. @default 2048 */
  readonly maxPayloadBytes?: number;
  /**
   * Retry waits are multiplied by this, so that a Retry with IntervalSeconds 2 waits 20 ms
   * locally (backoff kept): retries are seen quickly. 1 keeps AWS's waits. @default 0.01
   */
  readonly retryIntervalScale?: number;
  /** Receives finished executions (failures as warnings) and handler errors. @default silentLogger */
  readonly logger?: Logger;
  /** Start, stop and event times. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Where a Distributed Map's ItemReader reads its S3 object (`pnpm dev`: the documents bucket).
   * @default - none: such a Map fails with States.ItemReaderFailed
   */
  readonly objects?: LocalObjectReader;
}

/** Options of `LocalStateMachines.start`. */
export interface StartOptions {
  /** The execution's name, unique per state machine. @default a random UUID */
  readonly name?: string;
}

/** An execution as DescribeExecution reports it (payloads as values, not JSON text). */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachine: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: unknown;
  /** When SUCCEEDED. */
  readonly output?: unknown;
  /** When FAILED (the ASL error name) or TIMED_OUT (`States.Timeout`). */
  readonly error?: string;
  /** When FAILED, or ABORTED by a `stop` that gave one. */
  readonly cause?: string;
}

/** One execution as `GET /_local/executions` lists it. */
export interface ListedExecution {
  readonly executionArn: string;
  readonly stateMachine: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  /** ISO 8601. */
  readonly startDate: string;
  readonly stopDate?: string;
  /** Truncated (`TruncatedPayload`) when large, as are `output` and the events' payloads. */
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** Oldest first. */
  readonly events: readonly ListedExecutionEvent[];
  /** Events between the first and the latest ones kept, recorded but not listed. */
  readonly eventsDropped: number;
}

/** The body of `GET /_local/executions`. */
export interface ExecutionListing {
  /** Newest first. */
  readonly executions: readonly ListedExecution[];
  /** Finished executions forgotten, over `historyLimit`, since the runtime started. */
  readonly dropped: number;
}

/** `start` with a name that an execution of the machine in the history already has (ExecutionAlreadyExists). */
export class ExecutionAlreadyExistsError extends Error {
  override readonly name = 'ExecutionAlreadyExistsError';

  constructor(readonly executionArn: string) {
    super(`execution already exists: ${executionArn}`);
  }
}

/** `start` of a machine the runtime was not given (StateMachineDoesNotExist). */
export class StateMachineDoesNotExistError extends Error {
  override readonly name = 'StateMachineDoesNotExistError';

  constructor(readonly machine: string) {
    super(`state machine does not exist: ${machine}`);
  }
}

/** A state machine or execution name AWS would refuse (InvalidName). */
export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
}

/** `start` with an input that is not JSON or is over 256 KiB (InvalidExecutionInput). */
export class InvalidExecutionInputError extends Error {
  override readonly name = 'InvalidExecutionInputError';
}

/** `sendTaskSuccess` or `sendTaskFailure` with a token no running state waits on (TaskDoesNotExist). */
export class TaskDoesNotExistError extends Error {
  override readonly name = 'TaskDoesNotExistError';

  constructor() {
    super('no running task state waits on this task token');
  }
}

/** `start` after `close`. */
export class LocalStateMachinesClosedError extends Error {
  override readonly name = 'LocalStateMachinesClosedError';

  constructor() {
    super('the local state machines are closed: start refused');
  }
}

/** Step Functions' limit on an execution's input. */
const maxInputBytes = 256 * 1024;

const arnPrefix = 'arn:aws:states:local:000000000000';

interface Machine {
  readonly name: string;
  readonly prepared: PreparedDefinition;
  readonly tasks: Readonly<Record<string, LocalTaskHandler>>;
}

interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachine: string;
  readonly name: string;
  readonly input: JsonValue;
  /** As given to `start`, to tell a repeated start (same input) from a clash. */
  readonly inputText: string;
  readonly startDate: Date;
  readonly controller: AbortController;
  readonly events: BoundedEventLog;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: JsonValue;
  error?: string;
  cause?: string;
  /** The library's abort; a no-op until the run has started. */
  abortRun: () => void;
  /** Settles (never rejects) once the outcome is known and every event recorded. */
  done: Promise<void>;
}

/**
 * The platform's state machines, run in process for `pnpm dev` with the ASL CDK deploys
 * (aws-local-stepfunctions 3), each Task state overridden by a local handler. An API shaped like
 * Step Functions' (StartExecution, StopExecution, DescribeExecution) plus the history listing
 * for `GET /_local/executions`.
 *
 * Definitions are checked when constructed (asl-validator; a handler for exactly each Task state;
 * no feature the library ignores): the `InvalidStateMachineDefinitionError` names the machine.
 * An execution's failure never throws out of this class and never becomes an unhandled
 * rejection: it is the execution's status, error and cause. Retry waits are scaled down
 * (`retryIntervalScale`). The history keeps `historyLimit` executions: the oldest finished ones
 * are forgotten first (a running one never), with their names.
 *
 * @example
 * const machines = new LocalStateMachines({
 *   machines: [{ name: 'document-job', definition: documentJobAsl, tasks: { ChunkDocument: chunk, Summarise: summarise } }],
 * });
 * const id = machines.start('document-job', { jobId: 'j-1' });
 * await machines.finished(id); // { status: 'SUCCEEDED', output: …, … }
 * machines.listing(); // { executions: [{ executionArn: id, status: 'SUCCEEDED', events: [...], … }], dropped: 0 }
 * await machines.close();
 */
export class LocalStateMachines {
  readonly #machines = new Map<string, Machine>();
  /** Oldest first: Map keeps insertion order. */
  readonly #executions = new Map<string, ExecutionRecord>();
  /** Handler calls not yet settled, with those of finished executions. */
  readonly #calls = new Set<Promise<unknown>>();
  readonly #historyLimit: number;
  readonly #maxEventsPerExecution: number;
  readonly #maxPayloadBytes: number;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #retryIntervalScale: number;
  readonly #objects: LocalObjectReader | undefined;
  /** Callback Task states waiting on their token (`.waitForTaskToken`). */
  readonly #callbacks = new Map<
    string,
    { resolve: (output: unknown) => void; reject: (error: Error) => void }
  >();
  #dropped = 0;
  #mapRuns = 0;
  #closed = false;

  /** @throws InvalidStateMachineDefinitionError, InvalidNameError, RangeError (an option out of range). */
  constructor(options: LocalStateMachinesOptions) {
    this.#historyLimit = positiveInteger('historyLimit', options.historyLimit ?? 100);
    this.#maxEventsPerExecution = positiveInteger(
      'maxEventsPerExecution',
      options.maxEventsPerExecution ?? 200,
    );
    this.#maxPayloadBytes = positiveInteger('maxPayloadBytes', options.maxPayloadBytes ?? 2048);
    const scale = options.retryIntervalScale ?? 0.01;
    if (!(scale >= 0 && Number.isFinite(scale))) {
      throw new RangeError(`retryIntervalScale must be a finite number >= 0, got ${scale}`);
    }
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? (() => new Date());
    this.#retryIntervalScale = scale;
    this.#objects = options.objects;
    for (const machine of options.machines ?? []) this.add(machine);
  }

  /**
   * Adds a state machine (CreateStateMachine), to be started by its name.
   *
   * @throws InvalidStateMachineDefinitionError, InvalidNameError (an invalid name, or one already
   *   added), LocalStateMachinesClosedError.
   */
  add({ name, definition, tasks }: LocalStateMachineDefinition): void {
    if (this.#closed) throw new LocalStateMachinesClosedError();
    if (!isValidName(name)) throw new InvalidNameError(`invalid state machine name: ${JSON.stringify(name)}`);
    if (this.#machines.has(name)) throw new InvalidNameError(`state machine "${name}" is given twice`);
    const prepared = prepareDefinition(name, definition, Object.keys(tasks), this.#retryIntervalScale);
    this.#machines.set(name, { name, prepared, tasks });
  }

  /**
   * Starts an execution (StartExecution) and returns its ARN,
   * `arn:aws:states:local:000000000000:execution:<machine>:<name>`. The execution runs on after
   * `start` returns. Starting again with the name of a running execution and the same input
   * returns the same ARN, as on AWS.
   *
   * @param input JSON; `undefined` is `{}`, as StartExecution without input.
   * @throws StateMachineDoesNotExistError, InvalidNameError, InvalidExecutionInputError,
   *   ExecutionAlreadyExistsError (the name of an execution in the history, finished or with
   *   another input), LocalStateMachinesClosedError.
   */
  start(machine: string, input: unknown, options: StartOptions = {}): string {
    if (this.#closed) throw new LocalStateMachinesClosedError();
    const target = this.#machines.get(machine);
    if (target === undefined) throw new StateMachineDoesNotExistError(machine);
    const name = options.name ?? randomUUID();
    if (!isValidName(name)) throw new InvalidNameError(`invalid execution name: ${JSON.stringify(name)}`);
    const inputText = executionInputText(input);
    const executionArn = `${arnPrefix}:execution:${machine}:${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.inputText === inputText) return executionArn;
      throw new ExecutionAlreadyExistsError(executionArn);
    }

    this.#launch(target, executionArn, name, inputText);
    this.#logger.debug('state machine execution started', { executionArn });
    return executionArn;
  }

  /** Records and runs an execution of `machine` (a child of a Distributed Map too). */
  #launch(machine: Machine, executionArn: string, name: string, inputText: string): ExecutionRecord {
    const record: ExecutionRecord = {
      executionArn,
      stateMachine: machine.name,
      name,
      input: JSON.parse(inputText),
      inputText,
      startDate: this.#now(),
      controller: new AbortController(),
      events: new BoundedEventLog(this.#maxEventsPerExecution),
      status: 'RUNNING',
      abortRun: () => {},
      done: Promise.resolve(),
    };
    this.#executions.set(executionArn, record);
    this.#forgetOldest();
    this.#run(machine, record);
    return record;
  }

  /**
   * Stops a running execution (StopExecution): it is ABORTED at once and its handlers' signals
   * abort. A handler still running is no longer waited for; what it returns or throws is
   * discarded. Returns false, changing nothing, for an unknown or finished execution.
   */
  stop(executionId: string, cause?: string): boolean {
    const record = this.#executions.get(executionId);
    if (record === undefined || record.status !== 'RUNNING') return false;
    record.status = 'ABORTED';
    record.stopDate = this.#now();
    if (cause !== undefined) record.cause = cause;
    record.controller.abort(new Error(`execution stopped${cause === undefined ? '' : `: ${cause}`}`));
    record.abortRun();
    this.#logger.info('state machine execution stopped', { executionArn: executionId, cause });
    this.#forgetOldest();
    return true;
  }

  /**
   * Completes the callback Task state waiting on `token` (SendTaskSuccess): `output` is its result.
   * @throws TaskDoesNotExistError when no running state waits on the token.
   */
  sendTaskSuccess(token: string, output: unknown): void {
    const waiting = this.#callbacks.get(token);
    if (waiting === undefined) throw new TaskDoesNotExistError();
    this.#callbacks.delete(token);
    waiting.resolve(output);
  }

  /**
   * Fails the callback Task state waiting on `token` (SendTaskFailure) with the ASL error `error`
   * (Retry and Catch see it) and `cause`.
   * @throws TaskDoesNotExistError when no running state waits on the token.
   */
  sendTaskFailure(token: string, error = 'Error', cause = ''): void {
    const waiting = this.#callbacks.get(token);
    if (waiting === undefined) throw new TaskDoesNotExistError();
    this.#callbacks.delete(token);
    waiting.reject(new TaskFailedError(error, cause));
  }

  /** The execution (DescribeExecution), or `undefined` when unknown or forgotten. */
  describe(executionId: string): ExecutionDescription | undefined {
    const record = this.#executions.get(executionId);
    return record === undefined ? undefined : description(record);
  }

  /**
   * The execution once it has finished and its events are recorded; `undefined` at once when
   * unknown. Never rejects.
   */
  async finished(executionId: string): Promise<ExecutionDescription | undefined> {
    const record = this.#executions.get(executionId);
    if (record === undefined) return undefined;
    await record.done;
    return description(record);
  }

  /** The history for `GET /_local/executions`: newest first, each with its events, payloads truncated. */
  listing(): ExecutionListing {
    const executions = [...this.#executions.values()].reverse().map((record): ListedExecution => {
      const listed: ListedExecution = {
        executionArn: record.executionArn,
        stateMachine: record.stateMachine,
        name: record.name,
        status: record.status,
        startDate: record.startDate.toISOString(),
        input: payloadForListing(record.input, this.#maxPayloadBytes),
        events: record.events.events(),
        eventsDropped: record.events.dropped,
      };
      return {
        ...listed,
        ...(record.stopDate === undefined ? {} : { stopDate: record.stopDate.toISOString() }),
        ...(record.output === undefined
          ? {}
          : { output: payloadForListing(record.output, this.#maxPayloadBytes) }),
        ...(record.error === undefined ? {} : { error: record.error }),
        ...(record.cause === undefined ? {} : { cause: textForListing(record.cause, this.#maxPayloadBytes) }),
      };
    });
    return { executions, dropped: this.#dropped };
  }

  /**
   * Refuses further starts and resolves once every running execution has finished. Executions
   * still running after `timeoutMs` are stopped (ABORTED); handler calls still running are then
   * given `timeoutMs` more to settle after their signal, and are logged and left if they do not.
   * Never rejects.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.#closed = true;
    const running = [...this.#executions.values()].filter((record) => record.status === 'RUNNING');
    if (!(await settlesWithin(Promise.all(running.map((record) => record.done)), timeoutMs))) {
      for (const record of running) this.stop(record.executionArn, 'the local state machines were closed');
    }
    await Promise.all(running.map((record) => record.done));
    if (!(await settlesWithin(Promise.all(this.#calls), timeoutMs))) {
      this.#logger.warn('task handlers still running after their executions ended; left running', {
        handlers: this.#calls.size,
      });
    }
  }

  #run(machine: Machine, record: ExecutionRecord): void {
    const { executionArn, controller } = record;
    const handlers = Object.fromEntries(
      [...machine.prepared.tasks].map(([stateName, kind]) => {
        const handler = machine.tasks[stateName];
        // prepareDefinition refused a definition whose Task states lack a handler.
        if (handler === undefined) throw new Error(`no handler for Task state ${stateName}`);
        const context = { signal: controller.signal, executionId: executionArn, stateName };
        const run = kind === 'lambda-invoke-callback' ? this.#waitingForToken(handler) : handler;
        return [stateName, localTask(run, kind, context, this.#callHooks(executionArn, stateName))];
      }),
    );
    for (const map of machine.prepared.distributedMaps) {
      const context = { signal: controller.signal, executionId: executionArn, stateName: map.stateName };
      handlers[map.stateName] = localTask(
        (input) => this.#runDistributedMap(machine, record, map, input),
        'other',
        context,
        this.#callHooks(executionArn, map.stateName),
      );
    }
    const runOptions: RunOptions = {
      overrides: { taskResourceLocalHandlers: handlers },
      // Settle an aborted run with null: a rejection could go unobserved inside the library.
      noThrowOnAbort: true,
      context: {
        Execution: { Id: executionArn, Name: record.name },
        StateMachine: { Id: `${arnPrefix}:stateMachine:${machine.name}`, Name: machine.name },
      },
    };
    try {
      const run = machine.prepared.stateMachine.run(record.input, runOptions);
      record.abortRun = run.abort;
      const outcome = run.result.then(
        (output) => this.#finish(record, { status: 'SUCCEEDED', output }),
        (error: unknown) => this.#finish(record, failureOutcome(error)),
      );
      record.done = Promise.all([outcome, this.#record(record, run.eventLogs)]).then(
        () => {},
        (error: unknown) => {
          this.#logger.error('could not settle a state machine execution', {
            executionArn,
            error: error instanceof Error ? error.message : String(error),
          });
        },
      );
    } catch (error) {
      this.#finish(record, failureOutcome(error));
    }
  }

  /**
   * A callback Task state's handler: a fresh token in place of `$$.Task.Token`, the function
   * called with it, then the state waits until `sendTaskSuccess` or `sendTaskFailure` names the
   * token (or the execution ends). A function that fails fails the state at once.
   */
  #waitingForToken(handler: LocalTaskHandler): LocalTaskHandler {
    return async (input, context) => {
      const token = `${context.executionId}:${context.stateName}:${randomUUID()}`;
      const callback = new Promise<unknown>((resolve, reject) => {
        this.#callbacks.set(token, { resolve, reject });
        context.signal.addEventListener('abort', () => {
          this.#callbacks.delete(token);
          reject(context.signal.reason);
        });
      });
      // Settled by whoever comes first; a rejection nobody awaits yet must not go unhandled.
      callback.catch(() => {});
      try {
        await handler(withToken(input, token), context);
      } catch (error) {
        this.#callbacks.delete(token);
        throw error;
      }
      return callback;
    };
  }

  /**
   * A Distributed Map state's run: one child execution of its processor per item or batch, each
   * in the history as `<machine>/<state>`, stopped with the parent.
   */
  #runDistributedMap(machine: Machine, parent: ExecutionRecord, map: PreparedDistributedMap, input: unknown) {
    // Each run of the Map (a Retry runs it again) names its children afresh.
    const mapRun = ++this.#mapRuns;
    const child: Machine = {
      name: `${machine.name}/${map.stateName}`,
      prepared: map.processor,
      tasks: machine.tasks,
    };
    const running = new Set<ExecutionRecord>();
    const stopChildren = () => {
      for (const record of running) this.stop(record.executionArn, 'the parent execution ended');
    };
    parent.controller.signal.addEventListener('abort', stopChildren, { once: true });
    const runChild = async (childInput: unknown, index: number): Promise<ChildOutcome> => {
      let inputText: string;
      try {
        inputText = executionInputText(childInput);
      } catch (error) {
        return { status: 'FAILED', error: 'States.DataLimitExceeded', cause: errorText(error) };
      }
      const name = `${parent.name}-${map.stateName}-${mapRun}-${index}`;
      const record = this.#launch(child, `${arnPrefix}:execution:${child.name}:${name}`, name, inputText);
      running.add(record);
      await record.done;
      running.delete(record);
      return record.status === 'SUCCEEDED'
        ? { status: 'SUCCEEDED', output: record.output ?? null }
        : { status: 'FAILED', error: record.error ?? `States.${record.status}`, cause: record.cause ?? '' };
    };
    return runDistributedMap(map.config, input, {
      objects: this.#objects,
      runChild,
      signal: parent.controller.signal,
    }).finally(() => parent.controller.signal.removeEventListener('abort', stopChildren));
  }

  #callHooks(executionArn: string, stateName: string) {
    return {
      track: (call: Promise<unknown>) => {
        const settled = call.then(
          () => {},
          () => {},
        );
        this.#calls.add(settled);
        void settled.then(() => this.#calls.delete(settled));
      },
      failed: (thrown: unknown) => {
        this.#logger.debug('task handler failed', {
          executionArn,
          stateName,
          error: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown),
        });
      },
    };
  }

  async #record(record: ExecutionRecord, events: AsyncGenerator<LibraryEvent>): Promise<void> {
    try {
      for await (const event of events) {
        const listed = listedEvent(event, this.#now().toISOString(), this.#maxPayloadBytes);
        record.events.add(
          event.type === 'ExecutionAborted' && record.cause !== undefined
            ? { ...listed, cause: textForListing(record.cause, this.#maxPayloadBytes) }
            : listed,
        );
      }
    } catch (error) {
      this.#logger.warn('could not record the events of a state machine execution', {
        executionArn: record.executionArn,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #finish(record: ExecutionRecord, outcome: Outcome): void {
    // Stopped already: the library settles an aborted run with null, which is no output.
    if (record.status !== 'RUNNING') return;
    record.status = outcome.status;
    record.stopDate = this.#now();
    if (outcome.status === 'SUCCEEDED') record.output = outcome.output;
    else {
      record.error = outcome.error;
      if (outcome.cause !== undefined) record.cause = outcome.cause;
    }
    // Tells handlers still running (a Map's iterations after a sibling failed) to stop.
    record.controller.abort(new Error(`execution ${outcome.status}`));
    const fields = { executionArn: record.executionArn, status: record.status, error: record.error };
    if (outcome.status === 'SUCCEEDED') this.#logger.info('state machine execution finished', fields);
    else {
      this.#logger.warn('state machine execution finished', {
        ...fields,
        cause: record.cause === undefined ? undefined : textForListing(record.cause, this.#maxPayloadBytes),
      });
    }
    this.#forgetOldest();
  }

  /** Forgets the oldest finished executions while over the limit; running ones are kept. */
  #forgetOldest(): void {
    let excess = this.#executions.size - this.#historyLimit;
    if (excess <= 0) return;
    for (const [arn, record] of this.#executions) {
      if (excess <= 0) return;
      if (record.status === 'RUNNING') continue;
      this.#executions.delete(arn);
      this.#dropped++;
      excess--;
    }
  }
}

type Outcome =
  | { readonly status: 'SUCCEEDED'; readonly output: JsonValue }
  | { readonly status: 'FAILED' | 'TIMED_OUT'; readonly error: string; readonly cause?: string };

/** The library rejects with ExecutionError (the state's error as `cause`) or ExecutionTimeoutError. */
function failureOutcome(error: unknown): Outcome {
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout' };
  const failure = error instanceof ExecutionError ? error.cause : error;
  if (failure instanceof Error) return { status: 'FAILED', error: failure.name, cause: failure.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
}

function description(record: ExecutionRecord): ExecutionDescription {
  const { executionArn, stateMachine, name, status, startDate, stopDate, input, output, error, cause } =
    record;
  return {
    executionArn,
    stateMachine,
    name,
    status,
    startDate,
    input,
    ...(stopDate === undefined ? {} : { stopDate }),
    ...(output === undefined ? {} : { output }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
  };
}

/** `value` with every `localTaskTokenPlaceholder` replaced by `token`. */
function withToken(value: unknown, token: string): unknown {
  if (value === localTaskTokenPlaceholder) return token;
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withToken(item, token)]));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function executionInputText(input: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(input ?? {});
  } catch (error) {
    throw new InvalidExecutionInputError(
      `execution input is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (text === undefined) throw new InvalidExecutionInputError('execution input is not JSON');
  const bytes = utf8ByteLength(text);
  if (bytes > maxInputBytes) {
    throw new InvalidExecutionInputError(
      `execution input is ${bytes} bytes, over the ${maxInputBytes} allowed`,
    );
  }
  return text;
}

/**
 * AWS's rule for state machine and execution names: 1–80 characters, no whitespace, none of
 * `<>{}[]?*"#%\^|~`$&,;:/` and no control characters.
 */
function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80) return false;
  for (const character of name) {
    const code = character.charCodeAt(0);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if (/\s/.test(character) || '<>{}[]?*"#%\\^|~`$&,;:/'.includes(character)) return false;
  }
  return true;
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${option} must be an integer >= 1, got ${value}`);
  return value;
}

/** Whether `promise` settled within `ms`; the timer is cleared either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
