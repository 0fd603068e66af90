import { gatewayEnvironment } from '@mangaassist/contracts';
import {
  batchCompletionEventPattern,
  batchJobNamePrefix,
  batchSweepSchedule,
  reenrichmentStepsFunctionArnSubstitution,
  reenrichmentStepTimeoutSeconds,
  reenrichmentWorkflowDefinition,
} from '@mangaassist/reenrichment';
import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BucketGrants, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { DocumentBucket } from './document-bucket.js';
import { nagResourceName } from './nag-resource-name.js';
import { notifyingAlarm } from './notifying-alarm.js';
import { PlatformFunction } from './platform-function.js';
import { acknowledgeLoggingWildcards, stateMachineLogGroup } from './state-machine-logging.js';

export class ReenrichmentWorkflowError extends Error {
  override readonly name = 'ReenrichmentWorkflowError';
}

export interface ReenrichmentWorkflowProps {
  /** Deployment stage: the state machine is `mangaassist-<stage>-catalog-reenrichment`. */
  readonly stage: string;
  /** The catalog, read page by page and written (`ai_*`) by the steps. */
  readonly productsTable: ITable;
  /** The documents bucket: the runs' files under `reenrichment/`. */
  readonly documentsBucket: IBucket;
  /** Where the gateway's `InferenceCompleted` go. */
  readonly eventBus: IEventBus;
  /** Bedrock permission and gateway settings: the steps call the fast model, on demand and in batch. */
  readonly bedrock: BedrockInvokeAccess;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /**
   * From this many products a run is one Bedrock batch job (at least 100).
   * @default 1000
   */
  readonly batchThreshold?: number;
  /**
   * Children of the on-demand Distributed Map at once.
   * @default 10
   */
  readonly mapConcurrency?: number;
  /**
   * The steps function's timeout; throws `ReenrichmentWorkflowError` above the Task states' (300 s).
   * @default Duration.seconds(280)
   */
  readonly stepsTimeout?: Duration;
  /**
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * X-Ray tracing of the functions and the executions.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The whole-catalog re-enrichment (`@mangaassist/reenrichment`): a Standard state machine an
 * operator starts, whose Lambda Task states invoke one steps function; its on-demand path is a
 * Distributed Map over the manifest in the documents bucket (child executions of the same
 * machine), its batch path one Bedrock batch job run under a service role Bedrock assumes, whose
 * state change on the default bus (a rule, with retries and a DLQ) invokes the completion function
 * that completes the waiting task. An hourly rule invokes the same function to sweep: a job that
 * ended but whose state change never arrived completes its task within the hour.
 *
 * Least privilege: the steps may Scan, GetItem and UpdateItem the products table, read and write
 * `reenrichment/*` of the bucket, invoke the fast model, create and read batch jobs and pass only
 * the batch role to Bedrock; the batch role may read the runs' batch inputs and write their
 * outputs; the completion function may read and mark the recorded task tokens, read and list
 * batch jobs and complete tasks of this machine; the machine may invoke the steps function, read manifests and
 * start and stop its own child executions.
 *
 * Alarms: a failed or timed-out execution, and a state change or sweep the completion could not
 * handle (delivery failures from either rule, and the function's own failures after Lambda's
 * retries, all land in its DLQ; the next hourly sweep tries the ended jobs again, and a run whose
 * job is never completed waits until the task's timeout, then enriches on demand).
 */
export class ReenrichmentWorkflow extends Construct {
  readonly stepsFunction: PlatformFunction;
  readonly completionFunction: PlatformFunction;
  readonly batchRole: Role;
  readonly stateMachine: StateMachine;
  readonly completionRule: Rule;
  readonly sweepRule: Rule;
  readonly completionDeadLetters: DeadLetterQueue;
  readonly logGroup: LogGroup;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ReenrichmentWorkflowProps) {
    super(scope, id);
    const stepsTimeout = props.stepsTimeout ?? Duration.seconds(280);
    if (stepsTimeout.toSeconds() > reenrichmentStepTimeoutSeconds) {
      throw new ReenrichmentWorkflowError(
        `the steps function's timeout (${stepsTimeout.toSeconds()} s) must not exceed the workflow's Task timeout (${reenrichmentStepTimeoutSeconds} s)`,
      );
    }
    const stack = Stack.of(this);
    const tracing = props.tracing ?? true;
    const machineName = `mangaassist-${props.stage}-catalog-reenrichment`;
    const prefix = DocumentBucket.reenrichmentPrefix;
    const bucket = props.documentsBucket;
    const objects = BucketGrants.fromBucket(bucket);
    const logs = {
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    };

    // Bedrock's service role for the batch jobs: only this account's jobs may assume it.
    this.batchRole = new Role(this, 'BatchRole', {
      description: `MangaAssist ${props.stage}: Bedrock batch inference of the catalog re-enrichment (reads its inputs, writes its outputs)`,
      assumedBy: new ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': batchJobArns(stack) },
        },
      }),
    });
    const batchInputs = `${prefix}*/batch/input.jsonl`;
    const batchOutputs = `${prefix}*/batch/output/*`;
    objects.actionsOnObjectKeys(this.batchRole, batchInputs, 's3:GetObject');
    objects.actionsOnObjectKeys(this.batchRole, batchOutputs, 's3:PutObject');
    DocumentBucket.grantListBucket(bucket, this.batchRole);
    // A job on an inference profile runs the model under this role: the fast model's profiles only.
    props.bedrock.grantInvoke(this.batchRole, { models: ['fast'] });

    const environment = {
      ...props.bedrock.handlerEnvironment,
      [gatewayEnvironment.stage]: props.stage,
      [gatewayEnvironment.productsTable]: props.productsTable.tableName,
      [gatewayEnvironment.documentsBucket]: bucket.bucketName,
      [gatewayEnvironment.reenrichmentBatchRoleArn]: this.batchRole.roleArn,
      [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName,
      ...(props.batchThreshold !== undefined
        ? { [gatewayEnvironment.reenrichmentBatchThreshold]: String(props.batchThreshold) }
        : {}),
    };

    this.stepsFunction = new PlatformFunction(this, 'StepsFunction', {
      entry: 'functions/reenrichment/src/steps-handler.ts',
      description: `MangaAssist ${props.stage}: the catalog re-enrichment's steps (plan, enrich-products, prepare-batch, submit-batch, apply-batch, summarize)`,
      memorySize: props.memorySize ?? 1024,
      timeout: stepsTimeout,
      tracing,
      ...logs,
      environment,
    });
    const steps = this.stepsFunction;
    props.productsTable.grant(steps, 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    objects.actionsOnObjectKeys(steps, `${prefix}*`, 's3:GetObject', 's3:PutObject');
    DocumentBucket.grantListBucket(bucket, steps);
    props.bedrock.grantInvoke(steps, { models: ['fast'] });
    props.eventBus.grantPutEventsTo(steps);
    steps.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'bedrock:CreateModelInvocationJob',
          'bedrock:GetModelInvocationJob',
          'bedrock:StopModelInvocationJob',
        ],
        resources: [batchJobArns(stack)],
      }),
    );
    // A job is also authorized against the model it names: the fast model's profiles and models.
    props.bedrock.grantOnModels(steps, ['bedrock:CreateModelInvocationJob'], { models: ['fast'] });
    this.batchRole.grantPassRole(steps.role);

    this.completionFunction = new PlatformFunction(this, 'CompletionFunction', {
      entry: 'functions/reenrichment/src/completion-handler.ts',
      description: `MangaAssist ${props.stage}: completes the catalog re-enrichment's waiting batch task from its Bedrock job's state change`,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing,
      ...logs,
      environment,
    });
    const completion = this.completionFunction;
    objects.actionsOnObjectKeys(completion, `${prefix}batch-jobs/*`, 's3:GetObject', 's3:PutObject');
    DocumentBucket.grantListBucket(bucket, completion);
    completion.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['bedrock:GetModelInvocationJob'], resources: [batchJobArns(stack)] }),
    );
    // The sweep's listing: ListModelInvocationJobs names no resource, so it takes none but "*".
    completion.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['bedrock:ListModelInvocationJobs'], resources: ['*'] }),
    );

    this.logGroup = stateMachineLogGroup(this, machineName, {
      ...(props.logRetention !== undefined ? { retention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { removalPolicy: props.logRemovalPolicy } : {}),
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        JSON.stringify(
          reenrichmentWorkflowDefinition(
            props.mapConcurrency !== undefined ? { maxConcurrency: props.mapConcurrency } : {},
          ),
        ),
      ),
      definitionSubstitutions: { [reenrichmentStepsFunctionArnSubstitution]: steps.function.functionArn },
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: tracing,
    });
    const machine = this.stateMachine;
    // The Lambda Task states and the callback task call the unqualified function: only that ARN.
    steps.function.grantInvokeLatestVersion(machine);
    // The Distributed Map reads the manifest and runs its children as executions of this machine.
    objects.actionsOnObjectKeys(machine, `${prefix}*/manifest.json`, 's3:GetObject');
    const ownArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: machineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const childArns = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${machineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    machine.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [ownArn] }));
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [childArns],
      }),
    );
    machine.grantTaskResponse(completion);

    this.completionDeadLetters = new DeadLetterQueue(this, 'CompletionDeadLetters', {
      purpose: 'batch job state changes and sweeps the re-enrichment completion failed to handle',
    });
    // Bedrock reports its jobs' state changes on the account's default bus.
    // EventBridge invokes the function asynchronously: the rule's retries and DLQ cover delivery
    // only, so a completion that throws goes to the same DLQ after Lambda's own two retries.
    completion.invocationTarget.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.completionDeadLetters.queue),
    });
    this.completionRule = new Rule(this, 'CompletionRule', {
      ruleName: `mangaassist-${props.stage}-reenrichment-batch-completion`,
      description: `MangaAssist ${props.stage}: a re-enrichment batch job ended; complete its waiting task`,
      eventPattern: batchCompletionEventPattern(props.stage),
      targets: [
        new LambdaFunction(completion.invocationTarget, {
          deadLetterQueue: this.completionDeadLetters.queue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    // The backstop for a state change that never arrived: every hour, the ended jobs still awaited.
    this.sweepRule = new Rule(this, 'SweepRule', {
      ruleName: `mangaassist-${props.stage}-reenrichment-batch-sweep`,
      description: `MangaAssist ${props.stage}: complete re-enrichment tasks whose batch job ended unheard`,
      schedule: Schedule.expression(batchSweepSchedule),
      targets: [
        new LambdaFunction(completion.invocationTarget, {
          deadLetterQueue: this.completionDeadLetters.queue,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    const reason = (what: string) =>
      `${what}: the run ids and job ids in the keys are known only at run time.`;
    const ack = (grantee: Construct, keys: string, what: string) =>
      Validations.of(grantee).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, bucket.arnForObjects(keys))}]`,
        reason: reason(what),
      });
    ack(
      steps.role,
      `${prefix}*`,
      's3:GetObject and s3:PutObject under reenrichment/ only (manifests, batch files, task tokens)',
    );
    ack(this.batchRole, batchInputs, "s3:GetObject of the runs' batch inputs only");
    ack(this.batchRole, batchOutputs, "s3:PutObject under the runs' batch outputs only");
    ack(
      completion.role,
      `${prefix}batch-jobs/*`,
      's3:GetObject and s3:PutObject (marked completed) of the recorded task tokens only',
    );
    ack(
      machine.role,
      `${prefix}*/manifest.json`,
      "s3:GetObject of the runs' manifests only (the Distributed Map's ItemReader)",
    );
    Validations.of(steps.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, batchJobArns(stack))}]`,
      reason:
        'Batch jobs are named at run time: bedrock:CreateModelInvocationJob creates model-invocation-job/<id>, which GetModelInvocationJob and StopModelInvocationJob then address.',
    });
    Validations.of(completion.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, batchJobArns(stack))}]`,
      reason:
        'bedrock:GetModelInvocationJob of the job whose state change arrived: its id is known only at run time.',
    });
    Validations.of(completion.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'bedrock:ListModelInvocationJobs supports no resource-level permission; the sweep filters by the stage’s job-name prefix.',
    });
    Validations.of(machine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, childArns)}]`,
      reason:
        "states:DescribeExecution and StopExecution of this machine's own Distributed Map children only, named at run time.",
    });
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'The machine logs ERROR events without execution data: an on-demand run is hundreds of child executions of many states each; ALL would log every transition for no diagnostic gain over X-Ray traces and the steps function’s own logs.',
    });
    acknowledgeLoggingWildcards(machine);

    const action = new SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, description: string, metric: IMetric) =>
      notifyingAlarm(this, alarmId, { stage: props.stage, description, metric, action });
    const period = Duration.minutes(5);
    this.alarms = [
      alarm(
        'ExecutionsFailed',
        'a catalog re-enrichment failed (no product enriched, or more children failed than tolerated); its execution history names the error',
        machine.metricFailed({ statistic: 'Sum', period }),
      ),
      alarm(
        'ExecutionsTimedOut',
        'a catalog re-enrichment ran past its limit (a batch job never reported its end)',
        machine.metricTimedOut({ statistic: 'Sum', period }),
      ),
      alarm(
        'CompletionDeadLettersDepth',
        `a Bedrock batch job's state change, or the hourly sweep, could not complete a re-enrichment task (prefix ${batchJobNamePrefix(props.stage)}); the next sweep tries again, and a run never completed waits until its timeout, then enriches on demand: check the completion function's logs, then redrive`,
        this.completionDeadLetters.queue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period,
        }),
      ),
    ];
  }
}

/** Every batch job of the account, in any region (the gateway's first target decides where). */
function batchJobArns(stack: Stack): string {
  return stack.formatArn({
    service: 'bedrock',
    region: '*',
    resource: 'model-invocation-job',
    resourceName: '*',
  });
}
