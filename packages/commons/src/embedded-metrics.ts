/**
 * CloudWatch embedded metric format (EMF): metrics written as one JSON log line each, which
 * CloudWatch Logs turns into metrics without a `PutMetricData` call (no SDK, no extra latency, no
 * IAM permission beyond writing logs). A tiny formatter rather than Powertools Metrics, which is
 * not a dependency of this repo; Powertools' `Metrics` could later implement `MetricsSink`.
 */

/** The units CloudWatch accepts (`StandardUnit`). */
export const metricUnits = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;
export type MetricUnit = (typeof metricUnits)[number];

/** EMF and CloudWatch limits the formatter enforces. */
export const emfLimits = {
  /** Metric definitions per directive. */
  maxMetrics: 100,
  /** Dimensions per dimension set. */
  maxDimensions: 30,
  /** Values of one metric in one line. */
  maxValuesPerMetric: 100,
  maxNamespaceLength: 255,
  maxNameLength: 255,
  maxDimensionValueLength: 1024,
} as const;

/** One metric of a line: a value, or up to 100 values recorded together. */
export interface MetricValue {
  /** 1 to 255 characters; unique in its line, and not a dimension or property name. */
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number | readonly number[];
  /** Store at 1-second resolution (`StorageResolution: 1`). @default false (60 s) */
  readonly highResolution?: boolean;
}

/** One EMF line: metrics under one namespace and one set of dimensions. */
export interface MetricSet {
  /** `MangaAssist/Inference`; 1 to 255 characters. */
  readonly namespace: string;
  /** Dimension name -> value; at most 30, values 1 to 1024 characters. @default {} (no dimensions) */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** 1 to 100 metrics. */
  readonly metrics: readonly MetricValue[];
  /**
   * Extra members of the log line (searchable in Logs Insights, never metrics): request ids,
   * reasons. Must not reuse a dimension or metric name, nor `_aws`. @default {}
   */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** Thrown for a metric set CloudWatch would reject or silently drop (a programming error). */
export class EmfFormatError extends RangeError {
  override readonly name = 'EmfFormatError';
}

/**
 * The EMF JSON document (one line, no trailing newline) for `set` at `timestampMs` (epoch ms):
 * `{"_aws":{"Timestamp","CloudWatchMetrics":[{"Namespace","Dimensions":[[…]],"Metrics":[…]}]},
 * <dimensions>, <metrics>, <properties>}`. One directive, one dimension set (all the dimensions
 * given, or none).
 *
 * Throws `EmfFormatError` for what CloudWatch would reject: an empty or over-long namespace or
 * name, more than 100 metrics or 30 dimensions, a repeated metric name, a name used twice across
 * dimensions, metrics and properties (or `_aws`), an empty dimension value, a value that is not a
 * finite number, an empty or over-100 value array, or a non-integer timestamp.
 *
 * @example
 * formatEmf({ namespace: 'MangaAssist/Inference', dimensions: { model: 'haiku' },
 *   metrics: [{ name: 'Requests', unit: 'Count', value: 1 }] }, Date.now());
 */
export function formatEmf(set: MetricSet, timestampMs: number): string {
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
    throw new EmfFormatError(`timestamp must be epoch milliseconds, got ${timestampMs}`);
  }
  checkLength('namespace', set.namespace, emfLimits.maxNamespaceLength);
  const dimensions = Object.entries(set.dimensions ?? {});
  const properties = Object.entries(set.properties ?? {});
  if (set.metrics.length === 0 || set.metrics.length > emfLimits.maxMetrics) {
    throw new EmfFormatError(
      `a line carries 1 to ${emfLimits.maxMetrics} metrics, got ${set.metrics.length}`,
    );
  }
  if (dimensions.length > emfLimits.maxDimensions) {
    throw new EmfFormatError(
      `a dimension set has at most ${emfLimits.maxDimensions} dimensions, got ${dimensions.length}`,
    );
  }

  const members: Record<string, unknown> = {};
  const claim = (name: string, value: unknown) => {
    if (name === '_aws' || Object.hasOwn(members, name)) {
      throw new EmfFormatError(`member name ${JSON.stringify(name)} is used twice (or is reserved)`);
    }
    members[name] = value;
  };
  for (const [name, value] of dimensions) {
    checkLength('dimension name', name, emfLimits.maxNameLength);
    checkLength(`value of dimension ${name}`, value, emfLimits.maxDimensionValueLength);
    claim(name, value);
  }
  const definitions = set.metrics.map((metric) => {
    checkLength('metric name', metric.name, emfLimits.maxNameLength);
    claim(metric.name, metricValue(metric));
    return {
      Name: metric.name,
      Unit: metric.unit,
      ...(metric.highResolution === true ? { StorageResolution: 1 } : {}),
    };
  });
  for (const [name, value] of properties) claim(name, value);

  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: set.namespace,
          Dimensions: [dimensions.map(([name]) => name)],
          Metrics: definitions,
        },
      ],
    },
    ...members,
  });
}

/** Where metrics go: the EMF writer in Lambda and `pnpm dev`, a recording fake in tests. */
export interface MetricsSink {
  /** Records one metric set now. Throws `EmfFormatError` for an invalid set; never for I/O. */
  emit(set: MetricSet): void;
}

export interface EmfWriterOptions {
  /** Receives each line, newline included. @default writes to `process.stdout` */
  readonly write?: (line: string) => void;
  /** Epoch ms, for `Timestamp`. @default Date.now */
  readonly now?: () => number;
}

/**
 * A `MetricsSink` writing one EMF line per `emit` to stdout, where Lambda's log capture sends it to
 * CloudWatch Logs and on to CloudWatch metrics. Writes straight to the stream rather than through
 * `console.log`, whose Lambda patching prefixes lines and would break the JSON.
 */
export function emfWriter(options: EmfWriterOptions = {}): MetricsSink {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;
  return {
    emit(set) {
      write(`${formatEmf(set, Math.floor(now()))}\n`);
    },
  };
}

/** A `MetricsSink` that discards everything (for doors that do not want metrics). */
export const discardMetrics: MetricsSink = { emit: () => {} };

function metricValue(metric: MetricValue): number | readonly number[] {
  const values = typeof metric.value === 'number' ? [metric.value] : metric.value;
  if (values.length === 0 || values.length > emfLimits.maxValuesPerMetric) {
    throw new EmfFormatError(
      `metric ${metric.name} needs 1 to ${emfLimits.maxValuesPerMetric} values, got ${values.length}`,
    );
  }
  for (const value of values) {
    if (!Number.isFinite(value)) {
      throw new EmfFormatError(`metric ${metric.name} has a value that is not a finite number: ${value}`);
    }
  }
  return metric.value;
}

function checkLength(what: string, value: string, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new EmfFormatError(`${what} must be 1 to ${max} characters, got ${JSON.stringify(value)}`);
  }
}
