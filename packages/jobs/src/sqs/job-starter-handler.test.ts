import { installRecordingTraceSink, recordingLogger } from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { jobMessageBody, makeJobStarter } from '../job-starter.js';
import { MemoryJobStore } from '../memory-job-store.js';
import { jobRecord, newJobId } from '../testing/job-store-contract.js';
import { RecordingJobExecutions } from '../testing/recording-job-queue.js';
import { makeJobStarterHandler } from './job-starter-handler.js';

function record(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1767225600000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600010',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:mangaassist-prod-jobs',
    awsRegion: 'ap-northeast-1',
  };
}

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A starter over a memory store holding `queued` jobs, and what it started. */
async function harness(...statuses: ('queued' | 'cancelled')[]) {
  const jobs = new MemoryJobStore();
  const executions = new RecordingJobExecutions();
  const jobIds: string[] = [];
  for (const status of statuses) {
    const { job } = await jobs.create(jobRecord({ status }));
    jobIds.push(job.jobId);
  }
  return { start: makeJobStarter({ jobs, executions }), executions, jobIds };
}

describe('makeJobStarterHandler', () => {
  it("starts each record's job under that job and its tenant in the trace", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const jobs = new MemoryJobStore();
    const first = (await jobs.create(jobRecord({ tenantId: 'tenant-a' }))).job.jobId;
    const second = (await jobs.create(jobRecord({ tenantId: 'tenant-b' }))).job.jobId;
    const inScope: unknown[] = [];
    const executions = new RecordingJobExecutions();
    executions.start = async (jobId) => {
      inScope.push(traceAnnotations());
      return `exec-${jobId}`;
    };
    const handler = makeJobStarterHandler(makeJobStarter({ jobs, executions }));
    await handler(event(record('m1', jobMessageBody(first)), record('m2', jobMessageBody(second))));
    expect(inScope).toEqual([
      { job_id: first, tenant: 'tenant-a' },
      { job_id: second, tenant: 'tenant-b' },
    ]);
  });

  it('reports only the record that failed and starts the others of the batch', async () => {
    const { start, executions, jobIds } = await harness('queued', 'queued');
    const [first = '', second = ''] = jobIds;
    const logger = recordingLogger();
    const handler = makeJobStarterHandler(start, logger);

    const response = await handler(
      event(
        record('m-1', jobMessageBody(first)),
        record('m-2', 'not json', 3),
        record('m-3', jobMessageBody(second)),
      ),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(executions.started).toEqual(expect.arrayContaining([first, second]));
    expect(executions.started).toHaveLength(2);
    expect(logger.entries).toContainEqual({
      level: 'error',
      message: 'starting a job failed',
      fields: expect.objectContaining({ messageId: 'm-2', receiveCount: '3' }),
    });
  });

  it('answers an empty batch with no failures', async () => {
    const { start } = await harness();

    expect(await makeJobStarterHandler(start)(event())).toEqual({ batchItemFailures: [] });
  });

  it('does not count a skipped job as a failure: a missing or cancelled job is done with', async () => {
    const { start, executions, jobIds } = await harness('cancelled');
    const [cancelled = ''] = jobIds;
    const logger = recordingLogger();

    const response = await makeJobStarterHandler(
      start,
      logger,
    )(event(record('m-1', jobMessageBody(cancelled)), record('m-2', jobMessageBody(newJobId()))));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(executions.started).toEqual([]);
    expect(logger.entries.map((entry) => [entry.level, entry.message, entry.fields?.messageId])).toEqual([
      ['info', 'queued job skipped', 'm-1'],
      ['info', 'queued job skipped', 'm-2'],
    ]);
  });

  it('reports every record of a batch whose starts all fail', async () => {
    const { start } = await harness();

    const response = await makeJobStarterHandler(start)(event(record('m-1', '{}'), record('m-2', '[]')));

    expect(response.batchItemFailures).toEqual(
      expect.arrayContaining([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }]),
    );
    expect(response.batchItemFailures).toHaveLength(2);
  });
});

describe('makeJobStarterHandler on a start that keeps failing', () => {
  const failingStart = async () => {
    throw new Error('StartExecution throttled');
  };

  it('fails the job only on the last receive, as its message goes to the dead-letter queue', async () => {
    const abandoned: { body: string; reason: string }[] = [];
    const handler = makeJobStarterHandler(failingStart, undefined, async (body, reason) => {
      abandoned.push({ body, reason });
    });
    const body = jobMessageBody(newJobId());
    expect(await handler(event(record('m-1', body, 4)))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(abandoned).toEqual([]);
    expect(await handler(event(record('m-1', body, 5)))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(abandoned).toEqual([{ body, reason: 'StartExecution throttled' }]);
  });
});
