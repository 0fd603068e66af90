import { gatewayEnvironment } from '@mangaassist/contracts';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface JobExecutionSafetyNetProps {
  /** Deployment stage, for descriptions and `MANGA_ENV`. */
  readonly stage: string;
  /** The job workflow whose ended executions are watched. */
  readonly stateMachine: IStateMachine;
  /** Jobs (`JOBS_TABLE`): a job left queued or running is failed here. */
  readonly jobsTable: ITable;
  /** The AI bus (`EVENT_BUS_NAME`): a job failed here is announced with `JobFailed`. */
  readonly eventBus: IEventBus;
  /** The callback queue (`JOB_CALLBACKS_QUEUE_URL`): a job failed here has its callback queued. */
  readonly callbackQueue: IQueue;
  /**
   * Logging and tracing (the function runs outside any VPC and reads none of the shared environment).
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: Pick<SharedFunctionProps, 'tracing' | 'logRetention' | 'logRemovalPolicy'>;
  /**
   * What happens to the dead-letter queue (and the events in it) when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The statuses of an execution that ended without succeeding. */
export const unsettledExecutionStatuses = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The safety net under the job workflow: an EventBridge rule on the account's default bus for
 * the job state machine's "Step Functions Execution Status Change" events with status FAILED,
 * TIMED_OUT or ABORTED, targeting `functions/jobs/src/execution-ended-handler.ts`, which fails a
 * job its execution left queued or running (a timeout, a stop from the console, a failure no
 * Catch reaches), then tells of it as the steps would have: `JobFailed` on the AI bus and, for a
 * job with a `callback_url`, its callback queued. The handler is idempotent (a settled job is left
 * as it is), so retries are safe. It may read and update jobs, put events on the one bus and send
 * to the callback queue (`sqs:SendMessage` only), nothing else.
 *
 * Both ways an event can be lost end in `deadLetters` (alarmed): EventBridge could not invoke the
 * function (the target's retry policy, then its dead-letter queue), or the function failed on it
 * (Lambda's two asynchronous retries, then its on-failure destination).
 */
export class JobExecutionSafetyNet extends Construct {
  readonly function: PlatformFunction;
  readonly rule: Rule;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: JobExecutionSafetyNetProps) {
    super(scope, id);
    this.function = new PlatformFunction(this, 'Function', {
      ...props.functionDefaults,
      entry: 'functions/jobs/src/execution-ended-handler.ts',
      description: `MangaAssist ${props.stage}: fails a document job whose execution ended without settling it`,
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.jobsTable]: props.jobsTable.tableName,
        [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName,
        [gatewayEnvironment.jobCallbacksQueueUrl]: props.callbackQueue.queueUrl,
      },
    });
    props.jobsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.eventBus.grantPutEventsTo(this.function);
    props.callbackQueue.grant(this.function, 'sqs:SendMessage');

    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose:
        'job execution status changes EventBridge could not deliver to the safety net, or the safety net failed on after its retries',
      ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
    });
    this.function.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetters.queue),
    });

    this.rule = new Rule(this, 'Rule', {
      description: `MangaAssist ${props.stage}: document job executions that ended without succeeding`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [props.stateMachine.stateMachineArn],
          status: [...unsettledExecutionStatuses],
        },
      },
    });
    this.rule.addTarget(
      new LambdaFunction(this.function.invocationTarget, {
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: this.deadLetters.queue,
      }),
    );
  }
}
