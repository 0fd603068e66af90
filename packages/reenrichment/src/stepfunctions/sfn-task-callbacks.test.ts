import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { TaskTokenGoneError } from '../batch-completion.js';
import { SfnTaskCallbacks } from './sfn-task-callbacks.js';

const sfn = mockClient(SFNClient);
const callbacks = new SfnTaskCallbacks(new SFNClient({ region: 'ap-northeast-1' }));

beforeEach(() => sfn.reset());
// The mock replaces the client class's `send` for the whole worker: give it back.
afterAll(() => sfn.restore());

describe('SfnTaskCallbacks', () => {
  it('sends the output as JSON, and the error and cause cut to what Step Functions takes', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({}).on(SendTaskFailureCommand).resolves({});

    await callbacks.succeed('token-1', { status: 'Completed' });
    await callbacks.fail('token-2', 'BatchJobFailed', 'x'.repeat(40_000));

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      output: '{"status":"Completed"}',
    });
    const failure = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(failure).toMatchObject({ taskToken: 'token-2', error: 'BatchJobFailed' });
    expect(failure?.cause).toHaveLength(32_768);
  });

  it('reports a token that no longer waits as TaskTokenGoneError, and any other failure as it is', async () => {
    for (const error of [
      new TaskDoesNotExist({ message: 'gone', $metadata: {} }),
      new TaskTimedOut({ message: 'timed out', $metadata: {} }),
      new InvalidToken({ message: 'invalid', $metadata: {} }),
    ]) {
      sfn.reset();
      sfn.on(SendTaskSuccessCommand).rejects(error);
      await expect(callbacks.succeed('token', {})).rejects.toBeInstanceOf(TaskTokenGoneError);
    }
    sfn.reset();
    sfn
      .on(SendTaskFailureCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(callbacks.fail('token', 'E', 'c')).rejects.toThrow('slow down');
  });
});
