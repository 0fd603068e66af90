import { gatewayEnvironment } from '@mangaassist/contracts';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  recommendationStepsFunctionArnSubstitution,
  recommendationStepTimeoutSeconds,
  recommendationWorkflowDefinition,
} from '../recommendation-workflow-definition.js';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { notifyingAlarm } from './notifying-alarm.js';
import { PlatformFunction } from './platform-function.js';
import { acknowledgeLoggingWildcards, stateMachineLogGroup } from './state-machine-logging.js';

export class RecommendationWorkflowError extends Error {
  override readonly name = 'RecommendationWorkflowError';
}

export interface RecommendationWorkflowProps {
  /** Deployment stage: the state machine is `mangaassist-<stage>-recommendations`. */
  readonly stage: string;
  /** The catalog the steps read (`PRODUCTS_TABLE`, `Scan` only). */
  readonly productsTable: ITable;
  /** Each segment's latest list (`RECOMMENDATIONS_TABLE`, `GetItem` and `PutItem` only). */
  readonly recommendationsTable: ITable;
  /** Where `Recommendation.Generated` and the gateway's `InferenceCompleted` go (`EVENT_BUS_NAME`). */
  readonly eventBus: IEventBus;
  /** Bedrock permission and gateway settings: the steps call the fast model and its fallbacks. */
  readonly bedrock: BedrockInvokeAccess;
  /** Where the alarms notify. */
  readonly alarmTopic: ITopic;
  /**
   * Segments asked of the model at once (the Map's `MaxConcurrency`).
   * @default 3
   */
  readonly segmentConcurrency?: number;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The steps function's timeout; throws `RecommendationWorkflowError` above the Task states'
   * timeout (120 s), which must never give up on an invocation still running.
   * @default Duration.seconds(100)
   */
  readonly stepsTimeout?: Duration;
  /**
   * X-Ray tracing of the function and the executions.
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
 * The recommendation regeneration: a Step Functions Standard state machine running the ASL of
 * `@mangaassist/recommendations` (Plan → a Map over the segments of RecommendSegment → Summarize),
 * every Task state of which invokes one steps function
 * (`functions/recommendations/src/steps-handler.ts`) with its `step`. The contracts'
 * `recommendation-schedule` rule starts it every 6 hours (see `EventRouting`). The definition is
 * the package's own JSON with the steps function's ARN substituted, so the deployed machine and
 * the one `pnpm dev` runs cannot drift; the machine's role is granted the invocation here.
 *
 * The steps function runs outside any VPC (no Redis: its gateway keeps its response cache in
 * memory, and the steps never use it) and may: `Scan` the products table, `GetItem` and `PutItem` in the
 * recommendations table, put events on the bus, and invoke the fast model and its fallbacks.
 *
 * The machine logs every event with its data (segment names, counts and errors: no customer data,
 * a dozen events a run) and is traced with X-Ray. Alarms: a failed execution (no segment got a
 * list) and a timed-out one.
 */
export class RecommendationWorkflow extends Construct {
  readonly stepsFunction: PlatformFunction;
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly executionsFailed: Alarm;
  readonly executionsTimedOut: Alarm;

  constructor(scope: Construct, id: string, props: RecommendationWorkflowProps) {
    super(scope, id);
    const stepsTimeout = props.stepsTimeout ?? Duration.seconds(100);
    if (stepsTimeout.toSeconds() > recommendationStepTimeoutSeconds) {
      throw new RecommendationWorkflowError(
        `the steps function's timeout (${stepsTimeout.toSeconds()} s) must not exceed the workflow's Task timeout (${recommendationStepTimeoutSeconds} s)`,
      );
    }
    const tracing = props.tracing ?? true;
    const machineName = `mangaassist-${props.stage}-recommendations`;

    this.stepsFunction = new PlatformFunction(this, 'StepsFunction', {
      entry: 'functions/recommendations/src/steps-handler.ts',
      description: `MangaAssist ${props.stage}: the recommendation workflow's steps (plan, recommend-segment, summarize)`,
      memorySize: props.memorySize ?? 512,
      timeout: stepsTimeout,
      tracing,
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      environment: {
        ...props.bedrock.handlerEnvironment,
        [gatewayEnvironment.stage]: props.stage,
        [gatewayEnvironment.productsTable]: props.productsTable.tableName,
        [gatewayEnvironment.recommendationsTable]: props.recommendationsTable.tableName,
        [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName,
      },
    });
    const steps = this.stepsFunction;
    props.productsTable.grant(steps, 'dynamodb:Scan');
    props.recommendationsTable.grant(steps, 'dynamodb:GetItem', 'dynamodb:PutItem');
    props.eventBus.grantPutEventsTo(steps);
    props.bedrock.grantInvoke(steps, { models: ['fast'] });

    this.logGroup = stateMachineLogGroup(this, machineName, {
      ...(props.logRetention !== undefined ? { retention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { removalPolicy: props.logRemovalPolicy } : {}),
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        JSON.stringify(recommendationWorkflowDefinition({ maxConcurrency: props.segmentConcurrency ?? 3 })),
      ),
      definitionSubstitutions: { [recommendationStepsFunctionArnSubstitution]: steps.function.functionArn },
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: tracing,
    });
    // The Task states call the unqualified function (no version or alias): only that ARN.
    steps.function.grantInvokeLatestVersion(this.stateMachine);
    acknowledgeLoggingWildcards(this.stateMachine);

    const action = new SnsAction(props.alarmTopic);
    const alarm = (alarmId: string, description: string, metric: IMetric) =>
      notifyingAlarm(this, alarmId, { stage: props.stage, description, metric, action });
    const period = Duration.minutes(5);
    this.executionsFailed = alarm(
      'ExecutionsFailed',
      'a recommendation regeneration failed: no segment got a list, or the catalog or the recommendations table stayed unreachable (the last lists are still served). The execution’s history names the error of each segment and state; see the steps function’s logs',
      this.stateMachine.metricFailed({ statistic: 'Sum', period }),
    );
    this.executionsTimedOut = alarm(
      'ExecutionsTimedOut',
      'a recommendation regeneration ran past its 30-minute limit',
      this.stateMachine.metricTimedOut({ statistic: 'Sum', period }),
    );
  }
}
