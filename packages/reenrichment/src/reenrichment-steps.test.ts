import { createFakeClock } from '@mangaassist/commons/testing';
import { type CatalogProduct, MemoryProductCatalog, MemoryProductStore } from '@mangaassist/consumers';
import { modelResult, scriptedModel } from '@mangaassist/consumers/testing';
import {
  BatchAccessDeniedError,
  type BatchInference,
  type BatchJobRequest,
  BatchValidationError,
} from '@mangaassist/fm-gateway/batch';
import { describe, expect, it } from 'vitest';
import { batchJobName, reenrichmentKeys } from './reenrichment-objects.js';
import {
  makeReenrichmentSteps,
  type ReenrichmentObjects,
  type ReenrichmentStepsDependencies,
} from './reenrichment-steps.js';

const bucket = 'mangaassist-test-documents';
const run = 'reenrich-2026-12-07';
const startedAt = '2026-12-07T06:00:00.000Z';
const answer = 'A gripping volume for shonen fans.\nTags: shonen, action, pirates, adventure, friendship';

function memoryObjects() {
  const stored = new Map<string, Uint8Array>();
  /** Every read: `[key]` for a whole object, `[key, start, end]` for a range. */
  const reads: (readonly [string] | readonly [string, number, number])[] = [];
  const objects: ReenrichmentObjects = {
    get: async (key) => {
      reads.push([key]);
      return stored.get(key);
    },
    getRange: async (key, start, end) => {
      reads.push([key, start, end]);
      return stored.get(key)?.slice(start, end);
    },
    put: async (key, body) => {
      stored.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
    },
  };
  const text = (key: string) => {
    const body = stored.get(key);
    return body === undefined ? undefined : new TextDecoder().decode(body);
  };
  return { objects, stored, text, reads };
}

function recordingBatch(fail?: Error) {
  const submitted: BatchJobRequest[] = [];
  const batch: Pick<BatchInference, 'submit' | 'stop'> = {
    async submit(request) {
      if (fail) throw fail;
      submitted.push(request);
      return `arn:aws:bedrock:ap-northeast-1:000000000000:model-invocation-job/job${submitted.length}`;
    },
    stop: async () => {},
  };
  return { batch, submitted };
}

const shelf = (count: number): CatalogProduct[] =>
  Array.from({ length: count }, (_, index) => ({
    productId: `manga-${String(index).padStart(4, '0')}`,
    title: `タイトル ${index}`,
    genre: 'shonen',
  }));

function setup(overrides: Partial<ReenrichmentStepsDependencies> = {}, products = shelf(3)) {
  const files = memoryObjects();
  const store = new MemoryProductStore();
  const model = scriptedModel(() => answer);
  const batch = recordingBatch();
  const step = makeReenrichmentSteps({
    catalog: new MemoryProductCatalog(products),
    products: store,
    objects: files.objects,
    bucket,
    model: model.model,
    batch: batch.batch,
    batchModelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    batchRoleArn: 'arn:aws:iam::000000000000:role/batch',
    stage: 'test',
    batchThreshold: 100,
    ...overrides,
  });
  return { step, files, store, model, batch };
}

describe('re-enrichment steps: plan', () => {
  it('writes every product to the manifest, page after page, and chooses on demand below the threshold', async () => {
    const { step, files } = setup({}, shelf(2_500).slice(0, 99));
    const planned = await step({ step: 'plan', run_id: run, started_at: '2026-12-07T15:00:00+09:00' });

    expect(planned).toEqual({
      run_id: run,
      at: startedAt,
      count: 99,
      mode: 'on-demand',
      manifest: { bucket, key: reenrichmentKeys.manifest(run) },
      truncated: false,
    });
    const manifest = JSON.parse(files.text(reenrichmentKeys.manifest(run)) ?? '[]');
    expect(manifest).toHaveLength(99);
    expect(manifest[0]).toEqual({ product_id: 'manga-0000', title: 'タイトル 0', genre: 'shonen' });
  });

  it('chooses one batch job from the threshold on, and stops at maxProducts', async () => {
    const { step } = setup({ maxProducts: 2_100 }, shelf(2_500));
    await expect(step({ step: 'plan', run_id: run, started_at: startedAt })).resolves.toMatchObject({
      count: 2_100,
      mode: 'batch',
      truncated: true,
    });
    const exactly = setup({}, shelf(100));
    await expect(exactly.step({ step: 'plan', run_id: run, started_at: startedAt })).resolves.toMatchObject({
      mode: 'batch',
    });
  });

  it('fails as StoreUnavailable, retried, when the catalog or the bucket cannot be reached', async () => {
    const broken = setup({
      catalog: {
        page: async () => {
          throw new Error('ProvisionedThroughputExceeded');
        },
      },
    });
    await expect(broken.step({ step: 'plan', run_id: run, started_at: startedAt })).rejects.toMatchObject({
      name: 'StoreUnavailable',
    });
    const noBucket = setup({
      objects: {
        get: async () => undefined,
        getRange: async () => undefined,
        put: async () => {
          throw new Error('SlowDown');
        },
      },
    });
    await expect(noBucket.step({ step: 'plan', run_id: run, started_at: startedAt })).rejects.toMatchObject({
      name: 'StoreUnavailable',
    });
  });
});

