import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { installRecordingTraceSink, sampledTraceHeader } from '../testing/recording-trace-sink.js';
import {
  activeTraceSink,
  addTraceAnnotations,
  startSubsegment,
  traceAnnotations,
  traced,
  unresolvedTraceSink,
  useTraceSink,
  withTraceAnnotations,
} from './tracing.js';

describe('traced', () => {
  it('sends the work as a timed subsegment with the annotations in scope and those it adds', async () => {
    const sink = installRecordingTraceSink();
    const answer = await withTraceAnnotations({ tenant: 'manga-store', model: undefined }, () =>
      traced('ResponseCache', async (subsegment) => {
        sink.clock += 12;
        subsegment.annotate({ cache: 'hit' });
        return 'answer';
      }),
    );
    expect(answer).toBe('answer');
    expect(sink.subsegments).toEqual([
      expect.objectContaining({
        name: 'ResponseCache',
        startTime: 1_700_000_000,
        endTime: 1_700_000_000.012,
        annotations: { tenant: 'manga-store', cache: 'hit' },
        parent: {
          traceId: '1-5759e988-bd862e3fe1be46a994272793',
          parentId: '53995c3f42cd8ad8',
          header: sampledTraceHeader,
        },
      }),
    ]);
    expect(sink.subsegments[0]?.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('marks work that throws a fault, sends it once and rethrows', async () => {
    const sink = installRecordingTraceSink();
    await expect(
      traced('ResponseCache', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(sink.subsegments).toHaveLength(1);
    expect(sink.subsegments[0]?.fault).toBe(true);
  });

  it('sends nothing for unsampled work, and still runs it', async () => {
    const sink = installRecordingTraceSink(sampledTraceHeader.replace('Sampled=1', 'Sampled=0'));
    expect(await traced('ResponseCache', async () => 42)).toBe(42);
    expect(sink.subsegments).toEqual([]);
  });
});

describe('withTraceAnnotations', () => {
  it('scopes annotations to the work and what it awaits, nested scopes adding to outer ones', async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const seen = await withTraceAnnotations({ tenant: 'a' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const inner = await withTraceAnnotations({ model: 'fast', tenant: undefined }, async () =>
        traceAnnotations(),
      );
      return { inner, outer: traceAnnotations() };
    });
    expect(seen).toEqual({ inner: { tenant: 'a', model: 'fast' }, outer: { tenant: 'a' } });
    expect(traceAnnotations()).toEqual({});
  });
});

describe('subsegments within subsegments', () => {
  it('parents what is opened inside traced work to its subsegment, and the rest to the invocation', async () => {
    const sink = installRecordingTraceSink();
    await traced('Outer', async () => {
      await traced('Inner', async () => {});
    });
    await traced('After', async () => {});
    const [inner, outer, after] = sink.subsegments;
    expect([inner?.name, outer?.name, after?.name]).toEqual(['Inner', 'Outer', 'After']);
    expect(inner?.parent.parentId).toBe(outer?.id);
    expect(outer?.parent.parentId).toBe('53995c3f42cd8ad8');
    expect(after?.parent.parentId).toBe('53995c3f42cd8ad8');
  });

  it("passes the invocation's other trace header fields on to a child call, with only its parent replaced", () => {
    installRecordingTraceSink(`${sampledTraceHeader};Lineage=a87bd80c:0`);
    const subsegment = startSubsegment('DynamoDB', 'aws');
    expect(subsegment?.traceHeader).toMatch(
      /^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=1;Lineage=a87bd80c:0$/,
    );
    expect(subsegment?.traceHeader).not.toContain('53995c3f42cd8ad8');
  });

  it('starts afresh when the scope outlives the trace that opened it', async () => {
    const sink = installRecordingTraceSink();
    const next = 'Root=1-6759e988-bd862e3fe1be46a994272794;Parent=0123456789abcdef;Sampled=1';
    await traced('Outer', async () => {
      sink.traceHeader = next;
      await traced('Inner', async () => {});
    });
    expect(sink.subsegments[0]?.parent).toMatchObject({ parentId: '0123456789abcdef' });
  });

  it('hangs work that outlives its invocation from the next one, even in the same trace', async () => {
    const sink = installRecordingTraceSink();
    // A Step Functions execution's next step: the same Root, a new Parent.
    const nextStep = sampledTraceHeader.replace('53995c3f42cd8ad8', '0123456789abcdef');
    let late: Promise<void> | undefined;
    await traced('Step', async () => {
      late = new Promise<void>((resolve) =>
        setTimeout(() => {
          startSubsegment('DynamoDB', 'aws')?.end();
          resolve();
        }, 1),
      );
    });
    sink.traceHeader = nextStep;
    await late;
    const [, lateCall] = sink.subsegments;
    expect(lateCall?.name).toBe('DynamoDB');
    expect(lateCall?.parent.parentId).toBe('0123456789abcdef');
  });

  it('sends nothing for a discarded subsegment', () => {
    const sink = installRecordingTraceSink();
    const subsegment = startSubsegment('S3', 'aws');
    subsegment?.discard();
    subsegment?.end();
    expect(sink.subsegments).toEqual([]);
  });
});

describe('without a trace sink', () => {
  it('runs the work as it is, in no scope: nothing is annotated, no promise of the process is hooked', async () => {
    onTestFinished(useTraceSink(undefined));
    const seen = await withTraceAnnotations({ tenant: 'a' }, async () => {
      addTraceAnnotations({ job_id: 'j1' });
      return traceAnnotations();
    });
    expect(seen).toEqual({});
    expect(withTraceAnnotations({ tenant: 'a' }, () => 42)).toBe(42);
  });
});

describe('addTraceAnnotations', () => {
  it('adds to the current scope for the rest of its work, and nowhere outside a scope', async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    addTraceAnnotations({ tenant: 'nobody' });
    expect(traceAnnotations()).toEqual({});
    const seen = await withTraceAnnotations({ job_id: 'j1' }, async () => {
      await Promise.resolve();
      addTraceAnnotations({ tenant: 'manga-store', model: undefined });
      await Promise.resolve();
      return traceAnnotations();
    });
    expect(seen).toEqual({ job_id: 'j1', tenant: 'manga-store' });
  });
});

describe('activeTraceSink', () => {
  it('turns tracing off, with a warning, for a daemon address it cannot read', async () => {
    const restore = useTraceSink(undefined);
    onTestFinished(restore);
    vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', 'localhost');
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'chat');
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    onTestFinished(() => warnings.mockRestore());
    // The next resolution reads the environment again.
    useTraceSink(unresolvedTraceSink);
    expect(activeTraceSink()).toBeUndefined();
    expect(activeTraceSink()).toBeUndefined();
    expect(warnings).toHaveBeenCalledOnce();
    expect(String(warnings.mock.calls[0]?.[0])).toMatch(/X-Ray tracing is off: AWS_XRAY_DAEMON_ADDRESS/);
    expect(await traced('Work', async () => 'done')).toBe('done');
  });
});
