import { settlesWithin } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryBatchObjectStore } from '../bedrock-emulator/index.js';
import { InvalidStateMachineDefinitionError } from './local-definition.js';
import { type LocalStateMachineDefinition, LocalStateMachines } from './local-state-machines.js';
import type { LocalTaskHandler } from './task-handlers.js';

const opened: LocalStateMachines[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((machines) => machines.close(1_000)));
});

const objects = new InMemoryBatchObjectStore();
const bucket = 'mangaassist-local-documents';

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

const lambda = 'arn:aws:lambda:ap-northeast-1:123456789012:function:steps';

/** A machine whose one state is a Distributed Map over `map`'s items, each child running `Work`. */
function distributed(
  map: object,
  work: LocalTaskHandler,
  after: object = { End: true },
): LocalStateMachineDefinition {
  return {
    name: 'catalog',
    definition: {
      StartAt: 'EachProduct',
      States: {
        EachProduct: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: lambda, End: true } },
          },
          ...map,
          ...after,
        },
        ...('Catch' in after ? { Caught: { Type: 'Pass', End: true } } : {}),
      },
    },
    tasks: { Work: work },
  };
}

function machinesWith(definition: LocalStateMachineDefinition) {
  const machines = new LocalStateMachines({ machines: [definition], objects });
  opened.push(machines);
  return machines;
}

async function run(definition: LocalStateMachineDefinition, input: unknown) {
  const machines = machinesWith(definition);
  const id = machines.start(definition.name, input);
  const ended = await settlesWithin(machines.finished(id), 5_000, 'the execution finishing');
  return { machines, ended };
}

const manifestReader = {
  ItemReader: {
    Resource: 'arn:aws:states:::s3:getObject',
    ReaderConfig: { InputType: 'JSON' },
    Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' },
  },
};