/** Content a catalog update first seen at `at` wrote (item 3 of its batch). */
const updateContent = (description: string, at: string) => ({
  description,
  tags: ['a', 'b', 'c', 'd', 'e'],
  model: 'm',
  updatedAt: at,
  itemIndex: 3,
  sourceEventId: `batch-1/3@${at}`,
});

describe('re-enrichment steps: enrich-products', () => {
  const input = (products: { product_id: string; title?: string }[]) => ({
    step: 'enrich-products',
    run_id: run,
    at: startedAt,
    products,
  });

  it('asks the fast model about each product and writes its description and tags at the run’s position', async () => {
    const { step, store, model } = setup();
    await expect(step(input([{ product_id: 'manga-1', title: 'ワンピース 108' }]))).resolves.toEqual({
      enriched: 1,
      skipped: 0,
      failed: 0,
    });
    expect(model.calls[0]?.request).toMatchObject({ model: 'fast', requestId: `${run}:manga-1` });
    expect(JSON.stringify(model.calls[0]?.request.messages)).toContain('ワンピース 108');
    expect((await store.get('manga-1'))?.ai).toMatchObject({
      tags: ['shonen', 'action', 'pirates', 'adventure', 'friendship'],
      updatedAt: startedAt,
      sourceEventId: `reenrichment:${run}`,
    });
  });

  it('skips what this run wrote already (a retried child) and what a later catalog update wrote', async () => {
    const { step, store, model } = setup();
    await step(input([{ product_id: 'manga-1' }]));
    await store.putAiContent('manga-2', updateContent('Newer.', '2026-12-07T06:00:00.001Z'));

    await expect(step(input([{ product_id: 'manga-1' }, { product_id: 'manga-2' }]))).resolves.toEqual({
      enriched: 0,
      skipped: 2,
      failed: 0,
    });
    expect(model.calls).toHaveLength(1);
    expect((await store.get('manga-2'))?.ai?.description).toBe('Newer.');
  });

  it('replaces content of an update first seen before the run started', async () => {
    const { step, store } = setup();
    await store.putAiContent('manga-1', updateContent('Old.', '2026-12-06T06:00:00.000Z'));
    await expect(step(input([{ product_id: 'manga-1' }]))).resolves.toMatchObject({ enriched: 1 });
  });

  it('stops starting products past its time budget, failing as ChildUnfinished for the retry to finish', async () => {
    const clock = createFakeClock();
    const { step, store } = setup({
      clock,
      childBudgetMs: 1_000,
      model: {
        complete: async () => {
          await clock.advance(600);
          return modelResult(answer);
        },
      },
    });
    const products = [{ product_id: 'manga-1' }, { product_id: 'manga-2' }, { product_id: 'manga-3' }];
    await expect(step(input(products))).rejects.toMatchObject({ name: 'ChildUnfinished' });
    expect(await store.get('manga-3')).toBeUndefined();
    // The retry skips what the first call did and does the rest.
    await expect(step(input(products))).resolves.toEqual({ enriched: 1, skipped: 2, failed: 0 });
  });

  it('counts an unusable answer as that product’s failure, and fails the child as ModelThrottled when no model answers', async () => {
    const unusable = setup({ model: scriptedModel(() => 'No tags here.').model });
    await expect(unusable.step(input([{ product_id: 'manga-1' }]))).resolves.toEqual({
      enriched: 0,
      skipped: 0,
      failed: 1,
    });
    const degraded = setup({ model: scriptedModel(() => modelResult('busy', { degraded: true })).model });
    await expect(degraded.step(input([{ product_id: 'manga-1' }]))).rejects.toMatchObject({
      name: 'ModelThrottled',
    });
  });
});

