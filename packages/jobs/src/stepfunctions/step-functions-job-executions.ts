import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { JobExecutions } from '../job-starter.js';

/**
 * `JobExecutions` on a Step Functions Standard state machine: one execution per job, named by the
 * job id (a redelivered start finds the execution that exists). The function needs
 * `states:StartExecution` on the state machine and `states:StopExecution` on its executions.
 */
export class StepFunctionsJobExecutions implements JobExecutions {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(jobId: string): Promise<string> {
    try {
      const started = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: jobId,
          input: JSON.stringify({ job_id: jobId }),
        }),
      );
      if (!started.executionArn) throw new Error('StartExecution returned no executionArn');
      return started.executionArn;
    } catch (error) {
      // Same name, same input: StartExecution is idempotent and answers with the execution. A name
      // reused with another input (impossible here: the input is the name) or after it ended is this.
      if (error instanceof ExecutionAlreadyExists) return this.executionArnOf(jobId);
      throw error;
    }
  }

  async stop(executionId: string, cause: string): Promise<void> {
    try {
      await this.client.send(new StopExecutionCommand({ executionArn: executionId, cause }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      throw error;
    }
  }

  /** `arn:aws:states:<region>:<account>:execution:<machine name>:<execution name>`. */
  private executionArnOf(jobId: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`;
  }
}