describe('a Distributed Map, run locally', () => {
  it('reads its items from the S3 manifest, selects and batches them, one child execution per batch', async () => {
    await objects.put(bucket, 'runs/1/manifest.json', json(['p1', 'p2', 'p3', 'p4', 'p5']));
    const seen: unknown[] = [];
    const { machines, ended } = await run(
      distributed(
        {
          ...manifestReader,
          ItemSelector: { 'product_id.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
          ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'run_id.$': '$.run_id' } },
        },
        async (input) => {
          seen.push(input);
          return { done: 1 };
        },
      ),
      { run_id: 'run-1', manifest: { bucket, key: 'runs/1/manifest.json' } },
    );

    expect(ended).toMatchObject({ status: 'SUCCEEDED', output: [{ done: 1 }, { done: 1 }, { done: 1 }] });
    expect(seen).toEqual(
      expect.arrayContaining([
        {
          Items: [
            { product_id: 'p1', index: 0 },
            { product_id: 'p2', index: 1 },
          ],
          BatchInput: { run_id: 'run-1' },
        },
        { Items: [{ product_id: 'p5', index: 4 }], BatchInput: { run_id: 'run-1' } },
      ]),
    );
    const children = machines
      .listing()
      .executions.filter((execution) => execution.stateMachine === 'catalog/EachProduct');
    expect(children.map((child) => child.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('reads JSON Lines up to MaxItems, and takes ItemsPath without a reader', async () => {
    await objects.put(
      bucket,
      'runs/2/items.jsonl',
      new TextEncoder().encode('{"n":1}\n{"n":2}\n\n{"n":3}\n'),
    );
    const jsonl = await run(
      distributed(
        { ItemReader: { ...manifestReader.ItemReader, ReaderConfig: { InputType: 'JSONL', MaxItems: 2 } } },
        async (input) => input,
      ),
      { manifest: { bucket, key: 'runs/2/items.jsonl' } },
    );
    expect(jsonl.ended).toMatchObject({ status: 'SUCCEEDED', output: [{ n: 1 }, { n: 2 }] });

    const inline = await run(
      distributed({ ItemsPath: '$.products' }, async (input) => ({ got: input })),
      {
        products: ['a', 'b'],
      },
    );
    expect(inline.ended).toMatchObject({ status: 'SUCCEEDED', output: [{ got: 'a' }, { got: 'b' }] });
  });

  it('runs at most MaxConcurrency children at once', async () => {
    await objects.put(bucket, 'runs/3/manifest.json', json(Array.from({ length: 9 }, (_, index) => index)));
    let running = 0;
    let most = 0;
    const { ended } = await run(
      distributed({ ...manifestReader, MaxConcurrency: 3 }, async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return {};
      }),
      { manifest: { bucket, key: 'runs/3/manifest.json' } },
    );
    expect(ended?.status).toBe('SUCCEEDED');
    expect(most).toBe(3);
  });

  it('tolerates the failures ToleratedFailurePercentage allows, reporting each in its place', async () => {
    await objects.put(bucket, 'runs/4/manifest.json', json(['ok', 'bad', 'ok', 'ok']));
    const work: LocalTaskHandler = async (input) => {
      if (input === 'bad') throw Object.assign(new Error('no answer'), { name: 'ModelUnavailable' });
      return { done: input };
    };
    const tolerant = await run(distributed({ ...manifestReader, ToleratedFailurePercentage: 25 }, work), {
      manifest: { bucket, key: 'runs/4/manifest.json' },
    });
    expect(tolerant.ended).toMatchObject({
      status: 'SUCCEEDED',
      output: [{ done: 'ok' }, { Error: 'ModelUnavailable' }, { done: 'ok' }, { done: 'ok' }],
    });

    const strict = await run(distributed({ ...manifestReader, ToleratedFailureCount: 0 }, work), {
      manifest: { bucket, key: 'runs/4/manifest.json' },
    });
    expect(strict.ended).toMatchObject({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
      cause: expect.stringContaining('1 of 4 child executions failed'),
    });
  });

  it('fails past the stricter of the count and the percentage, a percentage exceeded by any fraction', async () => {
    await objects.put(bucket, 'runs/7/manifest.json', json(['ok', 'bad', 'ok', 'bad']));
    const work: LocalTaskHandler = async (input) => {
      if (input === 'bad') throw new Error('no answer');
      return {};
    };
    const manifest = { manifest: { bucket, key: 'runs/7/manifest.json' } };
    const outcome = async (tolerance: object) =>
      (await run(distributed({ ...manifestReader, ...tolerance }, work), manifest)).ended?.status;

    expect(await outcome({ ToleratedFailurePercentage: 50 })).toBe('SUCCEEDED');
    // 2 of 4 is 50 %, over 49 %.
    expect(await outcome({ ToleratedFailurePercentage: 49 })).toBe('FAILED');
    expect(await outcome({ ToleratedFailurePercentage: 50, ToleratedFailureCount: 1 })).toBe('FAILED');
    expect(await outcome({ ToleratedFailurePercentage: 10, ToleratedFailureCount: 2 })).toBe('FAILED');
    expect(await outcome({ ToleratedFailureCount: 2 })).toBe('SUCCEEDED');
  });

  it('fails with States.ItemReaderFailed, which Catch sees, when the manifest is missing or not an array', async () => {
    await objects.put(bucket, 'runs/5/manifest.json', json({ not: 'an array' }));
    for (const key of ['runs/none/manifest.json', 'runs/5/manifest.json']) {
      const failed = await run(
        distributed(manifestReader, async () => ({})),
        { manifest: { bucket, key } },
      );
      expect(failed.ended, key).toMatchObject({ status: 'FAILED', error: 'States.ItemReaderFailed' });
    }

    const caught = await run(
      distributed(manifestReader, async () => ({}), {
        Catch: [{ ErrorEquals: ['States.ItemReaderFailed'], Next: 'Caught' }],
        End: true,
      }),
      { manifest: { bucket, key: 'runs/none/manifest.json' } },
    );
    expect(caught.ended?.status).toBe('SUCCEEDED');
  });

  it('stops its children when the execution is stopped', async () => {
    await objects.put(bucket, 'runs/6/manifest.json', json([1, 2]));
    const machines = machinesWith(
      distributed(
        manifestReader,
        (_input, context) =>
          new Promise((_, reject) => {
            context.signal.addEventListener('abort', () => reject(context.signal.reason));
          }),
      ),
    );
    const id = machines.start('catalog', { manifest: { bucket, key: 'runs/6/manifest.json' } });
    await expect
      .poll(
        () =>
          machines
            .listing()
            .executions.filter((execution) => execution.stateMachine === 'catalog/EachProduct').length,
      )
      .toBe(2);
    machines.stop(id, 'operator');
    await expect
      .poll(() =>
        machines
          .listing()
          .executions.filter((execution) => execution.stateMachine === 'catalog/EachProduct')
          .map((execution) => execution.status),
      )
      .toEqual(['ABORTED', 'ABORTED']);
  });

  it('refuses what it does not implement, and a processor Task without a handler, when added', () => {
    expect(() =>
      machinesWith(
        distributed(
          { ...manifestReader, ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' } },
          async () => ({}),
        ),
      ),
    ).toThrow(/ResultWriter \(Distributed Map EachProduct\)/);
    expect(() =>
      machinesWith(
        distributed(
          { ...manifestReader, ItemSelector: { 'id.$': "States.Format('p-{}', $$.Map.Item.Value)" } },
          async () => ({}),
        ),
      ),
    ).toThrow(InvalidStateMachineDefinitionError);
    const withoutHandler = { ...distributed(manifestReader, async () => ({})), tasks: {} };
    expect(() => machinesWith(withoutHandler)).toThrow(/Task states without a local handler.*Work/);
  });
});
