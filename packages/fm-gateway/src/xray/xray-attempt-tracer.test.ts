import {
  installRecordingTraceSink,
  recordingTraceSink,
  sampledTraceHeader,
} from '@mangaassist/commons/testing';
import { useTraceSink, withTraceAnnotations } from '@mangaassist/commons/tracing';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AttemptRecord } from '../gateway/gateway-types.js';
import { lambdaXrayAttemptTracer, xrayAttemptTracer } from './xray-attempt-tracer.js';

const attempt: AttemptRecord = {
  model: 'claude-haiku-4-5',
  region: 'ap-northeast-1',
  modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
  outcome: 'success',
  calls: 1,
};

describe('xrayAttemptTracer', () => {
  it('sends each target tried as a timed subsegment, annotated with the scope, model, region and outcome', () => {
    const sink = installRecordingTraceSink();
    withTraceAnnotations({ tenant: 'manga-store', fallback_step: 1, cache: 'miss' }, () => {
      const traced = xrayAttemptTracer().start(attempt);
      sink.clock += 250;
      traced.end({ ...attempt, outcome: 'failed', calls: 3, error: 'ThrottlingException' });
    });
    expect(sink.subsegments).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        parent: expect.objectContaining({
          traceId: '1-5759e988-bd862e3fe1be46a994272793',
          parentId: '53995c3f42cd8ad8',
        }),
        name: 'Bedrock claude-haiku-4-5',
        startTime: 1_700_000_000,
        endTime: 1_700_000_000.25,
        aws: { region: 'ap-northeast-1' },
        error: true,
        throttle: true,
        annotations: {
          tenant: 'manga-store',
          fallback_step: 1,
          cache: 'miss',
          model: 'claude-haiku-4-5',
          model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
          region: 'ap-northeast-1',
          calls: 3,
          outcome: 'failed',
          error: 'ThrottlingException',
        },
      },
    ]);
  });

  it("flags a failure a fault, the caller's own mistake an error, and a success or skip neither", () => {
    const sink = installRecordingTraceSink();
    const tracer = xrayAttemptTracer();
    tracer.start(attempt).end({ ...attempt, outcome: 'failed', error: 'ModelErrorException' });
    tracer.start(attempt).end({ ...attempt, outcome: 'failed', error: 'ValidationException' });
    tracer.start(attempt).end(attempt);
    tracer.start(attempt).end({ ...attempt, outcome: 'skipped', calls: 0, reason: 'circuit-open' });
    expect(sink.subsegments.map(({ error, throttle, fault }) => ({ error, throttle, fault }))).toEqual([
      { error: undefined, throttle: undefined, fault: true },
      { error: true, throttle: undefined, fault: undefined },
      { error: undefined, throttle: undefined, fault: undefined },
      { error: undefined, throttle: undefined, fault: undefined },
    ]);
    expect(sink.subsegments[3]?.annotations).toMatchObject({
      skipped_because: 'circuit-open',
      outcome: 'skipped',
    });
  });

  it('sends nothing for an unsampled invocation', () => {
    const sink = installRecordingTraceSink(sampledTraceHeader.replace('Sampled=1', 'Sampled=0'));
    xrayAttemptTracer().start(attempt).end(attempt);
    expect(sink.subsegments).toEqual([]);
  });
});

describe('lambdaXrayAttemptTracer', () => {
  it('traces only where the process has a trace sink', () => {
    onTestFinished(useTraceSink(undefined));
    expect(lambdaXrayAttemptTracer()).toBeUndefined();
    useTraceSink(recordingTraceSink());
    expect(lambdaXrayAttemptTracer()).toBeDefined();
  });
});
