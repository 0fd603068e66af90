// A Distributed Map state, run locally. aws-local-stepfunctions 3 ignores ItemReader, ItemBatcher
// and the failure tolerance, so `prepareDefinition` replaces each Map whose ItemProcessor runs in
// DISTRIBUTED mode by a Task state of the same name (keeping its InputPath, ResultSelector,
// ResultPath, OutputPath, Retry, Catch and transition) whose handler does what the Map run does
// on AWS: read the items (an S3 JSON or JSONL object through the runtime's object reader, or
// ItemsPath), select and batch them, start one child execution of the ItemProcessor per item or
// batch (MaxConcurrency at once; each is an execution of its own in the history, as on AWS), and
// fail with States.ExceedToleratedFailureThreshold when more children fail than tolerated.
//
// Supported: ItemReader `arn:aws:states:::s3:getObject` with ReaderConfig InputType JSON (an
// array) or JSONL and MaxItems; ItemsPath; ItemSelector and ItemBatcher's BatchInput as payload
// templates over `$` (the state's input) and `$$.Map.Item.Value` / `$$.Map.Item.Index`;
// MaxItemsPerBatch and MaxInputBytesPerBatch; ToleratedFailurePercentage and ToleratedFailureCount.
// Refused when the machine is added: ResultWriter, the `…Path` variants, other readers and input
// types, intrinsic functions in a template. Without ResultWriter the state's result is the
// children's outputs in item order, a failed child's as `{ "Error", "Cause" }`.

import { utf8ByteLength } from '@mangaassist/commons';
import { JSONPath } from 'jsonpath-plus';

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a Distributed Map reads its items when it has an ItemReader. */
export interface LocalObjectReader {
  /** The object's bytes, or `undefined` when there is no such object. */
  get(bucket: string, key: string): Promise<Uint8Array | undefined>;
}

/** A Distributed Map state's run, as read from its definition. */
export interface DistributedMapConfig {
  readonly reader?: {
    /** The `Parameters` of the ItemReader: a payload template giving `Bucket` and `Key`. */
    readonly parameters: JsonRecord;
    readonly inputType: 'JSON' | 'JSONL';
    readonly maxItems?: number;
  };
  /** Where the items are in the state's input when there is no ItemReader. */
  readonly itemsPath: string;
  readonly itemSelector?: JsonRecord;
  readonly batcher?: {
    readonly maxItems?: number;
    readonly maxBytes?: number;
    readonly batchInput?: JsonRecord;
  };
  /** 0: as many as there are children (AWS: up to 10 000). */
  readonly maxConcurrency: number;
  readonly toleratedPercentage?: number;
  readonly toleratedCount?: number;
}

/** A Distributed Map found in a definition: its state, how it runs, and the machine it runs. */
export interface DistributedMapState {
  readonly stateName: string;
  readonly config: DistributedMapConfig;
  /** The ItemProcessor as a definition of its own: `{ StartAt, States }`. */
  readonly processor: JsonRecord;
}

/** The resource the replacing Task state names (never called: its handler is the runtime's). */
export const distributedMapResource = 'arn:aws:states:::local:distributed-map';

/** Fields a Map state keeps when it becomes a Task: the rest describe the Map run. */
const keptFields = [
  'Comment',
  'InputPath',
  'OutputPath',
  'ResultPath',
  'ResultSelector',
  'Retry',
  'Catch',
  'Next',
  'End',
];

/**
 * Replaces every Distributed Map state of `definition` (changed in place; top level, inline Map
 * item processors and Parallel branches, not inside another Distributed Map's processor, which
 * its own child machine rewrites) by a Task state of the same name, and returns them.
 * Throws `Error` naming the state and the feature for what the local runtime does not implement.
 */
