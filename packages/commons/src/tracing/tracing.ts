// The process's tracing: where subsegments go, the annotations of the work in progress, and
// subsegments opened around that work, nested in the one open around them. Outside Lambda's
// active tracing there is no sink and every function here costs a lookup and nothing else.

import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type AnnotationValue,
  lambdaTraceSink,
  subsegmentId,
  type TraceParent,
  type TraceSink,
  type XraySubsegment,
} from '../xray/xray-daemon.js';

export type TraceAnnotations = Readonly<Record<string, AnnotationValue>>;

/** One scope of work: its annotations (added to as the work learns more) and its open subsegment. */
interface TraceScope {
  annotations: TraceAnnotations;
  readonly subsegment?: {
    /** The open subsegment, as the parent of those opened inside it. */
    readonly parent: TraceParent;
    /** The trace header of the invocation it belongs to. */
    readonly invocation: TraceParent;
  };
}

const scopes = new AsyncLocalStorage<TraceScope>();

/** `useTraceSink(unresolvedTraceSink)`: the next `activeTraceSink()` reads the environment again. */
export const unresolvedTraceSink = 'unresolved';
let sink: TraceSink | undefined | typeof unresolvedTraceSink = unresolvedTraceSink;

/**
 * The process's sink: Lambda's X-Ray daemon when active tracing is on, else none. A daemon
 * address it cannot read turns tracing off, with one warning, rather than failing every call.
 */
export function activeTraceSink(): TraceSink | undefined {
  if (sink === unresolvedTraceSink) {
    try {
      sink = lambdaTraceSink();
    } catch (error) {
      sink = undefined;
      process.emitWarning(`X-Ray tracing is off: ${(error as Error).message}`);
    }
  }
  return sink;
}

/** Sends this process's subsegments to `next` (tests, a host other than Lambda); returns the undo. */
export function useTraceSink(next: TraceSink | undefined | typeof unresolvedTraceSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** The annotations every subsegment opened now carries. */
export function traceAnnotations(): TraceAnnotations {
  return scopes.getStore()?.annotations ?? {};
}

/**
 * Runs `work` in a new scope with `annotations` added to those in scope (undefined values leave a
 * key as it was): every subsegment opened inside it, however deep and however late, carries
 * them. A generator's body runs in its consumer's scope, so wrap the calls it makes, not the
 * generator. Without a trace sink it only runs `work`: there is nothing to annotate.
 *
 * @example withTraceAnnotations({ tenant: request.tenantId }, () => endpoint(request))
 */
export function withTraceAnnotations<T>(
  annotations: Readonly<Record<string, AnnotationValue | undefined>>,
  work: () => T,
): T {
  // A scope costs every promise of the process a hook (AsyncLocalStorage on Node 22): only
  // where subsegments are sent is it worth that.
  if (activeTraceSink() === undefined) return work();
  const outer = scopes.getStore();
  const scope: TraceScope = { ...outer, annotations: merged(outer?.annotations ?? {}, annotations) };
  return scopes.run(scope, work);
}

/**
 * Adds annotations to the current scope, for the rest of its work: what the work learnt on the
 * way (the tenant of the job it just read). Call it only in a scope your own work opened: all
 * of that scope's work sees them, what it started in the background too. Outside any scope it
 * does nothing.
 */
export function addTraceAnnotations(
  annotations: Readonly<Record<string, AnnotationValue | undefined>>,
): void {
  const scope = scopes.getStore();
  if (scope !== undefined) scope.annotations = merged(scope.annotations, annotations);
}

/** A subsegment being timed; `end` sends it, once. */
export interface OpenSubsegment {
  /** The `X-Amzn-Trace-Id` that makes a downstream call this subsegment's child. */
  readonly traceHeader: string;
  annotate(annotations: Readonly<Record<string, AnnotationValue | undefined>>): void;
  /** Runs `work` with this subsegment as the parent of the subsegments opened inside it. */
  within<T>(work: () => T): T;
  end(outcome?: Pick<XraySubsegment, 'aws' | 'http' | 'error' | 'throttle' | 'fault'>): void;
  /** Sends nothing: what was timed turned out to be no call at all. */
  discard(): void;
}

/**
 * Opens a subsegment of the sampled work in progress (of the subsegment open around it, if
 * any), with the annotations in scope; undefined when there is no sink or the work is not sampled.
 */
export function startSubsegment(name: string, namespace?: 'aws' | 'remote'): OpenSubsegment | undefined {
  const target = activeTraceSink();
  if (target === undefined) return undefined;
  const scope = scopes.getStore();
  const invocation = target.parent();
  if (invocation === undefined) return undefined;
  // A scope's subsegment belongs to the invocation that opened it: work that outlives it (a
  // timer firing in the next invocation, which may share the trace) hangs from the new one.
  const scoped = scope?.subsegment;
  const parent =
    scoped !== undefined && sameInvocation(scoped.invocation, invocation) ? scoped.parent : invocation;
  const id = subsegmentId();
  const startTime = target.now() / 1000;
  let annotations = scope?.annotations ?? {};
  let ended = false;
  return {
    traceHeader: childTraceHeader(parent, id),
    annotate(more) {
      annotations = merged(annotations, more);
    },
    within(work) {
      const subsegment = { parent: { ...parent, parentId: id }, invocation };
      return scopes.run({ annotations: scope?.annotations ?? {}, subsegment }, work);
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
    discard() {
      ended = true;
    },
  };
}

function sameInvocation(a: TraceParent, b: TraceParent): boolean {
  return a.traceId === b.traceId && a.parentId === b.parentId;
}

/**
 * The trace header of a call made under subsegment `id`: the invocation's own header with only
 * its `Parent` replaced, so the fields Lambda reads on the other side (`Lineage`, which stops
 * recursive loops) travel on.
 */
function childTraceHeader(parent: TraceParent, id: string): string {
  const fields = (parent.header ?? `Root=${parent.traceId};Parent=${parent.parentId};Sampled=1`).split(';');
  return fields.map((field) => (field.trim().startsWith('Parent=') ? `Parent=${id}` : field)).join(';');
}

/**
 * Runs `work` as a subsegment named `name`, the parent of those opened inside it: annotated with
 * the annotations in scope and those `work` adds, a fault when it throws. Without a sampled
 * trace it only runs `work`.
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
    return await subsegment.within(() => work(subsegment));
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
