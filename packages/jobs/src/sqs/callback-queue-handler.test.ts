import { installRecordingTraceSink, recordingLogger } from '@mangaassist/commons/testing';
import { addTraceAnnotations, traceAnnotations } from '@mangaassist/commons/tracing';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CallbackDeliverer, CallbackOutcome } from '../callbacks/callback-delivery.js';
import { type MessageVisibility, makeCallbackQueueHandler } from './callback-queue-handler.js';

function record(messageId: string, receiveCount: number | undefined = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: messageId,
    attributes: {
      ApproximateReceiveCount: receiveCount === undefined ? '' : String(receiveCount),
      SentTimestamp: '1767225600000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600010',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-job-callbacks',
    awsRegion: 'ap-northeast-1',
  };
}

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A deliverer that answers each body (the record's message id) from `outcomes`, throwing an `Error` as given. */
function scriptedDeliverer(outcomes: Readonly<Record<string, CallbackOutcome | Error>>): CallbackDeliverer {
  return async (body) => {
    const outcome = outcomes[body];
    if (outcome === undefined) throw new Error(`no outcome scripted for ${body}`);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
}

/** A `MessageVisibility` that records each `later`, or rejects when `failure` is given. */
function recordingVisibility(failure?: Error) {
  const calls: { readonly record: SQSRecord; readonly seconds: number }[] = [];
  const visibility: MessageVisibility = {
    async later(laterRecord, seconds) {
      calls.push({ record: laterRecord, seconds });
      if (failure) throw failure;
    },
  };
  return { visibility, calls };
}

const delivered: CallbackOutcome = { outcome: 'delivered', status: 200 };
const dropped: CallbackOutcome = { outcome: 'dropped', reason: 'the job no longer exists' };
const retry: CallbackOutcome = { outcome: 'retry', reason: 'receiver answered 503' };

describe('makeCallbackQueueHandler', () => {
  it("delivers each record in a trace scope of its own, which the deliverer adds its job's tenant to", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const { visibility } = recordingVisibility();
    const inScope: unknown[] = [];
    const handler = makeCallbackQueueHandler(async (body) => {
      addTraceAnnotations({ tenant: `tenant-of-${body}` });
      await Promise.resolve();
      inScope.push(traceAnnotations());
      return delivered;
    }, visibility);
    await handler(event(record('m-1'), record('m-2')));
    expect(inScope).toEqual([{ tenant: 'tenant-of-m-1' }, { tenant: 'tenant-of-m-2' }]);
  });

  it('reports no failure for delivered and dropped callbacks and puts none back', async () => {
    const { visibility, calls } = recordingVisibility();
    const logger = recordingLogger();
    const handler = makeCallbackQueueHandler(
      scriptedDeliverer({ 'm-1': delivered, 'm-2': dropped }),
      visibility,
      logger,
    );

    const response = await handler(event(record('m-1'), record('m-2')));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
    expect(logger.entries).toContainEqual({
      level: 'info',
      message: 'callback dropped',
      fields: { messageId: 'm-2', reason: 'the job no longer exists' },
    });
  });

  it('reports a callback to retry as a failure and puts that very record back for 30 s after the first attempt', async () => {
    const { visibility, calls } = recordingVisibility();
    const retried = record('m-2');
    const handler = makeCallbackQueueHandler(
      scriptedDeliverer({ 'm-1': delivered, 'm-2': retry }),
      visibility,
    );

    const response = await handler(event(record('m-1'), retried));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.record).toBe(retried);
    expect(calls[0]?.seconds).toBe(30);
  });

  it('reports a delivery that threw as a failure, puts it back on the schedule and logs the error', async () => {
    const { visibility, calls } = recordingVisibility();
    const logger = recordingLogger();
    const handler = makeCallbackQueueHandler(
      scriptedDeliverer({ 'm-1': new SyntaxError('Unexpected token'), 'm-2': delivered }),
      visibility,
      logger,
    );

    const response = await handler(event(record('m-1', 2), record('m-2')));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(calls.map(({ record: { messageId }, seconds }) => ({ messageId, seconds }))).toEqual([
      { messageId: 'm-1', seconds: 60 },
    ]);
    expect(logger.entries).toContainEqual({
      level: 'error',
      message: 'delivering a callback failed',
      fields: { messageId: 'm-1', error: 'Unexpected token' },
    });
  });

  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [5, 600],
    [11, 28_800],
    [12, 28_800],
    [13, 0],
    [40, 0],
  ])(
    'on receive number %i, puts a callback to retry back for %i s (0: the last, straight to the DLQ)',
    async (receiveCount, seconds) => {
      const { visibility, calls } = recordingVisibility();
      const handler = makeCallbackQueueHandler(scriptedDeliverer({ 'm-1': retry }), visibility);

      await handler(event(record('m-1', receiveCount)));

      expect(calls.map((call) => call.seconds)).toEqual([seconds]);
    },
  );

  it('waits as after a first attempt when the receive count is missing', async () => {
    const { visibility, calls } = recordingVisibility();
    const handler = makeCallbackQueueHandler(scriptedDeliverer({ 'm-1': retry }), visibility);

    await handler(event(record('m-1', undefined)));

    expect(calls.map((call) => call.seconds)).toEqual([30]);
  });

  it('still reports the failure, logging a warning, when the record cannot be put back', async () => {
    const { visibility, calls } = recordingVisibility(new Error('AccessDenied'));
    const logger = recordingLogger();
    const handler = makeCallbackQueueHandler(scriptedDeliverer({ 'm-1': retry }), visibility, logger);

    const response = await handler(event(record('m-1')));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(calls).toHaveLength(1);
    expect(logger.entries).toContainEqual({
      level: 'warn',
      message: 'could not schedule a callback retry',
      fields: { messageId: 'm-1', error: 'Error: AccessDenied' },
    });
  });

  it('reports every record of the batch that failed, and only those', async () => {
    const { visibility } = recordingVisibility();
    const handler = makeCallbackQueueHandler(
      scriptedDeliverer({ 'm-1': retry, 'm-2': delivered, 'm-3': new Error('boom'), 'm-4': dropped }),
      visibility,
    );

    const response = await handler(event(record('m-1'), record('m-2'), record('m-3'), record('m-4')));

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([
      'm-1',
      'm-3',
    ]);
  });

  it('answers an empty batch with no failures', async () => {
    const { visibility } = recordingVisibility();

    expect(await makeCallbackQueueHandler(scriptedDeliverer({}), visibility)(event())).toEqual({
      batchItemFailures: [],
    });
  });
});
