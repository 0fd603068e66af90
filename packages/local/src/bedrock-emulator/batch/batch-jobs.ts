import { randomInt } from 'node:crypto';
import { EmulatedServiceError, invalidModelIdMessage } from '../errors.js';
import type { EmulatorLogger } from '../logger.js';
import {
  type BatchJobStateChange,
  type BatchStateChangeListener,
  batchStateChangeDetailType,
  batchStateChangeSource,
  eventCreationTime,
  modelArnOf,
} from './batch-events.js';
import { type BatchJob, type BatchJobView, isTerminal, viewOf } from './batch-job.js';
import { type RunnerDependencies, runBatchJob } from './batch-job-runner.js';
import type { BatchObjectStore } from './batch-object-store.js';
import type { BatchJobStatus, CreateJobInput, JobIdentifier, ListJobsQuery } from './batch-request.js';

/** Batch inference in the emulator: where jobs read and write, and who hears of their state changes. */
export interface BatchInferenceOptions {
  /** The S3 buckets the jobs' input and output URIs name. */
  readonly objectStore: BatchObjectStore;
  /**
   * Each state change of each job, in order, shaped as EventBridge receives it from `aws.bedrock`
   * on the default bus (`pnpm dev`: the local bus's `put`). A rejection is logged and ignored.
   * @default - the changes are only visible through GetModelInvocationJob
   */
  readonly onStateChange?: BatchStateChangeListener;
  /** The account in job ARNs and events. @default '000000000000' */
  readonly account?: string;
  /** Records of one job answered at once. @default 4 */
  readonly concurrency?: number;
  /** Records a job may hold; more fail the job. @default 50_000 (Bedrock's quota per job) */
  readonly maxRecordsPerJob?: number;
  /**
   * Input file size; a larger file fails the job. Bedrock takes up to 1 GB per file; the
   * emulator holds a file in memory, so its default is smaller.
   * @default 64 MiB
   */
  readonly maxInputBytes?: number;
  /**
   * Jobs submitted but not ended per region; CreateModelInvocationJob beyond is a
   * ServiceQuotaExceededException. @default 20
   */
  readonly maxActiveJobs?: number;
  /** Ended jobs kept for Get and List; the oldest are forgotten beyond. @default 1000 */
  readonly maxJobsKept?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** What the job book takes from the emulator. */
export interface BatchJobBookDependencies {
  readonly model: RunnerDependencies['model'];
  readonly knownModelIds: (modelId: string) => boolean;
  readonly logger: EmulatorLogger;
}

export interface JobListing {
  readonly invocationJobSummaries: BatchJobView[];
  readonly nextToken?: string;
}

const jobIdAlphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** What List sorts jobs by: submission time, then id for jobs submitted in the same millisecond. */
type SortKey = Pick<BatchJob, 'submitTime' | 'id'>;

/**
 * The emulator's batch inference jobs: CreateModelInvocationJob, Get, List and Stop over them,
 * each job running in the background (see `runBatchJob`). Jobs live in memory, per region.
 */
export class BatchJobBook {
  private readonly jobs = new Map<string, BatchJob>();
  private readonly arnsById = new Map<string, string>();
  private readonly arnsByToken = new Map<string, string>();
  private closed = false;
  private readonly account: string;
  private readonly now: () => Date;
  private readonly runner: RunnerDependencies | undefined;

  constructor(
    private readonly options: BatchInferenceOptions | undefined,
    private readonly deps: BatchJobBookDependencies,
  ) {
    this.account = options?.account ?? '000000000000';
    this.now = options?.now ?? (() => new Date());
    this.runner =
      options === undefined
        ? undefined
        : {
            store: options.objectStore,
            model: deps.model,
            concurrency: Math.max(1, options.concurrency ?? 4),
            maxRecords: options.maxRecordsPerJob ?? 50_000,
            maxInputBytes: options.maxInputBytes ?? 64 * 1024 * 1024,
            logger: deps.logger,
            now: this.now,
            transition: (job, status, message) => this.transition(job, status, message),
          };
  }

