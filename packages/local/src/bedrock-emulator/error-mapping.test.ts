import {
  AccessDeniedException,
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BedrockEmulator, type BedrockErrorName, startBedrockEmulator } from './index.js';
import { anthropicBody, clientFor, converseInput, modelIds } from './test-support.js';

let emulator: BedrockEmulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  client = clientFor(emulator);
});

afterEach(() => {
  emulator.faults.clear();
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

const sdkClasses: Record<BedrockErrorName, [new (...args: never[]) => Error, number]> = {
  AccessDeniedException: [AccessDeniedException, 403],
  InternalServerException: [InternalServerException, 500],
  ModelErrorException: [ModelErrorException, 424],
  ModelNotReadyException: [ModelNotReadyException, 429],
  ModelTimeoutException: [ModelTimeoutException, 408],
  ResourceNotFoundException: [ResourceNotFoundException, 404],
  ServiceQuotaExceededException: [ServiceQuotaExceededException, 400],
  ServiceUnavailableException: [ServiceUnavailableException, 503],
  ThrottlingException: [ThrottlingException, 429],
  ValidationException: [ValidationException, 400],
};

describe('injected errors reach the SDK as its own exception classes', () => {
  it.each(Object.entries(sdkClasses))(
    'surfaces %s from Converse with its status',
    async (name, [ErrorClass, status]) => {
      emulator.faults.add({ error: name as BedrockErrorName, rate: 1 });

      const sending = client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')));

      await expect(sending).rejects.toBeInstanceOf(ErrorClass);
      await expect(sending).rejects.toMatchObject({ name, $metadata: { httpStatusCode: status } });
    },
  );

  it('surfaces an injected error from InvokeModel and both streaming calls before any event', async () => {
    emulator.faults.add({ error: 'ServiceUnavailableException', rate: 1 });

    await expect(
      client.send(new InvokeModelCommand({ modelId: modelIds.haiku, body: anthropicBody('hi') })),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(
      client.send(
        new InvokeModelWithResponseStreamCommand({ modelId: modelIds.haiku, body: anthropicBody('hi') }),
      ),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(
      client.send(new ConverseStreamCommand(converseInput(modelIds.haiku, 'hi'))),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  it('rejects a bearer token it cannot recognise as UnrecognizedClientException, which the SDK names', async () => {
    const bearerClient = new BedrockRuntimeClient({
      region: 'ap-northeast-1',
      endpoint: emulator.url,
      token: { token: 'not-a-bedrock-api-key' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });

    const sending = bearerClient.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi')));

    await expect(sending).rejects.toBeInstanceOf(BedrockRuntimeServiceException);
    await expect(sending).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
    bearerClient.destroy();
  });
});

/** Drains a stream of events, keeping the text deltas seen before it ended or failed. */
async function drain<Event>(
  events: AsyncIterable<Event> | undefined,
  textOf: (event: Event) => string | undefined,
): Promise<{ deltas: string[]; error: unknown }> {
  const deltas: string[] = [];
  try {
    for await (const event of events ?? []) {
      const text = textOf(event);
      if (text !== undefined) deltas.push(text);
    }
    return { deltas, error: undefined };
  } catch (error) {
    return { deltas, error };
  }
}

describe('ModelStreamErrorException mid-stream', () => {
  it('reaches the ConverseStream consumer after two deltas', async () => {
    emulator.faults.add({ error: 'ModelStreamErrorException', rate: 1 });
    const output = await client.send(
      new ConverseStreamCommand(converseInput(modelIds.haiku, 'tell me a story')),
    );

    const { deltas, error } = await drain(output.stream, (event) => event.contentBlockDelta?.delta?.text);

    expect(error).toBeInstanceOf(ModelStreamErrorException);
    expect(error).toMatchObject({ name: 'ModelStreamErrorException', originalStatusCode: 500 });
    expect(deltas).toHaveLength(2);
  });

  it('reaches the InvokeModelWithResponseStream consumer after two deltas', async () => {
    emulator.faults.add({ error: 'ModelStreamErrorException', rate: 1 });
    const output = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: modelIds.haiku,
        body: anthropicBody('tell me a story'),
      }),
    );

    const { deltas, error } = await drain(output.body, (part) => {
      const event = JSON.parse(new TextDecoder().decode(part.chunk?.bytes)) as { delta?: { text?: string } };
      return event.delta?.text;
    });

    expect(error).toBeInstanceOf(ModelStreamErrorException);
    expect(deltas).toHaveLength(2);
  });

  it('counts a stream cut by the error under ModelStreamErrorException', async () => {
    emulator.resetStats();
    emulator.faults.add({ error: 'ModelStreamErrorException', rate: 1 });
    const output = await client.send(
      new ConverseStreamCommand(converseInput(modelIds.haiku, 'tell me a story')),
    );

    await drain(output.stream, () => undefined);

    expect(emulator.stats().outcomes).toEqual({ ModelStreamErrorException: 1 });
  });

  it('fails a non-streaming call with ModelErrorException, its whole-response counterpart', async () => {
    emulator.faults.add({ error: 'ModelStreamErrorException', rate: 1 });

    await expect(
      client.send(new ConverseCommand(converseInput(modelIds.haiku, 'hi'))),
    ).rejects.toBeInstanceOf(ModelErrorException);
  });
});
