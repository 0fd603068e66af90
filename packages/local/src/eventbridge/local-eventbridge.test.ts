// The REAL @aws-sdk/client-eventbridge against the local endpoint: wire format, validation and
// injected failures as EventBridge reports them.
import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  ListRulesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEventBridge, startLocalEventBridge } from './local-eventbridge.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let eventBridge: LocalEventBridge;
const clients: EventBridgeClient[] = [];

beforeAll(async () => {
  eventBridge = await startLocalEventBridge();
});

afterEach(() => {
  eventBridge.faults.clear();
  eventBridge.bus.clear();
  for (const client of clients.splice(0)) client.destroy();
});

afterAll(async () => {
  await eventBridge.close();
});

function client(config: EventBridgeClientConfig = {}): EventBridgeClient {
  const created = new EventBridgeClient({
    endpoint: eventBridge.endpoint,
    region: 'ap-northeast-1',
    credentials,
    ...config,
  });
  clients.push(created);
  return created;
}

function catalogEntry(index: number, overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return {
    Source: 'mangaassist.catalog',
    DetailType: 'CatalogUpdate.restock',
    Detail: JSON.stringify({ product_id: `p-${index}`, processing_stage: 'raw' }),
    EventBusName: 'MangaAssist-AI-Events',
    ...overrides,
  };
}

const entries = (count: number) => Array.from({ length: count }, (_, index) => catalogEntry(index));

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** A raw AWS JSON 1.1 request, for what the SDK would never send. */
const post = (target: string, body: string) =>
  fetch(eventBridge.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });

const productIds = () => eventBridge.bus.list().events.map((event) => event.detail.product_id);

