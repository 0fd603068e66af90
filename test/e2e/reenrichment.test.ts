// A whole-catalog re-enrichment through `pnpm dev`, as an operator runs it: POST /_local/executions
// starts the re-enrichment state machine (the deployed ASL). A catalog under the batch threshold
// goes through the Distributed Map, 25 products a child execution, on demand; one of 1 000 products
// becomes one Bedrock batch job on the emulator, whose state change on the default bus completes
// the waiting state, and its answers are applied page by page. Every product ends enriched once,
// by this run.
import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTables, useDevServer } from './support.js';

const dev = useDevServer();
const machine = 'mangaassist-local-catalog-reenrichment';

/** Generous: a wait only bounds a hung test, it asserts nothing about speed. */
const settleMs = 120_000;

interface Execution {
  readonly executionArn: string;
  readonly stateMachine: string;
  readonly status: string;
  readonly output?: Record<string, unknown>;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly { readonly type: string; readonly state?: string }[];
}

async function executions(): Promise<Execution[]> {
  const listing = (await (await fetch(`${dev().url}/_local/executions`)).json()) as {
    executions: Execution[];
  };
  return listing.executions;
}

/** Starts a run and waits for it to end. */
async function reenrich(name: string): Promise<Execution> {
  const started = await fetch(`${dev().url}/_local/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ state_machine: machine, name }),
  });
  expect(started.status).toBe(202);
  const { execution_arn: arn } = (await started.json()) as { execution_arn: string };
  let ended: Execution | undefined;
  await expect
    .poll(
      async () => {
        ended = (await executions()).find(
          (execution) => execution.executionArn === arn && execution.status !== 'RUNNING',
        );
        return ended !== undefined;
      },
      { timeout: settleMs, interval: 200, message: `the re-enrichment ${name} never ended` },
    )
    .toBe(true);
  if (ended === undefined) throw new Error('unreachable');
  return ended;
}

// Past the polls' own bound, so a run that never ends fails with their message, not the default
// 20 s test timeout (the 1,000-product run takes 10–20 s on a busy 2-core machine).
describe('catalog re-enrichment by the state machine', { timeout: settleMs + 10_000 }, () => {
  let documents: DynamoDBDocumentClient;
  let table = '';

  async function seed(from: number, to: number) {
    const items = Array.from({ length: to - from }, (_, offset) => ({
      product_id: `reenrich-${String(from + offset).padStart(4, '0')}`,
      title: `再エンリッチ ${from + offset}巻`,
      genre: 'shonen',
    }));
    for (let start = 0; start < items.length; start += 25) {
      await documents.send(
        new BatchWriteCommand({
          RequestItems: { [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
    }
  }

  async function products() {
    const all: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({ TableName: table, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
      );
      all.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return all.filter((item) => String(item.product_id).startsWith('reenrich-'));
  }

  beforeAll(async () => {
    const local = await localTables(dev().url);
    documents = local.documents;
    table = local.table('products');
  });

  afterAll(() => {
    documents?.destroy();
  });

  it('enriches a catalog under the batch threshold on demand, through a Distributed Map of child executions', async () => {
    await seed(0, 200);

    const run = await reenrich('on-demand-run');

    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      output: { mode: 'on-demand', products: 200, enriched: 200, failed: 0 },
    });
    const children = (await executions()).filter(
      (execution) => execution.stateMachine === `${machine}/EnrichProducts`,
    );
    expect(children).toHaveLength(8);
    expect(children.every((child) => child.status === 'SUCCEEDED')).toBe(true);
    const enriched = await products();
    expect(enriched).toHaveLength(200);
    for (const product of enriched) {
      expect(product.ai_source_event_id).toBe('reenrichment:on-demand-run');
      expect(product.ai_tags).toHaveLength(5);
    }
  });

  it('enriches a 1 000-product catalog through one batch job, completed by its state change, losing nothing', async () => {
    // The first test's 200 products and 800 more: the catalog reaches the batch threshold.
    await seed(200, 1_000);

    const run = await reenrich('batch-run');

    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      output: { mode: 'batch', products: 1_000, enriched: 1_000, failed: 0 },
    });
    expect(run.events.some((event) => event.type === 'StateEntered' && event.state === 'RunBatchJob')).toBe(
      true,
    );
    const enriched = await products();
    expect(enriched).toHaveLength(1_000);
    expect(
      enriched.filter((product) => product.ai_source_event_id === 'reenrichment:batch-run'),
    ).toHaveLength(1_000);
    expect(new Set(enriched.map((product) => product.product_id)).size).toBe(1_000);

    const { events } = (await (await fetch(`${dev().url}/_local/events`)).json()) as {
      events: {
        source: string;
        detail: { status?: string };
        rules: { name: string; targets: { status: string }[] }[];
      }[];
    };
    const completed = events.find(
      (event) => event.source === 'aws.bedrock' && event.detail.status === 'Completed',
    );
    expect(completed?.rules).toEqual([
      expect.objectContaining({
        name: 'reenrichment-batch-completion',
        targets: [expect.objectContaining({ status: 'ok' })],
      }),
    ]);

    // The hourly sweep finds the job ended and its task completed already: nothing to do.
    const started = await fetch(`${dev().url}/_local/schedules/reenrichment-batch-sweep`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(202);
    const sweep = (await started.json()) as { id: string };
    let swept: { status: string; result?: unknown } | undefined;
    await expect
      .poll(
        async () => {
          const listing = (await (await fetch(`${dev().url}/_local/events`)).json()) as {
            events: { id: string; rules: { targets: { status: string; result?: unknown }[] }[] }[];
          };
          swept = listing.events.find((event) => event.id === sweep.id)?.rules[0]?.targets[0];
          return swept?.status;
        },
        { timeout: settleMs, message: 'the sweep never ran' },
      )
      .toBe('ok');
    expect(swept?.result).toEqual({ outcome: { jobs: 1, running: 0, completed: 0 } });
  });

  it('refuses a start of an unknown state machine or a repeated name, saying why', async () => {
    const start = (body: unknown) =>
      fetch(`${dev().url}/_local/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknown = await start({ state_machine: 'no-such-machine' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'state_machine_not_found' } });
    expect((await start({ state_machine: machine, name: 'batch-run' })).status).toBe(409);
    expect((await start({ machine })).status).toBe(400);
  });
});