  /**
   * Starts a job, or returns the one the same `clientRequestToken` started in this region.
   * @throws EmulatedServiceError ValidationException for an unknown model or when batch inference
   *   has no object store; ServiceQuotaExceededException past `maxActiveJobs`.
   */
  create(region: string, request: CreateJobInput): string {
    const tokenKey =
      request.clientRequestToken === undefined ? undefined : `${region}\n${request.clientRequestToken}`;
    const earlier = tokenKey === undefined ? undefined : this.arnsByToken.get(tokenKey);
    if (earlier !== undefined && this.jobs.has(earlier)) return earlier;
    if (this.runner === undefined) {
      throw new EmulatedServiceError(
        'ValidationException',
        'Batch inference is not set up in this local emulator: start it with the `batch.objectStore` option.',
      );
    }
    if (!this.deps.knownModelIds(request.modelId)) {
      throw new EmulatedServiceError('ValidationException', invalidModelIdMessage);
    }
    const maxActive = this.options?.maxActiveJobs ?? 20;
    const active = [...this.jobs.values()].filter((job) => job.region === region && !isTerminal(job.status));
    if (active.length >= maxActive) {
      throw new EmulatedServiceError(
        'ServiceQuotaExceededException',
        `You have reached the maximum number of batch inference jobs in progress (${maxActive}) in ${region}.`,
      );
    }
    const id = this.newJobId();
    const submitTime = this.now();
    const job: BatchJob = {
      id,
      arn: `arn:aws:bedrock:${region}:${this.account}:model-invocation-job/${id}`,
      region,
      request,
      submitTime,
      status: 'Submitted',
      message: undefined,
      lastModifiedTime: submitTime,
      endTime: undefined,
      counts: undefined,
      stop: new AbortController(),
      delivery: Promise.resolve(),
      done: Promise.resolve(),
    };
    this.jobs.set(job.arn, job);
    this.arnsById.set(id, job.arn);
    if (tokenKey !== undefined) this.arnsByToken.set(tokenKey, job.arn);
    this.emit(job);
    job.done = runBatchJob(job, this.runner);
    this.forgetOldJobs();
    return job.arn;
  }

  /** @throws EmulatedServiceError ResourceNotFoundException for no such job in `region`. */
  get(region: string, identifier: JobIdentifier): BatchJobView {
    return viewOf(this.find(region, identifier));
  }

  /** The region's jobs, filtered and sorted by submission time, a page at a time. */
  list(region: string, query: ListJobsQuery): JobListing {
    const direction = query.sortOrder === 'Ascending' ? 1 : -1;
    const order = (a: SortKey, b: SortKey) =>
      direction * (a.submitTime.getTime() - b.submitTime.getTime() || a.id.localeCompare(b.id));
    const after = query.nextToken === undefined ? undefined : readCursor(query.nextToken);
    const matching = [...this.jobs.values()]
      .filter(
        (job) =>
          job.region === region &&
          (query.statusEquals === undefined || job.status === query.statusEquals) &&
          (query.nameContains === undefined || job.request.jobName.includes(query.nameContains)) &&
          (query.submitTimeAfter === undefined || job.submitTime > query.submitTimeAfter) &&
          (query.submitTimeBefore === undefined || job.submitTime < query.submitTimeBefore),
      )
      .sort(order)
      .filter((job) => after === undefined || order(job, after) > 0);
    const page = matching.slice(0, query.maxResults);
    const last = page.at(-1);
    return {
      invocationJobSummaries: page.map(viewOf),
      ...(matching.length > page.length && last !== undefined ? { nextToken: cursorOf(last) } : {}),
    };
  }

  /**
   * Moves a running job to `Stopping`; it ends `Stopped` once its records in flight have given up.
   * @throws EmulatedServiceError ResourceNotFoundException for no such job, ValidationException for
   *   a job that has ended or is already stopping.
   */
  stop(region: string, identifier: JobIdentifier): void {
    const job = this.find(region, identifier);
    if (isTerminal(job.status) || job.status === 'Stopping') {
      throw new EmulatedServiceError(
        'ValidationException',
        `The batch inference job ${job.arn} is ${job.status} and cannot be stopped.`,
      );
    }
    this.transition(job, 'Stopping');
    job.stop.abort();
  }

