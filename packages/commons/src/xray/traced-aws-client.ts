import { activeTraceSink, startSubsegment } from '../tracing/tracing.js';

/** What this module uses of a Smithy build-step middleware's arguments. */
interface BuildArguments {
  readonly input: Readonly<Record<string, unknown>>;
  readonly request?: unknown;
}

/** The `$metadata` every SDK output and service error carries. */
interface ResponseMetadata {
  readonly httpStatusCode?: number;
  readonly requestId?: string;
  readonly attempts?: number;
}

type BuildHandler = (
  args: BuildArguments,
) => Promise<{ output: { $metadata?: ResponseMetadata } & Record<string, unknown> }>;
type BuildMiddleware = (
  next: BuildHandler,
  context: { readonly clientName?: string; readonly commandName?: string },
) => BuildHandler;

/** The part of an AWS SDK v3 client this module touches. */
export interface TraceableAwsClient {
  readonly config: { readonly region?: unknown };
  readonly middlewareStack: {
    // A method, so each client's stack (typed by its own inputs and outputs) fits it.
    add(
      middleware: unknown,
      options: { step: 'build'; name: string; priority: 'high'; override: boolean },
    ): void;
  };
}

/** The request fields worth a place in a subsegment's `aws` block, by X-Ray's names for them. */
const resourceFields: readonly (readonly [input: string, field: string])[] = [
  ['TableName', 'table_name'],
  ['QueueUrl', 'queue_url'],
  ['modelId', 'model_id'],
];

/** The error codes the SDK's retry strategy treats as throttling, whatever their HTTP status. */
const throttlingCodes = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'LimitExceededException',
  'TransactionInProgressException',
  'SlowDown',
]);

/**
 * Traces every call `client` makes as an X-Ray subsegment of the invocation (`DynamoDB`,
 * `EventBridge` …, namespace `aws`): the operation, region, request id, retries and the table,
 * queue or model, the HTTP status, X-Ray's error, throttle or fault flag, and the annotations in
 * scope (`withTraceAnnotations`: tenant, model, fallback step, cache outcome). The call carries
 * the subsegment's trace header, so what it reaches (a queue's consumer, a bus's target) joins
 * the trace. Retries happen inside the subsegment: one call, one subsegment. A call outside a
 * sampled trace goes out untouched. Returns `client`.
 *
 * @example const sqs = traceAwsClient(new SQSClient({}));
 */
export function traceAwsClient<C extends TraceableAwsClient>(client: C): C {
  let region: Promise<string> | undefined;
  const regionOf = () => {
    region ??= resolveRegion(client.config.region);
    return region;
  };
  const middleware: BuildMiddleware = (next, context) => async (args) => {
    // The common case first: no tracing, nothing to name or time.
    if (activeTraceSink() === undefined) return next(args);
    const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
    const subsegment = startSubsegment(service, 'aws');
    if (subsegment === undefined) return next(args);
    setTraceHeader(args.request, subsegment.traceHeader);
    const aws: Record<string, unknown> = {
      operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
      region: await regionOf(),
      ...resourcesOf(args.input),
    };
    let result: Awaited<ReturnType<BuildHandler>>;
    try {
      result = await next(args);
    } catch (error) {
      subsegment.end(failureOf(error, aws));
      throw error;
    }
    const { output } = result;
    // A presigned URL (`getSignedUrl`) goes through the stack without ever being sent.
    if ('presigned' in output) {
      subsegment.discard();
      return result;
    }
    const answered = { aws: { ...aws, ...metadataOf(output.$metadata) }, ...httpOf(output.$metadata) };
    const eventStream = Object.entries(output).find(([, member]) => isEventStream(member));
    if (eventStream === undefined) {
      subsegment.end(answered);
      return result;
    }
    // ConverseStream answers as its events arrive: the call lasts until the last one.
    const [member, events] = eventStream;
    output[member] = tracedEvents(events as AsyncIterable<unknown>, {
      ...(aws.operation === 'ConverseStream' ? { isLast: (event) => hasMember(event, 'metadata') } : {}),
      ended: (error) =>
        subsegment.end(error === undefined ? answered : { ...answered, ...failureOf(error, answered.aws) }),
    });
    return result;
  };
  client.middlewareStack.add(middleware, {
    step: 'build',
    name: 'mangaassistXrayMiddleware',
    // First in the build step, so the subsegment times all of the call. The trace header it sets
    // stands whatever the SDK's recursion detection would set from the invocation's.
    priority: 'high',
    override: true,
  });
  return client;
}

