import {
  byPriority,
  gatewayEnvironment,
  type JobPriority,
  jobPriorities,
  jobsByTenantStatusIndex,
} from '@mangaassist/contracts';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface JobStarterProps {
  /** Deployment stage, for the description and `MANGA_ENV`. */
  readonly stage: string;
  /** The queue of each priority lane. */
  readonly queues: Readonly<Record<JobPriority, IQueue>>;
  /** Jobs (`JOBS_TABLE`): the starter reads each job before it starts it. */
  readonly jobsTable: ITable;
  /** The job workflow (`JOB_STATE_MACHINE_ARN`). */
  readonly stateMachine: IStateMachine;
  /**
   * Starter instances per lane: the event source mapping's maximum concurrency (2–1000).
   * @default { normal: 10, low: 2 }
   */
  readonly laneConcurrency?: Readonly<Record<JobPriority, number>>;
  /**
   * Jobs one tenant may run at once (`JOBS_PER_TENANT`); the starter queues the next ones again.
   * @default 5
   */
  readonly jobsPerTenant?: number;
  /**
   * Must stay a sixth of the queues' visibility timeout or less (`JobQueues.consumerTimeout`).
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Logging and tracing (the starter runs outside any VPC and reads none of the shared environment).
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: Pick<SharedFunctionProps, 'tracing' | 'logRetention' | 'logRemovalPolicy'>;
}

/**
 * The job queues' consumer (`functions/jobs/src/starter-handler.ts`): one function with an SQS
 * event source per lane (batches of 10, `ReportBatchItemFailures`, the lane's maximum
 * concurrency), starting one execution of the job workflow per queued job. It may read jobs
 * (`GetItem`) and start executions of the one state machine, nothing else: it never touches the
 * documents, the queues beyond consuming them, or a model.
 */
export class JobStarter extends Construct {
  readonly function: PlatformFunction;
  readonly eventSources: Readonly<Record<JobPriority, SqsEventSource>>;

  constructor(scope: Construct, id: string, props: JobStarterProps) {
    super(scope, id);
    const concurrency = props.laneConcurrency ?? { normal: 10, low: 2 };
    this.function = new PlatformFunction(this, 'Function', {
      ...props.functionDefaults,
      entry: 'functions/jobs/src/starter-handler.ts',
      description: `MangaAssist ${props.stage}: starts the document job workflow for each queued job`,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.jobsTable]: props.jobsTable.tableName,
        [gatewayEnvironment.jobStateMachineArn]: props.stateMachine.stateMachineArn,
        [gatewayEnvironment.jobsQueueUrl]: props.queues.normal.queueUrl,
        [gatewayEnvironment.jobsLowQueueUrl]: props.queues.low.queueUrl,
        [gatewayEnvironment.jobsPerTenant]: String(props.jobsPerTenant ?? 5),
      },
    });
    // GetItem for the job, UpdateItem to mark it running once its execution has started.
    props.jobsTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // The cap counts a tenant's running jobs on one index (no grant method names a single index).
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.jobsTable.tableArn}/index/${jobsByTenantStatusIndex.name}`],
      }),
    );
    // A job over its tenant's cap is queued again, as a new message with a delay.
    for (const priority of jobPriorities) props.queues[priority].grantSendMessages(this.function);
    props.stateMachine.grantStartExecution(this.function);

    this.eventSources = byPriority((priority) => {
      const source = new SqsEventSource(props.queues[priority], {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: concurrency[priority],
      });
      this.function.invocationTarget.addEventSource(source);
      return source;
    });
  }
}
