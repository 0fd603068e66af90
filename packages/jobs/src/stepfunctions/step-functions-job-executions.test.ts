import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  InvalidArn,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { newJobId } from '../testing/job-store-contract.js';
import { StepFunctionsJobExecutions } from './step-functions-job-executions.js';

const sfnMock = mockClient(SFNClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => sfnMock.restore());

beforeEach(() => {
  sfnMock.reset();
});

const stateMachineArn = 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:mangaassist-prod-jobs';

function makeExecutions(): StepFunctionsJobExecutions {
  return new StepFunctionsJobExecutions(new SFNClient({ region: 'ap-northeast-1' }), stateMachineArn);
}

const executionArnOf = (jobId: string) =>
  `arn:aws:states:ap-northeast-1:123456789012:execution:mangaassist-prod-jobs:${jobId}`;

describe('StepFunctionsJobExecutions', () => {
  describe('start', () => {
    it('starts an execution of the state machine named by the job id, with the job id as input', async () => {
      const jobId = newJobId();
      sfnMock
        .on(StartExecutionCommand)
        .resolves({ executionArn: executionArnOf(jobId), startDate: new Date() });

      await makeExecutions().start(jobId);

      expect(sfnMock).toReceiveCommandExactlyOnceWith(StartExecutionCommand, {
        stateMachineArn,
        name: jobId,
        input: JSON.stringify({ job_id: jobId }),
      });
    });

    it('answers the execution ARN Step Functions returns', async () => {
      sfnMock.on(StartExecutionCommand).resolves({
        executionArn: 'arn:aws:states:ap-northeast-1:123456789012:execution:m:x',
        startDate: new Date(),
      });

      expect(await makeExecutions().start(newJobId())).toBe(
        'arn:aws:states:ap-northeast-1:123456789012:execution:m:x',
      );
    });

    it('answers the ARN of the execution that exists when the job was already started (a redelivery)', async () => {
      const jobId = newJobId();
      sfnMock
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

      expect(await makeExecutions().start(jobId)).toBe(executionArnOf(jobId));
    });

    it('throws when Step Functions answers without an execution ARN', async () => {
      sfnMock.on(StartExecutionCommand).resolves({});

      await expect(makeExecutions().start(newJobId())).rejects.toThrow(/no executionArn/);
    });

    it('throws any other error as Step Functions reports it', async () => {
      sfnMock
        .on(StartExecutionCommand)
        .rejects(new ExecutionLimitExceeded({ message: 'too many executions', $metadata: {} }));

      await expect(makeExecutions().start(newJobId())).rejects.toBeInstanceOf(ExecutionLimitExceeded);
    });
  });

  describe('stop', () => {
    it('stops the execution with the cause given', async () => {
      const executionArn = executionArnOf(newJobId());
      sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });

      await makeExecutions().stop(executionArn, 'cancelled by its tenant');

      expect(sfnMock).toReceiveCommandExactlyOnceWith(StopExecutionCommand, {
        executionArn,
        cause: 'cancelled by its tenant',
      });
    });

    it('resolves when the execution does not exist (it has ended and gone)', async () => {
      sfnMock
        .on(StopExecutionCommand)
        .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

      await expect(makeExecutions().stop(executionArnOf(newJobId()), 'cancelled')).resolves.toBeUndefined();
    });

    it('throws any other error as Step Functions reports it', async () => {
      sfnMock.on(StopExecutionCommand).rejects(new InvalidArn({ message: 'Invalid Arn', $metadata: {} }));

      await expect(makeExecutions().stop('exec-1', 'cancelled')).rejects.toBeInstanceOf(InvalidArn);
    });
  });
});