describe('re-enrichment steps: the batch path', () => {
  it('writes one record per manifest product in the gateway’s body, and submits one job per run', async () => {
    const { step, files, batch } = setup({}, shelf(150));
    await step({ step: 'plan', run_id: run, started_at: startedAt });
    const files_ = await step({
      step: 'prepare-batch',
      run_id: run,
      manifest: { bucket, key: reenrichmentKeys.manifest(run) },
    });
    expect(files_).toEqual({
      input_uri: `s3://${bucket}/${reenrichmentKeys.batchInput(run)}`,
      output_uri: `s3://${bucket}/${reenrichmentKeys.batchOutput(run)}`,
      model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    });
    const lines = (files.text(reenrichmentKeys.batchInput(run)) ?? '').trim().split('\n');
    expect(lines).toHaveLength(150);
    expect(JSON.parse(lines[7] ?? '{}')).toMatchObject({
      recordId: 'r0000000007',
      modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 300 },
    });

    await expect(
      step({ step: 'submit-batch', run_id: run, task_token: 'token-1', batch: files_ }),
    ).resolves.toEqual({ job_arn: expect.stringContaining('model-invocation-job/') });
    const jobName = batchJobName('test', run);
    expect(batch.submitted[0]).toMatchObject({
      jobName,
      inputUri: `s3://${bucket}/${reenrichmentKeys.batchInput(run)}`,
      clientRequestToken: expect.stringMatching(/^reenrich-[0-9a-f]{40}$/),
      timeoutHours: 72,
    });
    // The token is recorded for the job's state change.
    expect(JSON.parse(files.text(reenrichmentKeys.batchTask(jobName)) ?? '{}')).toEqual({
      task_token: 'token-1',
      run_id: run,
      job_arn: expect.stringContaining('model-invocation-job/'),
    });
  });

  it('records the task token before it submits the job, so that no state change can come first', async () => {
    const files = memoryObjects();
    let recordedAtSubmit: string | undefined;
    const { step } = setup({
      objects: files.objects,
      batch: {
        ...recordingBatch().batch,
        submit: async (request) => {
          recordedAtSubmit = files.text(reenrichmentKeys.batchTask(request.jobName));
          return 'arn:aws:bedrock:ap-northeast-1:000000000000:model-invocation-job/abc';
        },
      },
    });
    await step({
      step: 'submit-batch',
      run_id: run,
      task_token: 'token-9',
      batch: { input_uri: 's3://b/in.jsonl', output_uri: 's3://b/out/', model_id: 'm' },
    });
    expect(JSON.parse(recordedAtSubmit ?? '{}')).toEqual({ task_token: 'token-9', run_id: run });
  });

  it('records the job’s ARN, and stops that job when the run gives up waiting, an ended job left alone', async () => {
    const stopped: string[] = [];
    const files = memoryObjects();
    const recorded = recordingBatch();
    const batch: Pick<BatchInference, 'submit' | 'stop'> = {
      ...recorded.batch,
      stop: async (jobArn) => {
        if (jobArn.endsWith('/ended')) throw new BatchValidationError('the job is over');
        stopped.push(jobArn);
      },
    };
    const { step } = setup({ objects: files.objects, batch });
    await expect(step({ step: 'stop-batch', run_id: run })).resolves.toEqual({ stopped: false });
    const submitted = await step({
      step: 'submit-batch',
      run_id: run,
      task_token: 'token-1',
      batch: { input_uri: 's3://b/in.jsonl', output_uri: 's3://b/out/', model_id: 'm' },
    });
    const jobArn =
      typeof submitted === 'object' && submitted !== null && 'job_arn' in submitted
        ? String(submitted.job_arn)
        : '';
    expect(
      JSON.parse(files.text(reenrichmentKeys.batchTask(batchJobName('test', run))) ?? '{}'),
    ).toMatchObject({
      job_arn: jobArn,
    });

    await expect(step({ step: 'stop-batch', run_id: run })).resolves.toEqual({
      stopped: true,
      job_arn: jobArn,
    });
    expect(stopped).toEqual([jobArn]);
    await files.objects.put(
      reenrichmentKeys.batchTask(batchJobName('test', run)),
      JSON.stringify({
        task_token: 't',
        run_id: run,
        job_arn: 'arn:aws:bedrock:x:1:model-invocation-job/ended',
      }),
    );
    await expect(step({ step: 'stop-batch', run_id: run })).resolves.toEqual({ stopped: false });
  });

  it('fails as BatchRejected when Bedrock refuses the job, BatchUnavailable when it cannot take it now', async () => {
    const files = { input_uri: 's3://b/in.jsonl', output_uri: 's3://b/out/', model_id: 'm' };
    for (const refusal of [new BatchValidationError('bad role'), new BatchAccessDeniedError('no access')]) {
      const refused = setup({ batch: recordingBatch(refusal).batch });
      await expect(
        refused.step({ step: 'submit-batch', run_id: run, task_token: 't', batch: files }),
      ).rejects.toMatchObject({ name: 'BatchRejected' });
    }
    const busy = setup({ batch: recordingBatch(new Error('ServiceUnavailable')).batch });
    await expect(
      busy.step({ step: 'submit-batch', run_id: run, task_token: 't', batch: files }),
    ).rejects.toMatchObject({ name: 'BatchUnavailable' });
  });

  const outputFile = 'reenrichment/out/input.jsonl.out';

  /** One output line: the model's answer `text` for the record. */
  function outputRecord(recordId: string, text: string) {
    return JSON.stringify({
      recordId,
      modelOutput: {
        id: 'msg',
        type: 'message',
        role: 'assistant',
        model: 'claude',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 10, output_tokens: 20 },
      },
    });
  }

  /** Applies the output page by page, as the ApplyBatchResults loop does, until done. */
  async function applyAll(step: (input: unknown) => Promise<unknown>) {
    const pages: Record<string, unknown>[] = [];
    let applied: unknown = { cursor: 0, done: false, enriched: 0, skipped: 0, failed: 0 };
    for (let page = 0; page < 100; page++) {
      applied = await step({
        step: 'apply-batch',
        run_id: run,
        at: startedAt,
        output_file: `s3://${bucket}/${outputFile}`,
        applied,
      });
      pages.push(applied as Record<string, unknown>);
      if ((applied as { done: boolean }).done) return pages;
    }
    throw new Error('apply-batch never answered done in 100 pages');
  }

  const bytesOf = (text: string) => new TextEncoder().encode(text).length;

  it('applies the output a page at a time, each record to its manifest product, failures counted', async () => {
    const { step, files, store } = setup({ applyPageSize: 2 }, shelf(3));
    await step({ step: 'plan', run_id: run, started_at: startedAt });
    const lines = [
      outputRecord('r0000000000', answer),
      JSON.stringify({ recordId: 'r0000000001', error: { errorCode: 400, errorMessage: 'bad' } }),
      outputRecord('r0000000002', 'No tags.'),
      // A record id no manifest product has, and a line that is no record: counted as failed.
      outputRecord('r0000000099', answer),
      '{"not":"a record"}',
    ];
    await files.objects.put(outputFile, lines.join('\n'));

    const pages = await applyAll(step);

    // The cursor is the byte after each page's last line.
    const after = (count: number) => bytesOf(lines.slice(0, count).join('\n')) + 1;
    expect(pages).toEqual([
      { cursor: after(2), done: false, enriched: 1, skipped: 0, failed: 1 },
      { cursor: after(4), done: false, enriched: 1, skipped: 0, failed: 3 },
      { cursor: bytesOf(lines.join('\n')), done: true, enriched: 1, skipped: 0, failed: 4 },
    ]);
    expect((await store.get('manga-0000'))?.ai?.sourceEventId).toBe(`reenrichment:${run}`);
    expect(await store.get('manga-0001')).toBeUndefined();
  });

  it('reads the output a window at a time, never whole, and grows the window for a longer line', async () => {
    const { step, files, store } = setup({ applyPageSize: 2, applyWindowBytes: 64 }, shelf(3));
    await step({ step: 'plan', run_id: run, started_at: startedAt });
    const lines = ['r0000000000', 'r0000000001', 'r0000000002'].map((id) => outputRecord(id, answer));
    // Blank lines and a trailing newline, as a file may end.
    await files.objects.put(outputFile, `${lines[0]}\n\n${lines[1]}\n${lines[2]}\n\n`);
    files.reads.length = 0;

    const pages = await applyAll(step);

    expect(pages.at(-1)).toMatchObject({ done: true, enriched: 3, skipped: 0, failed: 0 });
    for (const id of ['manga-0000', 'manga-0001', 'manga-0002']) {
      expect((await store.get(id))?.ai?.sourceEventId).toBe(`reenrichment:${run}`);
    }
    const outputReads = files.reads.filter(([key]) => key === outputFile);
    expect(outputReads.every((read) => read.length === 3)).toBe(true);
    // Each line is longer than 64 bytes: the window doubled until one fit, and no further.
    const longest = Math.max(...outputReads.map(([, start = 0, end = 0]) => end - start));
    expect(longest).toBeGreaterThanOrEqual(bytesOf(lines[0] ?? ''));
    expect(longest).toBeLessThan(4 * bytesOf(lines[0] ?? ''));
  });

  it.each([
    ['LF', '\n', ''],
    ['CRLF', '\r\n', ''],
    ['LF with a trailing newline', '\n', '\n'],
    ['CRLF with a trailing newline', '\r\n', '\r\n'],
  ])(
    'applies every record of a Japanese %s output whatever the window, at every window edge',
    async (_, separator, ending) => {
      const lines = ['r0000000000', 'r0000000001', 'r0000000002'].map((id, index) =>
        outputRecord(id, `第${index + 1}巻、心揺さぶる物語。${answer}`),
      );
      const text = `${lines.join(separator)}${ending}`;
      // Windows that end inside a three-byte character, on a line's end and one byte either side.
      const lineEnd = bytesOf(`${lines[0]}${separator}`);
      for (const applyWindowBytes of [1, 7, lineEnd - 1, lineEnd, lineEnd + 1, bytesOf(text)]) {
        const { step, files, store } = setup({ applyPageSize: 2, applyWindowBytes }, shelf(3));
        await step({ step: 'plan', run_id: run, started_at: startedAt });
        await files.objects.put(outputFile, text);

        const pages = await applyAll(step);

        expect(pages.at(-1), `window ${applyWindowBytes}`).toMatchObject({
          cursor: bytesOf(text),
          done: true,
          enriched: 3,
          failed: 0,
        });
        expect((await store.get('manga-0002'))?.ai?.description).toContain('第3巻');
      }
    },
  );

  it('answers done at once for an empty output, and refuses one that does not exist', async () => {
    const { step, files } = setup({}, shelf(1));
    await step({ step: 'plan', run_id: run, started_at: startedAt });
    await files.objects.put(outputFile, '');
    await expect(applyAll(step)).resolves.toEqual([
      { cursor: 0, done: true, enriched: 0, skipped: 0, failed: 0 },
    ]);

    files.stored.delete(outputFile);
    await expect(applyAll(step)).rejects.toThrow(TypeError);
  });
});

