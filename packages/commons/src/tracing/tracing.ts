// The process's tracing: where subsegments go, the annotations of the work in progress, and
// subsegments opened around that work. Outside Lambda's active tracing there is no sink and
// every function here costs a lookup and nothing else.

import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type AnnotationValue,
  lambdaTraceSink,
  subsegmentId,
  type TraceSink,
  type XraySubsegment,
} from '../xray/xray-daemon.js';

export type TraceAnnotations = Readonly<Record<string, AnnotationValue>>;

const annotationsInScope = new AsyncLocalStorage<TraceAnnotations>();
let sink: TraceSink | undefined | 'unresolved' = 'unresolved';

/** The process's sink: Lambda's X-Ray daemon when active tracing is on, else none. */
export function activeTraceSink(): TraceSink | undefined {
  if (sink === 'unresolved') sink = lambdaTraceSink();
  return sink;
}

/** Sends this process's subsegments to `next` (tests, a host other than Lambda); returns the undo. */
export function useTraceSink(next: TraceSink | undefined): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** The annotations every subsegment opened now carries. */
export function traceAnnotations(): TraceAnnotations {
  return annotationsInScope.getStore() ?? {};
}

/**
 * Runs `work` with `annotations` added to those in scope (undefined values leave a key as it
 * was): every subsegment opened inside it, however deep and however late, carries them. A
 * generator's body runs in its consumer's scope, so wrap the calls it makes, not the generator.
 *
 * @example withTraceAnnotations({ tenant: request.tenantId }, () => endpoint(request))
 */
export function withTraceAnnotations<T>(
  annotations: Readonly<Record<string, AnnotationValue | undefined>>,
  work: () => T,
): T {
  return annotationsInScope.run(merged(traceAnnotations(), annotations), work);
}

/** A subsegment being timed; `end` sends it, once. */
export interface OpenSubsegment {
  /** The `X-Amzn-Trace-Id` that makes a downstream call this subsegment's child. */
  readonly traceHeader: string;
  annotate(annotations: Readonly<Record<string, AnnotationValue | undefined>>): void;
  end(outcome?: Pick<XraySubsegment, 'aws' | 'http' | 'error' | 'throttle' | 'fault'>): void;
}

/**
 * Opens a subsegment of the sampled work in progress, with the annotations in scope; undefined
 * when there is no sink or the work is not sampled.
 */
export function startSubsegment(name: string, namespace?: 'aws' | 'remote'): OpenSubsegment | undefined {
  const target = activeTraceSink();
  const parent = target?.parent();
  if (target === undefined || parent === undefined) return undefined;
  const id = subsegmentId();
  const startTime = target.now() / 1000;
  let annotations = traceAnnotations();
  let ended = false;
  return {
    traceHeader: `Root=${parent.traceId};Parent=${id};Sampled=1`,
    annotate(more) {
      annotations = merged(annotations, more);
    },
    end(outcome = {}) {
      if (ended) return;
      ended = true;
      const timing = { startTime, endTime: target.now() / 1000 };
      target.send(parent, id, {
        name,
        ...(namespace ? { namespace } : {}),
        ...timing,
        annotations,
        ...outcome,
      });
    },
  };
}

/**
 * Runs `work` as a subsegment named `name`: annotated with the annotations in scope and those
 * `work` adds, a fault when it throws. Without a sampled trace it only runs `work`.
 *
 * @example await traced('ResponseCache', async (subsegment) => { … subsegment.annotate({ cache: 'hit' }) … })
 */
export async function traced<T>(
  name: string,
  work: (subsegment: Pick<OpenSubsegment, 'annotate'>) => Promise<T>,
): Promise<T> {
  const subsegment = startSubsegment(name);
  if (subsegment === undefined) return work(unsampled);
  try {
    return await work(subsegment);
  } catch (error) {
    subsegment.end({ fault: true });
    throw error;
  } finally {
    subsegment.end();
  }
}

const unsampled: Pick<OpenSubsegment, 'annotate'> = { annotate: () => {} };

function merged(
  base: TraceAnnotations,
  more: Readonly<Record<string, AnnotationValue | undefined>>,
): TraceAnnotations {
  const result: Record<string, AnnotationValue> = { ...base };
  for (const [key, value] of Object.entries(more)) if (value !== undefined) result[key] = value;
  return result;
}
