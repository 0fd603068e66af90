import { describe, expect, it } from 'vitest';
import { installRecordingTraceSink, sampledTraceHeader } from '../testing/recording-trace-sink.js';
import { traceAnnotations, traced, withTraceAnnotations } from './tracing.js';

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
        parent: { traceId: '1-5759e988-bd862e3fe1be46a994272793', parentId: '53995c3f42cd8ad8' },
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