  /**
   * Resolves with the job once it has ended and its last state change has been delivered.
   * Rejects at once for a job the emulator does not know, and after `timeoutMs` with the status the
   * job is stuck in, so a test fails with a reason instead of hanging.
   */
  async settled(jobArn: string, timeoutMs = 10_000): Promise<BatchJobView> {
    const job = this.jobs.get(jobArn);
    if (job === undefined) throw new Error(`The Bedrock emulator has no batch inference job ${jobArn}.`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const progress =
          job.counts === undefined
            ? ''
            : ` (${job.counts.processed} of ${job.counts.total} records answered)`;
        reject(
          new Error(
            `Batch inference job ${jobArn} did not end within ${timeoutMs} ms: it is ${job.status}${progress}.`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([job.done, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return viewOf(job);
  }

  /** Every job kept, newest first. */
  snapshot(): BatchJobView[] {
    return [...this.jobs.values()].reverse().map(viewOf);
  }

  /** Stops every running job without emitting further state changes, and waits for them to end. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.jobs.values()].filter((job) => !isTerminal(job.status));
    for (const job of running) job.stop.abort();
    await Promise.all(running.map((job) => job.done));
  }

  private transition(job: BatchJob, status: BatchJobStatus, message?: string): void {
    if (isTerminal(job.status) || job.status === status) return;
    if (job.status === 'Stopping' && status !== 'Stopped') return;
    const now = this.now();
    job.status = status;
    job.lastModifiedTime = now;
    if (message !== undefined) job.message = message;
    if (isTerminal(status)) job.endTime = now;
    this.emit(job);
  }

  /** Queues the job's current state for the listener, behind the job's earlier changes. */
  private emit(job: BatchJob): void {
    const listener = this.options?.onStateChange;
    if (listener === undefined || this.closed) return;
    const event: BatchJobStateChange = {
      source: batchStateChangeSource,
      detailType: batchStateChangeDetailType,
      time: job.lastModifiedTime,
      region: job.region,
      resources: [job.arn],
      detail: {
        version: '0.0',
        accountId: this.account,
        batchJobName: job.request.jobName,
        batchJobArn: job.arn,
        batchModelId: modelArnOf(job.request.modelId, job.region, this.account),
        status: job.status,
        failureMessage: job.message ?? '',
        creationTime: eventCreationTime(job.submitTime),
      },
    };
    job.delivery = job.delivery.then(async () => {
      try {
        await listener(event);
      } catch (error) {
        this.deps.logger.warn('bedrock emulator: a batch job state change listener failed', {
          jobArn: job.arn,
          status: event.detail.status,
          error: String(error),
        });
      }
    });
  }

  private find(region: string, identifier: JobIdentifier): BatchJob {
    const arn = identifier.arn ?? this.arnsById.get(identifier.id);
    const job = arn === undefined ? undefined : this.jobs.get(arn);
    if (job === undefined || job.region !== region) {
      throw new EmulatedServiceError(
        'ResourceNotFoundException',
        `The batch inference job ${identifier.arn ?? identifier.id} could not be found.`,
      );
    }
    return job;
  }

  private newJobId(): string {
    for (;;) {
      const id = Array.from({ length: 12 }, () => jobIdAlphabet.charAt(randomInt(jobIdAlphabet.length))).join(
        '',
      );
      if (!this.arnsById.has(id)) return id;
    }
  }

  /** Forgets the oldest ended jobs beyond `maxJobsKept`; running jobs are always kept. */
  private forgetOldJobs(): void {
    const maxKept = this.options?.maxJobsKept ?? 1000;
    for (const job of this.jobs.values()) {
      if (this.jobs.size <= maxKept) return;
      if (!isTerminal(job.status)) continue;
      this.jobs.delete(job.arn);
      this.arnsById.delete(job.id);
      const tokenKey = `${job.region}\n${job.request.clientRequestToken}`;
      if (this.arnsByToken.get(tokenKey) === job.arn) this.arnsByToken.delete(tokenKey);
    }
  }
}

// A page ends at a job; the next page starts after it in the same order, so jobs submitted between
// the calls cannot shift a page. The token is the job's submission time and id.
function cursorOf(job: BatchJob): string {
  return Buffer.from(`${job.submitTime.getTime()}|${job.id}`).toString('base64url');
}

function readCursor(token: string): SortKey {
  const [time, id] = Buffer.from(token, 'base64url').toString('utf8').split('|');
  const submitMs = Number(time);
  if (id === undefined || !/^[a-z0-9]{12}$/.test(id) || !Number.isSafeInteger(submitMs)) {
    throw new EmulatedServiceError('ValidationException', 'The provided nextToken is not valid.');
  }
  return { submitTime: new Date(submitMs), id };
}