describe('local EventBridge PutEvents', () => {
  it('accepts a batch of 10 and lists the events newest first', async () => {
    const output = await client().send(new PutEventsCommand({ Entries: entries(10) }));

    expect(output.FailedEntryCount).toBe(0);
    expect(output.Entries).toHaveLength(10);
    for (const result of output.Entries ?? []) expect(result.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(productIds()).toEqual(Array.from({ length: 10 }, (_, index) => `p-${9 - index}`));
    expect(eventBridge.bus.list().events.map((event) => event.id)).toEqual(
      (output.Entries ?? []).map((result) => result.EventId).reverse(),
    );
  });

  it('refuses 11 entries as a whole with a 400 ValidationException and accepts none', async () => {
    const error = await rejection(client().send(new PutEventsCommand({ Entries: entries(11) })));

    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(/length less than or equal to 10/);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(eventBridge.bus.accepted).toBe(0);
  });

  it('refuses entries over 256 KB together as a whole, by EventBridge’s size rule', async () => {
    const padding = (bytes: number) => JSON.stringify({ padding: 'x'.repeat(bytes) });
    const fixed = Buffer.byteLength('mangaassist.catalogCatalogUpdate.restock') + padding(0).length;
    const exactly = catalogEntry(0, { Detail: padding(256 * 1024 - fixed) });
    await expect(client().send(new PutEventsCommand({ Entries: [exactly] }))).resolves.toMatchObject({
      FailedEntryCount: 0,
    });

    const oneByteOver = catalogEntry(1, { Detail: padding(256 * 1024 - fixed + 1) });
    const error = await rejection(client().send(new PutEventsCommand({ Entries: [oneByteOver] })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe('Total size of the entries in the request is over the limit.');
    expect(eventBridge.bus.accepted).toBe(1);
  });

  it('fails invalid entries one by one and accepts the others', async () => {
    const output = await client().send(
      new PutEventsCommand({
        Entries: [
          catalogEntry(0),
          catalogEntry(1, { Source: undefined }),
          catalogEntry(2, { DetailType: undefined }),
          catalogEntry(3, { Detail: undefined }),
          catalogEntry(4, { Detail: '[1, 2]' }),
          catalogEntry(5, { Detail: '{"unclosed": ' }),
          catalogEntry(6),
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(5);
    expect(output.Entries?.slice(1, 6)).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ]);
    expect(productIds()).toEqual(['p-6', 'p-0']);
  });

  it('reports injected entry failures as a partial failure, then accepts again once the fault is spent', async () => {
    eventBridge.faults.failNext({ count: 3, errorCode: 'ThrottlingException' });
    const first = await client().send(new PutEventsCommand({ Entries: entries(5) }));

    expect(first.FailedEntryCount).toBe(3);
    expect(first.Entries?.map((result) => result.ErrorCode ?? 'ok')).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      'ThrottlingException',
      'ok',
      'ok',
    ]);
    expect(productIds()).toEqual(['p-4', 'p-3']);

    const second = await client().send(new PutEventsCommand({ Entries: entries(2) }));
    expect(second.FailedEntryCount).toBe(0);
    expect(eventBridge.faults.list()).toEqual([]);
  });

  it('fails only the entries an injected fault targets', async () => {
    eventBridge.faults.add({ errorCode: 'AccessDeniedException', source: 'mangaassist.reviews' });
    const output = await client().send(
      new PutEventsCommand({
        Entries: [
          catalogEntry(0),
          catalogEntry(1, { Source: 'mangaassist.reviews', DetailType: 'ReviewSubmitted' }),
        ],
      }),
    );
    expect(output.Entries?.map((result) => result.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'AccessDeniedException',
    ]);
  });

  it('fails a whole request with an injected error the SDK names', async () => {
    eventBridge.faults.add({ scope: 'request', errorType: 'InternalException', count: 1 });
    const error = await rejection(
      client({ maxAttempts: 1 }).send(new PutEventsCommand({ Entries: entries(2) })),
    );

    expect(error.name).toBe('InternalException');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(eventBridge.bus.accepted).toBe(0);
  });

  it('lets the SDK retry an injected whole-request throttle', async () => {
    eventBridge.faults.add({ scope: 'request', errorType: 'ThrottlingException', count: 1 });
    const output = await client({ maxAttempts: 2 }).send(new PutEventsCommand({ Entries: entries(1) }));

    expect(output.FailedEntryCount).toBe(0);
    expect(output.$metadata.attempts).toBe(2);
    expect(eventBridge.bus.accepted).toBe(1);
  });

  it('keeps the region the request was signed for, the bus named in an ARN and the sender’s time', async () => {
    const output = await client({ region: 'ap-northeast-3' }).send(
      new PutEventsCommand({
        Entries: [
          catalogEntry(0, {
            EventBusName: 'arn:aws:events:ap-northeast-3:123456789012:event-bus/MangaAssist-AI-Events',
            Time: new Date('2026-02-03T04:05:06Z'),
            Resources: ['arn:aws:s3:::catalog'],
          }),
        ],
      }),
    );
    const stored = eventBridge.bus.get(output.Entries?.[0]?.EventId ?? '');

    expect(stored).toMatchObject({
      eventBusName: 'MangaAssist-AI-Events',
      event: { region: 'ap-northeast-3', time: '2026-02-03T04:05:06Z', resources: ['arn:aws:s3:::catalog'] },
    });
  });

  it('answers an operation it does not serve with UnknownOperationException', async () => {
    const error = await rejection(client({ maxAttempts: 1 }).send(new ListRulesCommand({})));
    expect(error.name).toBe('UnknownOperationException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it.each([
    ['no Entries', {}, /Member must not be null/],
    ['empty Entries', { Entries: [] }, /length greater than or equal to 1/],
  ])('refuses a request with %s as a ValidationException', async (_case, body, message) => {
    const response = await post('AWSEvents.PutEvents', JSON.stringify(body));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'ValidationException',
      message: expect.stringMatching(message),
    });
  });

  it('serves no operation named after an object property', async () => {
    const response = await post('AWSEvents.toString', '{}');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('answers a body that is not JSON with a SerializationException in the AWS JSON 1.1 shape', async () => {
    const response = await post('AWSEvents.PutEvents', '{"Entries": [');

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'SerializationException',
      message: 'The request body is not valid JSON.',
    });
  });
});

describe('closing the local EventBridge endpoint', () => {
  /** A failing target with retries far enough apart that one is always pending when we close. */
  async function endpointWithFailingTarget(): Promise<{ endpoint: LocalEventBridge; calls: () => number }> {
    let calls = 0;
    const endpoint = await startLocalEventBridge({
      busOptions: { retryTiming: { baseDelayMs: 60_000, maxDelayMs: 60_000 } },
    });
    endpoint.bus.addRules(
      [
        {
          name: 'catalog-to-embeddings',
          description: 'every catalog event to one consumer',
          eventPattern: { source: ['mangaassist.catalog'] },
          targets: [
            {
              id: 'embedding-regeneration',
              kind: 'lambda',
              handler: 'embedding-regeneration',
              retry: { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 3 },
            },
          ],
        },
      ],
      {
        'embedding-regeneration': async () => {
          calls += 1;
          throw new Error('Database is closed');
        },
      },
    );
    return { endpoint, calls: () => calls };
  }

  it('closes its bus first, giving up pending retries, then stops listening', async () => {
    const { endpoint, calls } = await endpointWithFailingTarget();
    const sender = new EventBridgeClient({
      endpoint: endpoint.endpoint,
      region: 'ap-northeast-1',
      credentials,
    });
    await sender.send(new PutEventsCommand({ Entries: entries(3) }));
    sender.destroy();
    while (calls() < 3) await new Promise<void>((resolve) => setImmediate(resolve));

    await endpoint.close();

    expect(endpoint.bus.closed).toBe(true);
    const statuses = endpoint.bus.list().events.flatMap((event) => event.rules[0]?.targets);
    expect(statuses).toEqual(
      Array(3).fill({ name: 'embedding-regeneration', status: 'failed', error: 'bus closed' }),
    );
    expect(endpoint.bus.deadLetters().messages).toEqual([]);
    await expect(fetch(endpoint.endpoint, { method: 'POST' })).rejects.toThrow();
  });

  it('answers PutEvents on a closed bus with a 503 ServiceUnavailableException and accepts nothing', async () => {
    const { endpoint } = await endpointWithFailingTarget();
    await endpoint.bus.close();
    const sender = client({ endpoint: endpoint.endpoint, maxAttempts: 1 });

    const error = await rejection(sender.send(new PutEventsCommand({ Entries: entries(2) })));
    await endpoint.close();

    expect(error.name).toBe('ServiceUnavailableException');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    expect(endpoint.bus.accepted).toBe(0);
  });
});
