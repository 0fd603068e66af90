import type { Logger } from '@mangaassist/commons';
import { withTraceAnnotations } from '@mangaassist/commons/tracing';
import { makeApiGatewayHandler } from '@mangaassist/http/api-gateway';
import type { ExecutionEnded, JobStarter } from '@mangaassist/jobs';
import type { JobStepsPlatform, JobsApiPlatform } from '@mangaassist/jobs/platform';
import { makeJobStarterHandler } from '@mangaassist/jobs/sqs';

/** The jobs API door over its platform (`createJobsApiPlatform`). */
export function makeJobsApiHandler({
  endpoint,
  resolveTenant,
}: Pick<JobsApiPlatform, 'endpoint' | 'resolveTenant'>) {
  return makeApiGatewayHandler(endpoint, { resolveTenant });
}

/** The job queues' consumer over its platform (`createJobStarterPlatform`). */
export function makeJobStarterQueueHandler({
  start,
  abandon,
  logger,
}: {
  start: JobStarter;
  abandon?: (body: string, reason: string) => Promise<void>;
  logger: Logger;
}) {
  return makeJobStarterHandler(start, logger, abandon);
}

/** How long a step may wait for the gateway's InferenceCompleted events to reach the bus. */
const eventFlushMs = 300;

/**
 * The job workflow's steps function (every Task state of the job state machine, by `step`) over
 * its platform (`createJobStepsPlatform`): the step's answer, after the gateway's events are out.
 */
export function makeJobStepsFunctionHandler({
  handler,
  gateway,
}: Pick<JobStepsPlatform, 'handler' | 'gateway'>) {
  return async (event: unknown): Promise<unknown> => {
    try {
      return await handler(event);
    } finally {
      await gateway.flush(eventFlushMs);
    }
  };
}

/** Step Functions' "Execution Status Change" event, as far as the handler reads it. */
export interface ExecutionStatusChange {
  readonly detail: {
    readonly name: string;
    readonly status: string;
    readonly error?: string | null;
    readonly cause?: string | null;
  };
}

const endedStatuses: ReadonlySet<string> = new Set<ExecutionEnded['status']>([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
]);

function isEndedStatus(status: string): status is ExecutionEnded['status'] {
  return endedStatuses.has(status);
}

/**
 * The safety net's handler (an EventBridge rule on the job state machine's status changes): a job
 * whose execution ended without settling it is failed with the reason. Other statuses are ignored.
 */
export function makeExecutionEndedEventHandler(ended: (execution: ExecutionEnded) => Promise<unknown>) {
  return async (event: ExecutionStatusChange): Promise<void> => {
    const { name, status, error, cause } = event.detail;
    if (!isEndedStatus(status)) return;
    await withTraceAnnotations({ job_id: name }, () =>
      ended({ jobId: name, status, ...(error ? { error } : {}), ...(cause ? { cause } : {}) }),
    );
  };
}