/** The subsegment fields of a call that failed: its code, status and X-Ray's flags. */
function failureOf(error: unknown, aws: Readonly<Record<string, unknown>>) {
  const failure = error as {
    name?: string;
    $metadata?: ResponseMetadata;
    $fault?: 'client' | 'server';
    $retryable?: { throttling?: boolean };
    originalStatusCode?: number;
  };
  return {
    aws: { ...aws, ...metadataOf(failure.$metadata), error_code: failure.name ?? 'Error' },
    ...httpOf(failure.$metadata),
    ...flagsOf(failure),
  };
}

/**
 * X-Ray's reading of a failure, one flag set each: a throttle (a 429, or a throttling code:
 * DynamoDB's come as 400s) is an error and a throttle, a 5xx a fault, another 4xx an error. The
 * status is the response's, or for an error inside an event stream (which began with a 200) the
 * one it says it stands for; with neither, the SDK's `$fault` decides, and a call that never got
 * an answer is a fault.
 */
function flagsOf(failure: {
  name?: string;
  $metadata?: ResponseMetadata;
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
  originalStatusCode?: number;
}): { error?: true; throttle?: true; fault?: true } {
  const answered = failure.$metadata?.httpStatusCode;
  const status =
    failure.originalStatusCode ?? (answered !== undefined && answered >= 400 ? answered : undefined);
  const throttled = failure.$retryable?.throttling === true || throttlingCodes.has(failure.name ?? '');
  if (throttled || status === 429) return { error: true, throttle: true };
  if (status !== undefined) return status >= 500 ? { fault: true } : { error: true };
  return failure.$fault === 'client' ? { error: true } : { fault: true };
}

/**
 * An event stream (`ConverseStream`'s `stream`): async-iterable, and not a body to read (the SDK
 * gives every streamed body, `GetObject`'s included, its `transformToString`).
 */
function isEventStream(member: unknown): boolean {
  if (typeof member !== 'object' || member === null || !(Symbol.asyncIterator in member)) return false;
  return typeof (member as { transformToString?: unknown }).transformToString !== 'function';
}

/** A stream that ended by itself before its last event (a connection cut part-way). */
export class StreamEndedEarlyError extends Error {
  override readonly name = 'StreamEndedEarly';
  readonly $fault = 'server';
}

/**
 * `events` as they come, calling `ended` once: at the last event, at an error, or when the reader
 * stops (`return`, even before the first read). A stream that ends by itself without the event
 * `isLast` knows for the last ends with `StreamEndedEarlyError`, for the subsegment only.
 */
function tracedEvents<T>(
  events: AsyncIterable<T>,
  options: { readonly isLast?: (event: T) => boolean; readonly ended: (error?: unknown) => void },
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const inner = events[Symbol.asyncIterator]();
      let sawLast = false;
      return {
        async next() {
          let step: IteratorResult<T>;
          try {
            step = await inner.next();
          } catch (error) {
            options.ended(error);
            throw error;
          }
          if (!step.done) sawLast ||= options.isLast?.(step.value) ?? false;
          else
            options.ended(options.isLast === undefined || sawLast ? undefined : new StreamEndedEarlyError());
          return step;
        },
        async return(value?: unknown) {
          options.ended();
          return (await inner.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

function hasMember(event: unknown, member: string): boolean {
  return typeof event === 'object' && event !== null && member in event;
}

async function resolveRegion(region: unknown): Promise<string> {
  try {
    const value = typeof region === 'function' ? await region() : region;
    return typeof value === 'string' ? value : 'unknown';
  } catch {
    return 'unknown';
  }
}

function setTraceHeader(request: unknown, traceHeader: string): void {
  const headers = (request as { headers?: unknown } | undefined)?.headers;
  if (typeof headers === 'object' && headers !== null) {
    (headers as Record<string, string>)['X-Amzn-Trace-Id'] = traceHeader;
  }
}

function resourcesOf(input: Readonly<Record<string, unknown>>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, field] of resourceFields) {
    const value = input[name];
    if (typeof value === 'string') found[field] = value;
  }
  return found;
}

function metadataOf(metadata: ResponseMetadata | undefined): Record<string, unknown> {
  return {
    ...(metadata?.requestId ? { request_id: metadata.requestId } : {}),
    ...(metadata?.attempts ? { retries: metadata.attempts - 1 } : {}),
  };
}

/** The `http` block of a call that got an answer. */
function httpOf(metadata: ResponseMetadata | undefined) {
  const status = metadata?.httpStatusCode;
  return status === undefined ? {} : { http: { response: { status } } };
}
