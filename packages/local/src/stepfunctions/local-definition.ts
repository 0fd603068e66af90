import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  type DistributedMapConfig,
  type DistributedMapState,
  distributedMapResource,
  extractDistributedMaps,
} from './distributed-map.js';

/**
 * The longest delay a Node.js timer holds (2^31 − 1 ms, in whole seconds): a longer one fires
 * after 1 ms instead, which would time a state out at once.
 */
export const longestTimerSeconds = 2_147_483;

/**
 * How a Task state's local handler stands in for its `Resource`:
 * - `lambda-function`: a Lambda function ARN; the handler is the function.
 * - `lambda-invoke`: `arn:aws:states:::lambda:invoke` (CDK's `LambdaInvoke`); the handler is the
 *   function, so it gets the `Payload` and its result is wrapped in the Invoke response.
 * - `lambda-invoke-callback`: `arn:aws:states:::lambda:invoke.waitForTaskToken`; the handler is
 *   the function (it gets the `Payload`, `$$.Task.Token` in it), and the state's result is what
 *   `LocalStateMachines.sendTaskSuccess` later gives for the token.
 * - `other`: any other resource (service integrations); the handler gets the state's input and its
 *   result is the state's result.
 */
export type TaskKind = 'lambda-function' | 'lambda-invoke' | 'lambda-invoke-callback' | 'other';

/**
 * Stands in for `$$.Task.Token` in a callback Task's Parameters locally (the library has no task
 * token): the runtime puts a fresh token in its place each time the state runs.
 */
export const localTaskTokenPlaceholder = '<local task token>';

/**
 * A definition `LocalStateMachines` cannot run faithfully: invalid ASL (asl-validator's message),
 * a Task state without a local handler or a handler for no Task state, or a feature the local
 * runtime does not implement. Thrown by the `LocalStateMachines` constructor.
 */
export class InvalidStateMachineDefinitionError extends Error {
  override readonly name = 'InvalidStateMachineDefinitionError';

  constructor(
    /** The state machine whose definition was refused. */
    readonly machine: string,
    problem: string,
  ) {
    super(`state machine "${machine}": ${problem}`);
  }
}

/** A definition checked against its handlers and ready to run. */
export interface PreparedDefinition {
  readonly stateMachine: StateMachine;
  /**
   * Every Task state this machine runs, those of inline Maps and Parallel branches included (state
   * names are unique machine-wide), by name; a Distributed Map's processor runs its own.
   */
  readonly tasks: ReadonlyMap<string, TaskKind>;
  /** Each Distributed Map, now a Task state the runtime handles, with the machine its children run. */
  readonly distributedMaps: readonly PreparedDistributedMap[];
}

/** A Distributed Map state: how its run goes, and its ItemProcessor prepared as a machine. */
export interface PreparedDistributedMap {
  readonly stateName: string;
  readonly config: DistributedMapConfig;
  readonly processor: PreparedDefinition;
}

/**
 * Fields that aws-local-stepfunctions 3 silently ignores although asl-validator accepts them:
 * a definition using them would run, but not as it does on AWS.
 */
const unsupportedFields: Readonly<Record<string, string>> = {
  Assign: 'variables (Assign)',
  Arguments: 'JSONata (Arguments)',
  Output: 'JSONata (Output)',
  // A Distributed Map's fields are taken by distributed-map.ts; on an inline Map they mean nothing.
  ItemReader: 'ItemReader outside a Distributed Map',
  ItemBatcher: 'ItemBatcher outside a Distributed Map',
  ResultWriter: 'ResultWriter outside a Distributed Map',
  ToleratedFailurePercentage: 'ToleratedFailurePercentage outside a Distributed Map',
  ToleratedFailurePercentagePath: 'ToleratedFailurePercentagePath outside a Distributed Map',
  ToleratedFailureCount: 'ToleratedFailureCount outside a Distributed Map',
  ToleratedFailureCountPath: 'ToleratedFailureCountPath outside a Distributed Map',
};

/**
 * Validates `definition` with the library (asl-validator: schema, JSONPaths, ARNs, reachability,
 * state names unique across the whole machine), checks that `handlerNames` are exactly its Task
 * states (an unhandled Task would make the library call the real Lambda), and builds the machine
 * that runs locally: a copy whose Retry waits are multiplied by `retryIntervalScale` and whose
 * Task and execution timeouts fit a Node.js timer.
 *
 * @throws InvalidStateMachineDefinitionError naming `machine`.
 */
export function prepareDefinition(
  machine: string,
  definition: object,
  handlerNames: readonly string[],
  retryIntervalScale: number,
): PreparedDefinition {
  const prepared = prepareTree(machine, definition, retryIntervalScale);
  const taskNames = allTaskNames(prepared);
  const missing = taskNames.filter((name) => !handlerNames.includes(name));
  if (missing.length > 0) {
    throw new InvalidStateMachineDefinitionError(
      machine,
      `Task states without a local handler (pnpm dev never calls AWS): ${missing.join(', ')}`,
    );
  }
  const strays = handlerNames.filter((name) => !taskNames.includes(name));
  if (strays.length > 0) {
    throw new InvalidStateMachineDefinitionError(
      machine,
      `local handlers for no Task state: ${strays.join(', ')}`,
    );
  }
  return prepared;
}

