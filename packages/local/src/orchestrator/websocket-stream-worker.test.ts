// The WebSocket stream worker as an orchestrator task runs it: the message queue long-polled (SQS
// mocked: no AWS here), each queued client message answered by the chat over the Bedrock emulator
// and the embedded DynamoDB, its frames pushed to the connection, the message then deleted.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { fifoMessageOf, MemoryConnectionStore, MemoryFrameLog } from '@mangaassist/chat';
import { createChatCore } from '@mangaassist/chat/platform';
import { type MetricSet, silentLogger } from '@mangaassist/commons';
import type { ServerFrame } from '@mangaassist/contracts';
import { createWebSocketStreamWorker, orchestratorCoreOptions } from '@mangaassist/orchestrator/platform';
import { createLocalApiKeys, devTenants } from '@mangaassist/tenants';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { localChatConfig } from '../dev-server/dev-doors.js';
import { localCredentials, localRegion, startLocalAws } from '../dev-server/local-aws.js';

const sqsMock = mockClient(SQSClient);
const queueUrl = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-dev-ws-messages.fifo';
const aws = await startLocalAws({ logger: silentLogger });
const config = localChatConfig(aws);
const reports: MetricSet[] = [];
const core = createChatCore(
  config,
  orchestratorCoreOptions({
    region: localRegion,
    credentials: localCredentials,
    logger: silentLogger,
    metrics: { emit: (set) => reports.push(set) },
    tenants: createLocalApiKeys(devTenants).directory,
  }),
);

afterAll(async () => {
  sqsMock.restore();
  await core.close();
  await aws.close();
});

describe('the WebSocket stream worker', () => {
  it('answers a queued sendMessage with start, deltas and complete frames, reporting it while it streams, then deletes it', async () => {
    const queued = fifoMessageOf({
      connection_id: 'conn-1',
      message_id: 'api-gateway-message-1',
      body: JSON.stringify({ action: 'sendMessage', data: { message: 'おすすめの少年漫画は？' } }),
      received_at: Date.now(),
    });
    let delivered = false;
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      if (!delivered) {
        delivered = true;
        return {
          Messages: [
            {
              MessageId: 'sqs-1',
              ReceiptHandle: 'receipt-1',
              Body: queued.body,
              Attributes: { ApproximateReceiveCount: '1', MessageGroupId: queued.groupId },
            },
          ],
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {};
    });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const frames: ServerFrame[] = [];
    // The first frame waits until a report has counted the answer streaming.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answersReported = () =>
      reports.flatMap((set) => set.metrics.filter((metric) => metric.name === 'WebSocketAnswers'));
    const connections = new MemoryConnectionStore();
    const tenant = devTenants[0]?.id ?? '';
    await connections.put({
      connectionId: 'conn-1',
      tenantId: tenant,
      connectedAt: new Date().toISOString(),
    });

    const worker = createWebSocketStreamWorker(config, {
      core,
      queueUrl,
      client: new SQSClient({ region: localRegion, credentials: localCredentials }),
      pusher: {
        send: async (connectionId, data) => {
          await held;
          if (connectionId === 'conn-1') frames.push(JSON.parse(data) as ServerFrame);
        },
      },
      activity: { dimensions: { Stage: 'local' }, intervalMs: 20 },
      connections,
      frames: new MemoryFrameLog(),
      concurrency: 1,
    });
    worker.start();
    try {
      await expect
        .poll(() => answersReported().some((metric) => metric.value === 1), {
          timeout: 10_000,
          message: 'the answer streaming was never reported',
        })
        .toBe(true);
      release();
      await expect
        .poll(
          () =>
            sqsMock
              .commandCalls(DeleteMessageBatchCommand)
              .flatMap((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle) ?? []),
          { timeout: 10_000, message: 'the answered message was never deleted' },
        )
        .toEqual(['receipt-1']);
    } finally {
      await worker.stop(1_000);
    }

    expect(
      reports.find((set) => set.metrics.some((metric) => metric.name === 'WebSocketAnswers')),
    ).toMatchObject({
      namespace: 'MangaAssist/Orchestrator',
      dimensions: { Stage: 'local' },
    });
    const types = frames.map((frame) => frame.type);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('complete');
    expect(types.filter((type) => type === 'delta').length).toBeGreaterThan(0);
  });
});