export function extractDistributedMaps(definition: JsonRecord): DistributedMapState[] {
  const found: DistributedMapState[] = [];
  const visit = (container: unknown) => {
    if (!isRecord(container) || !isRecord(container.States)) return;
    for (const [name, state] of Object.entries(container.States)) {
      if (!isRecord(state)) continue;
      if (state.Type === 'Map' && isDistributed(state)) {
        found.push({ stateName: name, config: configOf(name, state), processor: processorOf(state) });
        container.States[name] = {
          Type: 'Task',
          Resource: distributedMapResource,
          ...Object.fromEntries(
            keptFields.filter((field) => field in state).map((field) => [field, state[field]]),
          ),
        };
        continue;
      }
      if (state.Type === 'Map') visit(state.ItemProcessor ?? state.Iterator);
      if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
        for (const branch of state.Branches) visit(branch);
      }
    }
  };
  visit(definition);
  return found;
}

function isDistributed(state: JsonRecord): boolean {
  const processor = state.ItemProcessor;
  return (
    isRecord(processor) &&
    isRecord(processor.ProcessorConfig) &&
    processor.ProcessorConfig.Mode === 'DISTRIBUTED'
  );
}

function processorOf(state: JsonRecord): JsonRecord {
  const processor = isRecord(state.ItemProcessor) ? state.ItemProcessor : {};
  return { StartAt: processor.StartAt, States: processor.States };
}

function configOf(name: string, state: JsonRecord): DistributedMapConfig {
  const refuse = (feature: string): never => {
    throw new Error(`${feature} (Distributed Map ${name}) is not supported by the local runtime`);
  };
  for (const field of [
    'ResultWriter',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCountPath',
    'MaxConcurrencyPath',
  ]) {
    if (field in state) refuse(field);
  }
  const templates = [
    state.ItemSelector,
    isRecord(state.ItemReader) ? state.ItemReader.Parameters : undefined,
  ];
  const batcher = isRecord(state.ItemBatcher) ? state.ItemBatcher : undefined;
  if (batcher) {
    for (const field of ['MaxItemsPerBatchPath', 'MaxInputBytesPerBatchPath'])
      if (field in batcher) refuse(`ItemBatcher.${field}`);
    templates.push(batcher.BatchInput);
  }
  for (const template of templates) if (template !== undefined) checkTemplate(template, refuse);

  let reader: DistributedMapConfig['reader'];
  if (state.ItemReader !== undefined) {
    const itemReader = isRecord(state.ItemReader) ? state.ItemReader : {};
    if (itemReader.Resource !== 'arn:aws:states:::s3:getObject')
      refuse(`ItemReader resource ${String(itemReader.Resource)}`);
    const readerConfig = isRecord(itemReader.ReaderConfig) ? itemReader.ReaderConfig : {};
    const inputType = readerConfig.InputType;
    if (inputType !== 'JSON' && inputType !== 'JSONL') refuse(`ItemReader InputType ${String(inputType)}`);
    if ('MaxItemsPath' in readerConfig) refuse('ItemReader.ReaderConfig.MaxItemsPath');
    reader = {
      parameters: isRecord(itemReader.Parameters) ? itemReader.Parameters : {},
      inputType: inputType === 'JSONL' ? 'JSONL' : 'JSON',
      ...(typeof readerConfig.MaxItems === 'number' ? { maxItems: readerConfig.MaxItems } : {}),
    };
  }
  return {
    ...(reader ? { reader } : {}),
    itemsPath: typeof state.ItemsPath === 'string' ? state.ItemsPath : '$',
    ...(isRecord(state.ItemSelector) ? { itemSelector: state.ItemSelector } : {}),
    ...(batcher
      ? {
          batcher: {
            ...(typeof batcher.MaxItemsPerBatch === 'number' ? { maxItems: batcher.MaxItemsPerBatch } : {}),
            ...(typeof batcher.MaxInputBytesPerBatch === 'number'
              ? { maxBytes: batcher.MaxInputBytesPerBatch }
              : {}),
            ...(isRecord(batcher.BatchInput) ? { batchInput: batcher.BatchInput } : {}),
          },
        }
      : {}),
    maxConcurrency: typeof state.MaxConcurrency === 'number' ? state.MaxConcurrency : 0,
    ...(typeof state.ToleratedFailurePercentage === 'number'
      ? { toleratedPercentage: state.ToleratedFailurePercentage }
      : {}),
    ...(typeof state.ToleratedFailureCount === 'number'
      ? { toleratedCount: state.ToleratedFailureCount }
      : {}),
  };
}

