import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { type TaskCallbacks, TaskTokenGoneError } from '../batch-completion.js';

/** Step Functions' error and cause limits (SendTaskFailure): longer values are refused. */
const maxErrorChars = 256;
const maxCauseChars = 32_768;

/**
 * `TaskCallbacks` on Step Functions: SendTaskSuccess with the output as JSON, SendTaskFailure with
 * the error and cause cut to what the API takes. A token that no longer waits (TaskDoesNotExist,
 * TaskTimedOut, InvalidToken) is a `TaskTokenGoneError`; every other failure propagates.
 */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await gone(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await gone(() =>
      this.client.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.slice(0, maxErrorChars),
          cause: cause.slice(0, maxCauseChars),
        }),
      ),
    );
  }
}

async function gone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof TaskDoesNotExist || error instanceof TaskTimedOut || error instanceof InvalidToken) {
      throw new TaskTokenGoneError(error.message, { cause: error });
    }
    throw error;
  }
}
