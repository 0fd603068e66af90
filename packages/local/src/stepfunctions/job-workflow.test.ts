// The job workflow as deployed (its ASL) on the local state machines, over the real steps and
// memory stores: what the ASL's Retry, Catch and Choice states do with what the steps throw.
import { defaultModelCatalog, type GatewayRequest, type GatewayResult } from '@mangaassist/fm-gateway';
import { gatewayResult } from '@mangaassist/fm-gateway/testing';
import {
  DocumentStoreUnavailableError,
  documentKeys,
  type JobRecord,
  type JobStepsDependencies,
  JobStoreUnavailableError,
  jobWorkflowDefinition,
  jobWorkflowStates,
  MemoryJobStore,
  makeJobSteps,
  makeJobStepsHandler,
} from '@mangaassist/jobs';
import { MemoryDocumentStore } from '@mangaassist/jobs/testing';
import { describe, expect, it } from 'vitest';
import { LocalStateMachines } from './local-state-machines.js';

const jobId = 'job_aaaaaaaaaaaaaaaaaaaaaaaaaa';

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    tenantId: 'store',
    type: 'summarize',
    status: 'queued',
    priority: 'normal',
    model: 'auto',
    documentKey: documentKeys.jobDocument(jobId),
    chunksDone: 0,
    chunksTotal: 0,
    createdAt: '2026-12-07T00:00:00.000Z',
    updatedAt: '2026-12-07T00:00:00.000Z',
    ...overrides,
  };
}

/** A model answering every call with `answer(request)`, recording the requests. */
function fakeModel(answer: (request: GatewayRequest) => Partial<GatewayResult> = () => ({})) {
  const calls: GatewayRequest[] = [];
  return {
    calls,
    async complete(request: GatewayRequest): Promise<GatewayResult> {
      calls.push(request);
      return gatewayResult({ model: request.model ?? 'auto', ...answer(request) });
    },
  };
}

/** Runs the job's execution to its end on the deployed ASL. */
async function runJob(
  jobs: MemoryJobStore,
  documents: MemoryDocumentStore,
  model: ReturnType<typeof fakeModel>,
  overrides: Partial<JobStepsDependencies> = {},
) {
  const handler = makeJobStepsHandler(
    makeJobSteps({ jobs, documents, model, catalog: defaultModelCatalog, chunkChars: 100, ...overrides }),
  );
  const machines = new LocalStateMachines({
    machines: [
      {
        name: 'jobs',
        definition: jobWorkflowDefinition(),
        tasks: Object.fromEntries(
          Object.values(jobWorkflowStates).map((state) => [
            state,
            (input: unknown, context: { readonly signal: AbortSignal }) => handler(input, context),
          ]),
        ),
      },
    ],
  });
  const ended = await machines.finished(machines.start('jobs', { job_id: jobId }, { name: jobId }));
  await machines.close(1000);
  return { ended, job: await jobs.get(jobId) };
}

describe('the job workflow on its ASL', () => {
  it('retries a job store that was unavailable for a moment, and the job succeeds', async () => {
    const jobs = new MemoryJobStore();
    const documents = new MemoryDocumentStore();
    await jobs.create(job());
    await documents.put(documentKeys.jobDocument(jobId), 'ワンピースは海賊の物語。'.repeat(3));
    const addProgress = jobs.addProgress.bind(jobs);
    let failures = 1;
    jobs.addProgress = async (...args) => {
      if (failures-- > 0) throw new JobStoreUnavailableError('throttled');
      return addProgress(...args);
    };
    const { ended, job: finished } = await runJob(jobs, documents, fakeModel());
    expect(ended?.status).toBe('SUCCEEDED');
    expect(finished?.status).toBe('succeeded');
  });

  it('retries a document store that was unavailable for a moment, and the job succeeds', async () => {
    const jobs = new MemoryJobStore();
    const documents = new MemoryDocumentStore();
    await jobs.create(job());
    await documents.put(documentKeys.jobDocument(jobId), '鬼滅の刃。');
    const size = documents.size.bind(documents);
    let failures = 1;
    documents.size = async (key) => {
      if (failures-- > 0) throw new DocumentStoreUnavailableError('SlowDown');
      return size(key);
    };
    const { job: finished } = await runJob(jobs, documents, fakeModel());
    expect(finished?.status).toBe('succeeded');
  });

  it('reduces long answers to one: an analysis of 120,000 characters whose answers fill max_tokens', async () => {
    const sentence = 'The store sold many volumes of the series this quarter, and readers asked for more. ';
    const jobs = new MemoryJobStore();
    const documents = new MemoryDocumentStore();
    await jobs.create(job({ type: 'analyze' }));
    await documents.put(documentKeys.jobDocument(jobId), sentence.repeat(1450));
    const model = fakeModel(() => ({ text: sentence.repeat(47) }));
    const { job: finished } = await runJob(jobs, documents, model, { chunkChars: 6000 });
    expect(finished?.status, JSON.stringify(finished?.error)).toBe('succeeded');
    const rounds = new Set(model.calls.map((call) => call.requestId?.split(':')[1]));
    expect(rounds.size).toBeLessThanOrEqual(3);
  });

  it('ends a job cancelled under a running chunk without failing the execution', async () => {
    const jobs = new MemoryJobStore();
    const documents = new MemoryDocumentStore();
    await jobs.create(job());
    await documents.put(documentKeys.jobDocument(jobId), '進撃の巨人。'.repeat(40));
    const model = fakeModel(() => ({}));
    const complete = model.complete.bind(model);
    model.complete = async (request) => {
      await jobs.transition(jobId, ['running'], { status: 'cancelled', updatedAt: 'later' });
      return complete(request);
    };
    const { ended, job: finished } = await runJob(jobs, documents, model);
    expect(finished?.status).toBe('cancelled');
    expect(ended?.status).toBe('SUCCEEDED');
  });
});
