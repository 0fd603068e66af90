import { onTestFinished } from 'vitest';
import { useTraceSink } from '../tracing/tracing.js';
import { sampledParent, type TraceParent, type TraceSink, type XraySubsegment } from '../xray/xray-daemon.js';

/** A subsegment as a recording sink kept it. */
export interface RecordedSubsegment extends XraySubsegment {
  readonly id: string;
  readonly parent: TraceParent;
}

/** A `TraceSink` that keeps what it is sent, under a settable trace header and clock. */
export interface RecordingTraceSink extends TraceSink {
  readonly subsegments: RecordedSubsegment[];
  /** The trace header of the work in progress; undefined is no trace. */
  traceHeader: string | undefined;
  /** Epoch milliseconds `now()` returns. */
  clock: number;
}

/** A sampled trace header of a Lambda invocation, for tests. */
export const sampledTraceHeader =
  'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

/**
 * A sink for tests: install it with `useTraceSink` and read `subsegments`.
 *
 * @example const sink = recordingTraceSink(); onTestFinished(useTraceSink(sink));
 */
export function recordingTraceSink(traceHeader: string | undefined = sampledTraceHeader): RecordingTraceSink {
  const sink: RecordingTraceSink = {
    subsegments: [],
    traceHeader,
    clock: 1_700_000_000_000,
    parent: () => sampledParent(sink.traceHeader),
    now: () => sink.clock,
    send: (parent, id, subsegment) => {
      sink.subsegments.push({ ...subsegment, id, parent });
    },
  };
  return sink;
}

/** A recording sink installed as the process's for the current test, and removed after it. */
export function installRecordingTraceSink(traceHeader?: string): RecordingTraceSink {
  const sink = recordingTraceSink(traceHeader);
  onTestFinished(useTraceSink(sink));
  return sink;
}