/** The names of the Task states of `prepared` and of its Distributed Maps' processors. */
function allTaskNames(prepared: PreparedDefinition): string[] {
  return [
    ...prepared.tasks.keys(),
    ...prepared.distributedMaps.flatMap((map) => allTaskNames(map.processor)),
  ];
}

function prepareTree(machine: string, definition: object, retryIntervalScale: number): PreparedDefinition {
  // A JSON copy: the caller's object is never changed, and the copy is what gets validated.
  const local: StateMachineDefinition = JSON.parse(JSON.stringify(definition));
  try {
    new StateMachine(local);
  } catch (error) {
    throw new InvalidStateMachineDefinitionError(
      machine,
      error instanceof Error ? error.message : String(error),
    );
  }
  const topLevel: unknown = local;
  let extracted: DistributedMapState[] = [];
  try {
    if (isRecord(topLevel)) extracted = extractDistributedMaps(topLevel);
  } catch (error) {
    throw new InvalidStateMachineDefinitionError(
      machine,
      error instanceof Error ? error.message : String(error),
    );
  }

  const tasks = new Map<string, TaskKind>();
  const unsupported = new Set<string>();
  if (isRecord(topLevel) && topLevel.QueryLanguage === 'JSONata') unsupported.add('JSONata (QueryLanguage)');
  walkStates(local, (name, state) => {
    if (state.QueryLanguage === 'JSONata') unsupported.add(`JSONata (QueryLanguage, state ${name})`);
    for (const field of Object.keys(state)) {
      const feature = unsupportedFields[field];
      if (feature !== undefined) unsupported.add(`${feature}, state ${name}`);
    }
    if (state.Type === 'Task' && state.Resource !== distributedMapResource)
      tasks.set(name, taskKind(state.Resource));
  });
  if (unsupported.size > 0) {
    throw new InvalidStateMachineDefinitionError(
      machine,
      `uses what the local runtime does not implement: ${[...unsupported].join('; ')}`,
    );
  }
  const distributedMaps = extracted.map((map) => ({
    stateName: map.stateName,
    config: map.config,
    processor: prepareTree(`${machine}/${map.stateName}`, map.processor, retryIntervalScale),
  }));

  fitTimeouts(local);
  walkStates(local, (name, state) => {
    localiseTimings(state, retryIntervalScale);
    if (tasks.get(name) === 'lambda-invoke-callback')
      state.Parameters = withTokenPlaceholder(state.Parameters);
  });
  // Validated above; the changes since only scale numbers and replace Distributed Maps by Tasks.
  const stateMachine = new StateMachine(local, { validationOptions: { noValidate: true } });
  return { stateMachine, tasks, distributedMaps };
}

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls `visit` on every state, those of Map item processors and Parallel branches included. */
function walkStates(definition: unknown, visit: (name: string, state: JsonRecord) => void): void {
  if (!isRecord(definition) || !isRecord(definition.States)) return;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isRecord(state)) continue;
    visit(name, state);
    if (state.Type === 'Map') walkStates(state.ItemProcessor ?? state.Iterator, visit);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) walkStates(branch, visit);
    }
  }
}

function taskKind(resource: unknown): TaskKind {
  if (typeof resource !== 'string') return 'other';
  if (/^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/.test(resource))
    return 'lambda-invoke-callback';
  if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) return 'lambda-invoke';
  if (/^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:/.test(resource)) return 'lambda-function';
  return 'other';
}

/** `Parameters` with every `"<key>.$": "$$.Task.Token"` made `"<key>": localTaskTokenPlaceholder`. */
function withTokenPlaceholder(template: unknown): unknown {
  if (Array.isArray(template)) return template.map(withTokenPlaceholder);
  if (!isRecord(template)) return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith('.$') && value === '$$.Task.Token'
        ? [key.slice(0, -2), localTaskTokenPlaceholder]
        : [key, withTokenPlaceholder(value)],
    ),
  );
}

function fitTimeouts(definition: StateMachineDefinition): void {
  if (definition.TimeoutSeconds !== undefined) {
    definition.TimeoutSeconds = Math.min(definition.TimeoutSeconds, longestTimerSeconds);
  }
}

/**
 * Retry waits shrink by `scale` (the default interval of 1 s made explicit so that it shrinks
 * too), keeping BackoffRate and JitterStrategy. A Task without a timeout gets the longest timer
 * instead of the library's 60 s default (AWS has none); a longer one is cut to the longest timer.
 */
function localiseTimings(state: JsonRecord, scale: number): void {
  if (state.Type === 'Task') {
    const timeout = state.TimeoutSeconds;
    if (typeof timeout === 'number') state.TimeoutSeconds = Math.min(timeout, longestTimerSeconds);
    else if (state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = longestTimerSeconds;
  }
  if (!Array.isArray(state.Retry)) return;
  state.Retry = state.Retry.map((retrier: unknown) => {
    if (!isRecord(retrier)) return retrier;
    const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
    const scaled: JsonRecord = { ...retrier, IntervalSeconds: interval * scale };
    if (typeof retrier.MaxDelaySeconds === 'number') scaled.MaxDelaySeconds = retrier.MaxDelaySeconds * scale;
    return scaled;
  });
}
