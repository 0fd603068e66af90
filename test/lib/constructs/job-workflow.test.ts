import { jobsTable } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { DocumentBucket } from '../../../lib/constructs/document-bucket.js';
import {
  JobWorkflow,
  JobWorkflowError,
  type JobWorkflowProps,
} from '../../../lib/constructs/job-workflow.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import { jobStepsFunctionArnSubstitution } from '../../../lib/job-workflow-definition.js';
import {
  asList,
  functionActions,
  functionEnvironment,
  functionProperties,
  logicalId,
  policyStatements,
  unitTestApp,
} from '../support.js';

function build(props: Partial<JobWorkflowProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const workflow = new JobWorkflow(stack, 'Workflow', {
    stage: 'dev',
    jobsTable: new SpecTable(stack, 'Jobs', { spec: jobsTable, stage: 'dev' }).table,
    documentsBucket: Bucket.fromBucketName(stack, 'Documents', DocumentBucket.bucketNameFor('dev')),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    chunkConcurrency: 3,
    logRetention: RetentionDays.ONE_WEEK,
    ...props,
  });
  return { stack, workflow, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const stepsFunction = () => logicalId(template, 'AWS::Lambda::Function', 'WorkflowStepsFunction');

interface AslDefinition {
  readonly TimeoutSeconds: number;
  readonly States: Record<string, { Resource?: string; MaxConcurrency?: number } & Record<string, unknown>>;
}

function definitionOf(built: Template): { text: string; asl: AslDefinition } {
  const [machine] = Object.values(built.findResources('AWS::StepFunctions::StateMachine'));
  const text = (machine as { Properties: { DefinitionString: string } }).Properties.DefinitionString;
  return { text, asl: JSON.parse(text) as AslDefinition };
}

describe('JobWorkflow', () => {
  it('is a Standard state machine named after the stage, traced with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'mangaassist-dev-document-jobs',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
    });
  });

  it('logs errors only, without execution data, to its own log group with the configured retention', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: {
                'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'WorkflowLogs'), 'Arn'],
              },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/mangaassist-dev-document-jobs',
      RetentionInDays: 7,
    });
  });

  it('runs the package’s ASL with the steps function substituted into every Task state', () => {
    const { asl } = definitionOf(template);
    expect(asl.States.Prepare?.Resource).toBe(`\${${jobStepsFunctionArnSubstitution}}`);
    expect(asl.TimeoutSeconds).toBe(21_600);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: { JobStepsFunctionArn: { 'Fn::GetAtt': [stepsFunction(), 'Arn'] } },
    });
  });

  it('asks the model about the configured number of chunks at once', () => {
    expect(definitionOf(template).text).toContain('"MaxConcurrency":3');
    expect(
      definitionOf(build({ chunkConcurrency: undefined }).template).asl.States.ProcessChunks?.MaxConcurrency,
    ).toBe(4);
  });

  it('lets the state machine invoke the steps function, and nothing else of Lambda', () => {
    const invoke = policyStatements(template).filter(
      (statement) => statement.Action === 'lambda:InvokeFunction',
    );
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Resource).toEqual([
      { 'Fn::GetAtt': [stepsFunction(), 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [stepsFunction(), 'Arn'] }, ':$LATEST']] },
    ]);
  });

  it('gives the steps function 280 s by default, and refuses longer than the shortest Task state allows', () => {
    expect(functionProperties(template, 'WorkflowStepsFunction')).toMatchObject({
      Timeout: 280,
      MemorySize: 1024,
    });
    expect(() => build({ stepsTimeout: Duration.seconds(301) })).toThrow(JobWorkflowError);
    expect(() => build({ stepsTimeout: Duration.seconds(301) })).toThrow(/shortest Task timeout \(300 s\)/);
  });

  it('lets the steps function invoke models', () => {
    expect(functionActions(template, 'WorkflowStepsFunction')).toEqual(
      expect.arrayContaining(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']),
    );
  });

  it('publishes and queues nothing unless given a bus and a callback queue', () => {
    const actions = functionActions(template, 'WorkflowStepsFunction');
    expect(actions.filter((action) => /^(events|sqs):/.test(action))).toEqual([]);
    expect(functionEnvironment(template, 'WorkflowStepsFunction')).not.toHaveProperty('EVENT_BUS_NAME');
    expect(functionEnvironment(template, 'WorkflowStepsFunction')).not.toHaveProperty(
      'JOB_CALLBACKS_QUEUE_URL',
    );
  });

  it('lets the steps send settled jobs’ callbacks to the callback queue, SendMessage only, and publish their events', () => {
    const notifying = new Stack(unitTestApp(), 'Notifying');
    new JobWorkflow(notifying, 'Workflow', {
      stage: 'dev',
      jobsTable: new SpecTable(notifying, 'Jobs', { spec: jobsTable, stage: 'dev' }).table,
      documentsBucket: Bucket.fromBucketName(notifying, 'Documents', DocumentBucket.bucketNameFor('dev')),
      bedrock: new BedrockInvokeAccess(notifying, 'Bedrock', { regionTargets: defaultRegionTargets }),
      eventBus: new EventBus(notifying, 'Bus'),
      callbackQueue: new Queue(notifying, 'Callbacks'),
    });
    const built = Template.fromStack(notifying);
    const queue = logicalId(built, 'AWS::SQS::Queue', 'Callbacks');
    expect(functionEnvironment(built, 'WorkflowStepsFunction')).toMatchObject({
      EVENT_BUS_NAME: { Ref: logicalId(built, 'AWS::Events::EventBus', 'Bus') },
      JOB_CALLBACKS_QUEUE_URL: { Ref: queue },
    });
    const sqs = policyStatements(built).filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('sqs:')),
    );
    expect(sqs).toEqual([
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queue, 'Arn'] } }),
    ]);
    expect(functionActions(built, 'WorkflowStepsFunction')).toContain('events:PutEvents');
  });

  it('deletes its log group with the stack unless told to retain it', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: Match.stringLikeRegexp('vendedlogs') }),
      DeletionPolicy: 'Delete',
    });
    build({ logRemovalPolicy: RemovalPolicy.RETAIN }).template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: Match.stringLikeRegexp('vendedlogs') }),
      DeletionPolicy: 'Retain',
    });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});
