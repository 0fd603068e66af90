import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import {
  AllModelsFailedError,
  defaultModelCatalog,
  type GatewayRequest,
  type GatewayResult,
} from '@mangaassist/fm-gateway';
import { gatewayResult } from '@mangaassist/fm-gateway/testing';
import type { BudgetDecision, BudgetUsage, TenantBudget } from '@mangaassist/tenants';
import { beforeEach, describe, expect, it } from 'vitest';
import { DocumentStoreUnavailableError, documentKeys } from '../document-store.js';
import type { JobRecord } from '../job.js';
import { JobStoreUnavailableError } from '../job-store.js';
import { MemoryJobStore } from '../memory-job-store.js';
import { MemoryDocumentStore } from '../testing/memory-document-store.js';
import {
  describeFailure,
  type JobStepsDependencies,
  makeJobSteps,
  makeJobStepsHandler,
} from './job-steps.js';

const jobId = 'job_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const noUsage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_write_input_tokens: 0,
  cost_usd: 0,
};

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

/** A model that answers every call with `answer(request)` and records the requests. */
function fakeModel(answer: (request: GatewayRequest) => Partial<GatewayResult> | Error = () => ({})) {
  const calls: GatewayRequest[] = [];
  return {
    calls,
    async complete(request: GatewayRequest): Promise<GatewayResult> {
      calls.push(request);
      const reply = answer(request);
      if (reply instanceof Error) throw reply;
      return gatewayResult({ model: request.model ?? 'auto', ...reply });
    },
  };
}

class FakeBudget implements TenantBudget {
  allowed = true;
  readonly recorded: BudgetUsage[] = [];
  async check(): Promise<BudgetDecision> {
    return this.allowed
      ? { allowed: true }
      : { allowed: false, spentUsd: 50, budgetUsd: 50, retryAfterSeconds: 60 };
  }
  async record(_tenantId: string, usage: BudgetUsage): Promise<void> {
    this.recorded.push(usage);
  }
}