/** Refuses intrinsic functions (`States.Format(…)`) in a template: only paths are evaluated here. */
function checkTemplate(template: unknown, refuse: (feature: string) => never): void {
  if (Array.isArray(template)) {
    for (const value of template) checkTemplate(value, refuse);
  }
  if (!isRecord(template)) return;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && !(typeof value === 'string' && value.startsWith('$'))) {
      refuse(`intrinsic function ${String(value)}`);
    }
    checkTemplate(value, refuse);
  }
}

/** An error the Map run fails with, by ASL error name. */
export class MapRunError extends Error {
  constructor(errorName: string, message: string) {
    super(message);
    this.name = errorName;
  }
}

/**
 * Evaluates a payload template: each `key.$` is replaced by `key` with the value at its path, in
 * `input` for `$…` and in `context` for `$$…`; the rest is copied.
 */
export function resolveTemplate(template: unknown, input: unknown, context: unknown): unknown {
  if (Array.isArray(template)) return template.map((value) => resolveTemplate(value, input, context));
  if (!isRecord(template)) return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith('.$') && typeof value === 'string'
        ? [key.slice(0, -2), valueAt(value, input, context)]
        : [key, resolveTemplate(value, input, context)],
    ),
  );
}

function valueAt(path: string, input: unknown, context: unknown): unknown {
  const [json, jsonPath] = path.startsWith('$$') ? [context, path.slice(1)] : [input, path];
  if (jsonPath === '$') return json;
  if (json === null || typeof json !== 'object') {
    throw new MapRunError('States.Runtime', `the path ${path} cannot be read from ${JSON.stringify(json)}`);
  }
  const found: unknown = JSONPath({ path: jsonPath, json, wrap: false });
  if (found === undefined) throw new MapRunError('States.Runtime', `the path ${path} matches nothing`);
  return found;
}

/** How a child execution ended. */
export type ChildOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string };

export interface DistributedMapRun {
  readonly objects: LocalObjectReader | undefined;
  /** Runs one child execution of the ItemProcessor with `input`, to its end. */
  readonly runChild: (input: unknown, index: number) => Promise<ChildOutcome>;
  readonly signal: AbortSignal;
}

/**
 * Runs the Map state on its effective input: reads and selects the items, batches them, runs the
 * children and checks the failures against the tolerance. Resolves with the children's outputs in
 * item order; rejects with a `MapRunError` (States.ItemReaderFailed, States.Runtime,
 * States.ExceedToleratedFailureThreshold).
 */
export async function runDistributedMap(
  config: DistributedMapConfig,
  input: unknown,
  run: DistributedMapRun,
): Promise<unknown[]> {
  const items = await itemsOf(config, input, run.objects);
  const selected = items.map((value, index) =>
    config.itemSelector === undefined
      ? value
      : resolveTemplate(config.itemSelector, input, { Map: { Item: { Index: index, Value: value } } }),
  );
  const children = config.batcher ? batches(selected, config.batcher, input) : selected;

  const outcomes: ChildOutcome[] = new Array(children.length);
  let next = 0;
  const worker = async () => {
    while (next < children.length && !run.signal.aborted) {
      const index = next++;
      outcomes[index] = await run.runChild(children[index], index);
    }
  };
  const width =
    config.maxConcurrency > 0 ? Math.min(config.maxConcurrency, children.length) : children.length;
  await Promise.all(Array.from({ length: width }, worker));
  run.signal.throwIfAborted();

  const failed = outcomes.filter((outcome) => outcome.status === 'FAILED');
  if (failed.length > tolerated(config, children.length)) {
    const first = failed[0];
    throw new MapRunError(
      'States.ExceedToleratedFailureThreshold',
      `${failed.length} of ${children.length} child executions failed, more than tolerated` +
        (first?.status === 'FAILED' ? ` (first: ${first.error}: ${first.cause})` : ''),
    );
  }
  return outcomes.map((outcome) =>
    outcome.status === 'SUCCEEDED' ? outcome.output : { Error: outcome.error, Cause: outcome.cause },
  );
}