describe('re-enrichment steps: summarize', () => {
  it('adds up the children’s counts, and a batch run’s', async () => {
    const { step } = setup();
    await expect(
      step({
        step: 'summarize',
        run_id: run,
        outcome: {
          count: 60,
          mode: 'on-demand',
          children: [
            { enriched: 20, skipped: 4, failed: 1 },
            { enriched: 25, skipped: 0, failed: 0 },
            { Error: 'ModelThrottled', Cause: 'busy' },
          ],
        },
      }),
    ).resolves.toMatchObject({
      mode: 'on-demand',
      products: 60,
      enriched: 45,
      skipped: 4,
      failed: 1,
      failed_children: 1,
    });
    await expect(
      step({
        step: 'summarize',
        run_id: run,
        outcome: {
          count: 3,
          mode: 'batch',
          applied: { cursor: 3, done: true, enriched: 2, skipped: 0, failed: 1 },
        },
      }),
    ).resolves.toMatchObject({ mode: 'batch', enriched: 2, failed: 1 });
  });

  it('fails as NothingEnriched when products failed and none was enriched or already current', async () => {
    const { step } = setup();
    await expect(
      step({
        step: 'summarize',
        run_id: run,
        outcome: { count: 2, mode: 'on-demand', children: [{ enriched: 0, skipped: 0, failed: 2 }] },
      }),
    ).rejects.toMatchObject({ name: 'NothingEnriched' });
    await expect(
      step({
        step: 'summarize',
        run_id: run,
        outcome: { count: 2, mode: 'on-demand', children: [{ enriched: 0, skipped: 1, failed: 1 }] },
      }),
    ).resolves.toMatchObject({ skipped: 1 });
    // Every child failed as a whole (within the tolerance of a tiny run): nothing was enriched.
    await expect(
      step({
        step: 'summarize',
        run_id: run,
        outcome: { count: 2, mode: 'on-demand', children: [{ Error: 'ModelThrottled', Cause: 'busy' }] },
      }),
    ).rejects.toMatchObject({ name: 'NothingEnriched' });
  });
});

describe('re-enrichment steps: input', () => {
  it('refuses input no state sends, and a batch threshold under Bedrock’s 100 records', () => {
    const { step } = setup();
    return Promise.all([
      expect(step({ step: 'plan' })).rejects.toThrow(TypeError),
      expect(step({ step: 'enrich-products', run_id: run, at: startedAt, products: 'all' })).rejects.toThrow(
        TypeError,
      ),
      expect(async () => setup({ batchThreshold: 99 })).rejects.toThrow(RangeError),
      expect(async () => setup({ stage: 'a-very-long-stage-name-that-bedrock-refuses' })).rejects.toThrow(
        RangeError,
      ),
    ]);
  });
});