describe('the job workflow steps', () => {
  let jobs: MemoryJobStore;
  let documents: MemoryDocumentStore;
  let model: ReturnType<typeof fakeModel>;
  let budget: FakeBudget;
  let settled: JobRecord[];

  const steps = (overrides: Partial<JobStepsDependencies> = {}) =>
    makeJobSteps({
      jobs,
      documents,
      model,
      catalog: defaultModelCatalog,
      budget,
      chunkChars: 100,
      onSettled: async (settledJob) => {
        settled.push(settledJob);
      },
      ...overrides,
    });

  async function storedJob(overrides: Partial<JobRecord> = {}, text = 'ワンピースは海賊の物語です。') {
    await jobs.create(job(overrides));
    await documents.put(documentKeys.jobDocument(jobId), text);
  }

  beforeEach(() => {
    jobs = new MemoryJobStore();
    documents = new MemoryDocumentStore();
    model = fakeModel();
    budget = new FakeBudget();
    settled = [];
  });

  describe('prepare', () => {
    it('starts the job and writes the document as round 0 chunks', async () => {
      await storedJob({}, `${'あ'.repeat(90)}。${'い'.repeat(90)}。${'う'.repeat(50)}。`);
      const output = await steps().prepare({ step: 'prepare', job_id: jobId, execution_id: 'exec-1' });
      expect(output).toEqual({ job_id: jobId, skip: false, round: 0, indexes: [0, 1, 2], usage: noUsage });
      expect(documents.text(documentKeys.chunk(jobId, 0, 1))).toBe(`${'い'.repeat(90)}。`);
      expect(await jobs.get(jobId)).toMatchObject({
        status: 'running',
        chunksTotal: 3,
        executionId: 'exec-1',
      });
    });

    it('skips a job that was cancelled before it started', async () => {
      await storedJob({ status: 'cancelled' });
      expect(await steps().prepare({ step: 'prepare', job_id: jobId })).toEqual({
        job_id: jobId,
        skip: true,
      });
      expect(documents.objects.has(documentKeys.chunk(jobId, 0, 0))).toBe(false);
    });

    it('rejects a document that is not UTF-8, saying so', async () => {
      await storedJob();
      await documents.put(documentKeys.jobDocument(jobId), new Uint8Array([0xe3, 0x81]));
      await expect(steps().prepare({ step: 'prepare', job_id: jobId })).rejects.toMatchObject({
        name: 'DocumentRejected',
        message: 'The document is not valid UTF-8 text.',
      });
    });

    it('rejects an upload that never arrived', async () => {
      await jobs.create(job({ documentKey: 'uploads/store/upl_missing' }));
      await expect(steps().prepare({ step: 'prepare', job_id: jobId })).rejects.toMatchObject({
        name: 'DocumentRejected',
      });
    });

    it('rejects a document with NUL bytes as text the model must not see', async () => {
      await storedJob({}, 'abc\u0000def');
      await expect(steps().prepare({ step: 'prepare', job_id: jobId })).rejects.toMatchObject({
        name: 'DocumentRejected',
      });
    });

    it('refuses a translation longer than its chunks can hold', async () => {
      await storedJob({ type: 'translate', language: 'en' }, 'あ'.repeat(4001));
      await expect(steps({ maxChunks: 4 }).prepare({ step: 'prepare', job_id: jobId })).rejects.toMatchObject(
        {
          name: 'DocumentRejected',
          message: expect.stringContaining('at most 4000 characters'),
        },
      );
    });

    it('gives a long document longer chunks instead of more than maxChunks', async () => {
      await storedJob({}, 'ルフィは笑った。'.repeat(125));
      const output = await steps({ maxChunks: 4 }).prepare({ step: 'prepare', job_id: jobId });
      expect(output).toMatchObject({ round: 0 });
      const count = 'indexes' in output ? (output.indexes?.length ?? 0) : 0;
      expect(count).toBeGreaterThan(1);
      expect(count).toBeLessThanOrEqual(4);
    });
  });

  describe('process-chunk', () => {
    async function runningJob(overrides: Partial<JobRecord> = {}) {
      await storedJob({}, `${'あ'.repeat(90)}。${'い'.repeat(90)}。`);
      await steps().prepare({ step: 'prepare', job_id: jobId });
      if (overrides.status) await jobs.transition(jobId, ['running'], { ...overrides, updatedAt: 'later' });
    }

    it('asks the first model of the ladder, stores the answer and counts the chunk', async () => {
      await runningJob();
      model = fakeModel(() => ({ text: '海賊の話。', costUsd: 0.002 }));
      await steps().processChunk(
        { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 },
        undefined,
      );
      expect(model.calls).toHaveLength(1);
      expect(model.calls[0]).toMatchObject({ tenantId: 'store', model: 'claude-sonnet-4-5' });
      expect(model.calls[0]?.messages[0]?.content).toContain(`${'あ'.repeat(90)}。`);
      expect(model.calls[0]?.messages[0]?.content).toContain('(part 1 of 2)');
      expect(JSON.parse(documents.text(documentKeys.answer(jobId, 0, 0)) ?? '')).toMatchObject({
        text: '海賊の話。',
        model: 'claude-sonnet-4-5',
        usage: { cost_usd: 0.002 },
      });
      expect(await jobs.get(jobId)).toMatchObject({ chunksDone: 1 });
      expect(budget.recorded).toEqual([{ costUsd: 0.002, inputTokens: 120, outputTokens: 80 }]);
    });

    it('never asks the model again for a chunk whose answer is stored', async () => {
      await runningJob();
      const step = { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 } as const;
      await steps().processChunk(step, undefined);
      await steps().processChunk(step, undefined);
      expect(model.calls).toHaveLength(1);
      expect(await jobs.get(jobId)).toMatchObject({ chunksDone: 1 });
    });

    it('asks the next model of the ladder on each rung, and fails past its end', async () => {
      await runningJob();
      await steps().processChunk(
        { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 1 },
        undefined,
      );
      expect(model.calls[0]?.model).toBe('claude-haiku-4-5');
      await expect(
        steps().processChunk(
          { step: 'process-chunk', job_id: jobId, round: 0, index: 1, count: 2, rung: 3 },
          undefined,
        ),
      ).rejects.toMatchObject({ name: 'NoModelLeft' });
    });

    it('stops when the job has been cancelled', async () => {
      await runningJob({ status: 'cancelled' });
      await expect(
        steps().processChunk(
          { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 },
          undefined,
        ),
      ).rejects.toMatchObject({ name: 'JobNotRunning', message: 'The job is cancelled.' });
      expect(model.calls).toHaveLength(0);
    });

    it('never takes a degraded answer as a chunk’s answer', async () => {
      await runningJob();
      model = fakeModel(() => ({ degraded: true, text: 'ただいま混み合っています。' }));
      await expect(
        steps().processChunk(
          { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 },
          undefined,
        ),
      ).rejects.toMatchObject({ name: 'ModelUnavailable' });
      expect(documents.objects.has(documentKeys.answer(jobId, 0, 0))).toBe(false);
    });

    it('reports a throttled ladder as ModelThrottled, to be retried with backoff', async () => {
      await runningJob();
      model = fakeModel(() => new AllModelsFailedError([], 'throttled'));
      await expect(
        steps().processChunk(
          { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 },
          undefined,
        ),
      ).rejects.toMatchObject({ name: 'ModelThrottled' });
    });

    it('refuses a translation or extraction cut at the output limit, rather than lose text', async () => {
      await runningJob();
      model = fakeModel(() => ({ stopReason: 'max_tokens' }));
      const extract = steps();
      const record = await jobs.get(jobId);
      if (!record) throw new Error('no job');
      await jobs.create({ ...record, jobId: 'job_bbbbbbbbbbbbbbbbbbbbbbbbbb', type: 'extract' });
      await documents.put(
        documentKeys.chunk('job_bbbbbbbbbbbbbbbbbbbbbbbbbb', 0, 0),
        'ISBN 978-4-08-872509-3',
      );
      await expect(
        extract.processChunk(
          {
            step: 'process-chunk',
            job_id: 'job_bbbbbbbbbbbbbbbbbbbbbbbbbb',
            round: 0,
            index: 0,
            count: 1,
            rung: 0,
          },
          undefined,
        ),
      ).rejects.toMatchObject({ name: 'DocumentRejected' });
      // A summary cut at the limit is still a summary.
      await extract.processChunk(
        { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 },
        undefined,
      );
      expect(documents.objects.has(documentKeys.answer(jobId, 0, 0))).toBe(true);
    });

    it('calls no model once the tenant’s budget is spent', async () => {
      await runningJob();
      budget.allowed = false;
      await expect(
        steps().processChunk(
          { step: 'process-chunk', job_id: jobId, round: 0, index: 0, count: 2, rung: 0 },
          undefined,
        ),
      ).rejects.toMatchObject({ name: 'BudgetExhausted' });
      expect(model.calls).toHaveLength(0);
    });
  });

  describe('reduce', () => {
    async function answered(texts: string[], overrides: Partial<JobRecord> = {}) {
      // Reduce runs once every chunk of the round is done.
      await jobs.create(
        job({ status: 'running', chunksTotal: texts.length, chunksDone: texts.length, ...overrides }),
      );
      for (const [index, text] of texts.entries()) {
        const usage = { ...noUsage, input_tokens: 10, output_tokens: 5, cost_usd: 0.5 };
        await documents.put(
          documentKeys.answer(jobId, 0, index),
          JSON.stringify({ text, model: 'm', usage }),
        );
      }
    }

    it('is done with the one answer of a round, summing the usage', async () => {
      await answered(['要約。']);
      const output = await steps().reduce({
        step: 'reduce',
        job_id: jobId,
        round: 0,
        count: 1,
        usage: noUsage,
      });
      expect(output).toEqual({
        job_id: jobId,
        round: 0,
        done: true,
        model: 'm',
        usage: { ...noUsage, input_tokens: 10, output_tokens: 5, cost_usd: 0.5 },
      });
      expect(documents.text(documentKeys.result(jobId))).toBe('要約。');
    });

    it('combines several summaries in another round, counting its chunks in the total', async () => {
      await answered(['一。', '二。', '三。']);
      const output = await steps().reduce({
        step: 'reduce',
        job_id: jobId,
        round: 0,
        count: 3,
        usage: noUsage,
      });
      expect(output).toMatchObject({ round: 1, indexes: [0], done: false, usage: { cost_usd: 1.5 } });
      expect(documents.text(documentKeys.chunk(jobId, 1, 0))).toBe('一。\n\n二。\n\n三。');
      expect(await jobs.get(jobId)).toMatchObject({ chunksTotal: 4 });
    });

    it('counts the next round once when the state machine runs Reduce again', async () => {
      await answered(['一。', '二。', '三。']);
      const input = { step: 'reduce', job_id: jobId, round: 0, count: 3, usage: noUsage } as const;
      await steps().reduce(input);
      await steps().reduce(input);
      expect(await jobs.get(jobId)).toMatchObject({ chunksTotal: 4 });
    });

    it('joins translations in order instead of asking a model again', async () => {
      await answered(['One.', 'Two.'], { type: 'translate', language: 'en' });
      const output = await steps().reduce({
        step: 'reduce',
        job_id: jobId,
        round: 0,
        count: 2,
        usage: noUsage,
      });
      expect(output).toMatchObject({ done: true });
      expect(documents.text(documentKeys.result(jobId))).toBe('One.\nTwo.');
    });

    it('gives up, as an error of ours, when the answers do not shrink to one within maxRounds', async () => {
      await answered(['一。', '二。']);
      await expect(
        steps({ maxRounds: 1 }).reduce({ step: 'reduce', job_id: jobId, round: 0, count: 2, usage: noUsage }),
      ).rejects.toMatchObject({ name: 'Error', message: expect.stringContaining('did not shrink') });
    });

    it('gives up when a round of reduction would make as many chunks as it had answers', async () => {
      await answered(['あ'.repeat(90), 'い'.repeat(90)]);
      await expect(
        steps({ reduceChunkChars: 100 }).reduce({
          step: 'reduce',
          job_id: jobId,
          round: 0,
          count: 2,
          usage: noUsage,
        }),
      ).rejects.toThrow('did not shrink (2 → 2)');
    });

    it('combines several answers in one call of the next round', async () => {
      await answered(Array.from({ length: 8 }, (_, index) => `${'要約'.repeat(200)}${index}。`));
      const output = await steps({ reduceChunkChars: 2000 }).reduce({
        step: 'reduce',
        job_id: jobId,
        round: 0,
        count: 8,
        usage: noUsage,
      });
      expect(output).toMatchObject({ round: 1, done: false });
      const count = 'indexes' in output ? (output.indexes?.length ?? 0) : 0;
      expect(count).toBeLessThanOrEqual(2);
    });
  });

  describe('finish and record-failure', () => {
    const usage = { ...noUsage, input_tokens: 30, output_tokens: 20, cost_usd: 0.25 };

    it('records the result on the job and tells whoever waits', async () => {
      await jobs.create(job({ status: 'running', chunksTotal: 3, chunksDone: 2 }));
      await documents.put(documentKeys.result(jobId), '全体の要約。');
      await steps().finish({ step: 'finish', job_id: jobId, model: 'claude-sonnet-4-5', usage });
      const finished = await jobs.get(jobId);
      expect(finished).toMatchObject({
        status: 'succeeded',
        chunksDone: 3,
        result: {
          text: '全体の要約。',
          model: 'claude-sonnet-4-5',
          costUsd: 0.25,
          usage: { inputTokens: 30 },
        },
      });
      expect(finished?.result?.resultKey).toBeUndefined();
      expect(settled.map((each) => each.status)).toEqual(['succeeded']);
    });

    it('keeps the start of a long result on the job and points at the whole', async () => {
      await jobs.create(job({ status: 'running' }));
      await documents.put(documentKeys.result(jobId), '𠮷'.repeat(12));
      await steps({ inlineResultChars: 10 }).finish({ step: 'finish', job_id: jobId, model: 'm', usage });
      expect((await jobs.get(jobId))?.result).toMatchObject({
        text: '𠮷'.repeat(10),
        resultKey: documentKeys.result(jobId),
      });
    });

    it('tells again when a finish is retried after the answer was recorded', async () => {
      await jobs.create(job({ status: 'running' }));
      await documents.put(documentKeys.result(jobId), '要約。');
      await steps().finish({ step: 'finish', job_id: jobId, model: 'm', usage });
      await steps().finish({ step: 'finish', job_id: jobId, model: 'm', usage });
      expect(settled.map((each) => each.status)).toEqual(['succeeded', 'succeeded']);
    });

    it('fails the step as a store failure when telling fails, so that the state retries it', async () => {
      await jobs.create(job({ status: 'running' }));
      await documents.put(documentKeys.result(jobId), '要約。');
      const failing = steps({
        onSettled: async () => {
          throw new Error('bus down');
        },
      });
      await expect(
        failing.finish({ step: 'finish', job_id: jobId, model: 'm', usage }),
      ).rejects.toMatchObject({
        name: 'StoreUnavailable',
      });
      expect((await jobs.get(jobId))?.status).toBe('succeeded');
      await steps().finish({ step: 'finish', job_id: jobId, model: 'm', usage });
      expect(settled).toHaveLength(1);
    });

    it('tells again when a record-failure is retried after the failure was recorded', async () => {
      await jobs.create(job({ status: 'running' }));
      const failure = { Error: 'NoModelLeft' };
      await steps().recordFailure({ step: 'record-failure', job_id: jobId, failure });
      await steps().recordFailure({ step: 'record-failure', job_id: jobId, failure });
      expect(settled.map((each) => each.status)).toEqual(['failed', 'failed']);
    });

    it('leaves a job cancelled while it ran cancelled, and tells no one', async () => {
      await jobs.create(job({ status: 'cancelled' }));
      await documents.put(documentKeys.result(jobId), '要約。');
      await steps().finish({ step: 'finish', job_id: jobId, model: 'm', usage });
      await steps().recordFailure({
        step: 'record-failure',
        job_id: jobId,
        failure: { Error: 'ModelUnavailable' },
      });
      expect(await jobs.get(jobId)).toMatchObject({ status: 'cancelled' });
      expect(settled).toEqual([]);
    });

    it('records why a job failed, from a Lambda error’s cause', async () => {
      await jobs.create(job({ status: 'running' }));
      const cause = JSON.stringify({ errorType: 'DocumentRejected', errorMessage: 'The document is empty.' });
      await steps().recordFailure({
        step: 'record-failure',
        job_id: jobId,
        failure: { Error: 'DocumentRejected', Cause: cause },
      });
      expect(await jobs.get(jobId)).toMatchObject({
        status: 'failed',
        error: { code: 'document_rejected', message: 'The document is empty.' },
      });
      expect(settled).toHaveLength(1);
    });

    it('asks for an operator only when the failure is not the caller’s document or budget', async () => {
      const record = (error: string) =>
        steps().recordFailure({ step: 'record-failure', job_id: jobId, failure: { Error: error } });
      await jobs.create(job({ status: 'running' }));
      expect(await record('DocumentRejected')).toMatchObject({ operator_attention: false });
      expect(await record('BudgetExhausted')).toMatchObject({ operator_attention: false });
      expect(await record('NoModelLeft')).toMatchObject({ operator_attention: true });
      expect(await record('TypeError')).toMatchObject({ operator_attention: true });
    });
  });

  it('reports a store outage as StoreUnavailable, the error the state machine retries', async () => {
    await jobs.create(job({ status: 'running' }));
    jobs.get = async () => {
      throw new JobStoreUnavailableError('throttled');
    };
    await expect(makeJobStepsHandler(steps())({ step: 'prepare', job_id: jobId })).rejects.toMatchObject({
      name: 'StoreUnavailable',
    });
    documents.get = async () => {
      throw new DocumentStoreUnavailableError('SlowDown');
    };
    await expect(
      makeJobStepsHandler(steps())({ step: 'finish', job_id: jobId, model: 'm', usage: noUsage }),
    ).rejects.toMatchObject({ name: 'StoreUnavailable' });
  });

  it('does each step under its job and step in the trace', async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    await jobs.create(job({ status: 'running' }));
    const inScope: unknown[] = [];
    const read = jobs.get.bind(jobs);
    jobs.get = async (id) => {
      inScope.push(traceAnnotations());
      return read(id);
    };
    const transition = jobs.transition.bind(jobs);
    jobs.transition = async (...args) => {
      inScope.push(traceAnnotations());
      return transition(...args);
    };
    // The job has no document: prepare reads the job, then rejects it.
    await expect(makeJobStepsHandler(steps())({ step: 'prepare', job_id: jobId })).rejects.toMatchObject({
      name: 'DocumentRejected',
    });
    // Once the job is read, its tenant is known too.
    expect(inScope).toEqual([
      { job_id: jobId, job_step: 'prepare' },
      { job_id: jobId, job_step: 'prepare', tenant: job().tenantId },
    ]);
  });

  it('records nothing and alarms no one for a job cancelled under a running step', async () => {
    await jobs.create(job({ status: 'cancelled' }));
    const output = await steps().recordFailure({
      step: 'record-failure',
      job_id: jobId,
      failure: { Error: 'JobNotRunning', Cause: 'The job is cancelled.' },
    });
    expect(output).toMatchObject({ operator_attention: false });
    expect(await jobs.get(jobId)).toMatchObject({ status: 'cancelled' });
  });

  it('maps failures to stable codes without leaking internal errors', () => {
    expect(describeFailure({ Error: 'NoModelLeft', Cause: 'none answered' })).toEqual({
      code: 'model_unavailable',
      message: 'none answered',
    });
    expect(describeFailure({ Error: 'States.Timeout' }).code).toBe('timeout');
    expect(describeFailure({ Error: 'BudgetExhausted' }).code).toBe('budget_exhausted');
    expect(describeFailure({ Error: 'TypeError', Cause: 'secret stack' })).toEqual({
      code: 'internal_error',
      message: 'The job failed; the operators have its details.',
    });
  });

  it('refuses a step input the definition could not have built', async () => {
    const handler = makeJobStepsHandler(steps());
    await expect(handler({ step: 'prepare', job_id: '../etc' })).rejects.toThrow();
    await expect(handler({ step: 'explode', job_id: jobId })).rejects.toThrow();
  });
});