/** How many children may fail: the stricter of the count and the percentage; none by default. */
function tolerated(config: DistributedMapConfig, total: number): number {
  const limits = [
    ...(config.toleratedCount === undefined ? [] : [config.toleratedCount]),
    ...(config.toleratedPercentage === undefined
      ? []
      : [Math.floor((config.toleratedPercentage / 100) * total)]),
  ];
  return limits.length === 0 ? 0 : Math.min(...limits);
}

async function itemsOf(config: DistributedMapConfig, input: unknown, objects: LocalObjectReader | undefined) {
  if (config.reader === undefined) {
    const items = valueAt(config.itemsPath, input, {});
    if (!Array.isArray(items)) throw new MapRunError('States.Runtime', `${config.itemsPath} is not an array`);
    return items;
  }
  const parameters = resolveTemplate(config.reader.parameters, input, {});
  const bucket = isRecord(parameters) ? parameters.Bucket : undefined;
  const key = isRecord(parameters) ? parameters.Key : undefined;
  if (typeof bucket !== 'string' || typeof key !== 'string') {
    throw new MapRunError('States.ItemReaderFailed', 'the ItemReader names no Bucket and Key');
  }
  const body = objects === undefined ? undefined : await objects.get(bucket, key);
  if (body === undefined) throw new MapRunError('States.ItemReaderFailed', `no object s3://${bucket}/${key}`);
  const items = parseItems(new TextDecoder().decode(body), config.reader.inputType, `s3://${bucket}/${key}`);
  return config.reader.maxItems === undefined || config.reader.maxItems === 0
    ? items
    : items.slice(0, config.reader.maxItems);
}

function parseItems(text: string, inputType: 'JSON' | 'JSONL', uri: string): unknown[] {
  try {
    if (inputType === 'JSONL') {
      return text.split('\n').flatMap((line) => (line.trim() === '' ? [] : [JSON.parse(line)]));
    }
    const items: unknown = JSON.parse(text);
    if (!Array.isArray(items)) throw new TypeError('not a JSON array');
    return items;
  } catch (error) {
    throw new MapRunError(
      'States.ItemReaderFailed',
      `${uri} is not ${inputType === 'JSONL' ? 'JSON Lines' : 'a JSON array'}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `{ Items, BatchInput? }` per batch of at most `maxItems` items and `maxBytes` of items' JSON. */
function batches(
  items: readonly unknown[],
  batcher: NonNullable<DistributedMapConfig['batcher']>,
  input: unknown,
) {
  const batchInput =
    batcher.batchInput === undefined ? undefined : resolveTemplate(batcher.batchInput, input, {});
  const result: { Items: unknown[]; BatchInput?: unknown }[] = [];
  let current: unknown[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    result.push({ Items: current, ...(batchInput === undefined ? {} : { BatchInput: batchInput }) });
    current = [];
    bytes = 0;
  };
  for (const item of items) {
    const size = utf8ByteLength(JSON.stringify(item) ?? 'null');
    if (
      (batcher.maxItems !== undefined && current.length >= batcher.maxItems) ||
      (batcher.maxBytes !== undefined && current.length > 0 && bytes + size > batcher.maxBytes)
    ) {
      flush();
    }
    current.push(item);
    bytes += size;
  }
  flush();
  return result;
}
