import { productsTable } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import {
  batchCompletionEventPattern,
  batchSweepSchedule,
  reenrichmentStepsFunctionArnSubstitution,
} from '@mangaassist/reenrichment';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { DocumentBucket } from '../../../lib/constructs/document-bucket.js';
import {
  ReenrichmentWorkflow,
  ReenrichmentWorkflowError,
  type ReenrichmentWorkflowProps,
} from '../../../lib/constructs/reenrichment-workflow.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  resourcesOf,
  roleStatements,
  unitTestApp,
} from '../support.js';

function build(props: Partial<ReenrichmentWorkflowProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test', {
    env: { account: '123456789012', region: 'ap-northeast-1' },
  });
  new ReenrichmentWorkflow(stack, 'Workflow', {
    stage: 'dev',
    productsTable: new SpecTable(stack, 'Products', { spec: productsTable, stage: 'dev' }).table,
    documentsBucket: Bucket.fromBucketName(stack, 'Documents', DocumentBucket.bucketNameFor('dev')),
    eventBus: new EventBus(stack, 'Bus'),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    alarmTopic: new Topic(stack, 'Alarms', { enforceSSL: true }),
    logRetention: RetentionDays.ONE_WEEK,
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const fn = (prefix: string) => logicalId(template, 'AWS::Lambda::Function', prefix);

describe('ReenrichmentWorkflow', () => {
  it('is a Standard state machine named after the stage, traced, logging errors to its own group', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'mangaassist-dev-catalog-reenrichment',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      DefinitionSubstitutions: {
        [reenrichmentStepsFunctionArnSubstitution]: { 'Fn::GetAtt': [fn('WorkflowStepsFunction'), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/mangaassist-dev-catalog-reenrichment',
      RetentionInDays: 7,
    });
    const [machine] = resourcesOf<{ DefinitionString: string }>(template, 'AWS::StepFunctions::StateMachine');
    expect(machine?.properties.DefinitionString).toContain('"Mode":"DISTRIBUTED"');
    expect(machine?.properties.DefinitionString).toContain('lambda:invoke.waitForTaskToken');
  });

  it('tells both functions the stage, the products table, the bucket and the batch role', () => {
    for (const prefix of ['WorkflowStepsFunction', 'WorkflowCompletionFunction']) {
      expect(functionEnvironment(template, prefix), prefix).toMatchObject({
        MANGA_ENV: 'dev',
        PRODUCTS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Products') },
        REENRICHMENT_BATCH_ROLE_ARN: {
          'Fn::GetAtt': [logicalId(template, 'AWS::IAM::Role', 'WorkflowBatchRole'), 'Arn'],
        },
      });
    }
    expect(
      functionEnvironment(build({ batchThreshold: 5_000 }).template, 'WorkflowStepsFunction'),
    ).toMatchObject({
      REENRICHMENT_BATCH_THRESHOLD: '5000',
    });
  });

  it('lets the steps read the catalog and write its AI content, use reenrichment/ of the bucket, and run batch jobs', () => {
    const dynamo = functionStatements(template, 'WorkflowStepsFunction').filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('dynamodb:')),
    );
    expect(dynamo).toHaveLength(1);
    expect(asList(dynamo[0]?.Action ?? []).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
    expect(flatten(dynamo[0]?.Resource)).toContain(logicalId(template, 'AWS::DynamoDB::Table', 'Products'));
    const s3 = functionStatements(template, 'WorkflowStepsFunction').filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('s3:') && action !== 's3:ListBucket'),
    );
    expect(flatten(s3)).toContain('/reenrichment/*');
    expect(flatten(s3)).not.toMatch(/\/jobs\/|\/uploads\//);
    const actions = functionActions(template, 'WorkflowStepsFunction');
    expect(actions).toEqual(
      expect.arrayContaining([
        'bedrock:InvokeModel',
        'bedrock:CreateModelInvocationJob',
        'bedrock:GetModelInvocationJob',
        'bedrock:StopModelInvocationJob',
        'iam:PassRole',
        'events:PutEvents',
      ]),
    );
    expect(actions.filter((action) => /^(sqs|sns|secretsmanager|states):/.test(action))).toEqual([]);
    // A job may name the fast model (its profiles and models) and nothing else.
    const creating = functionStatements(template, 'WorkflowStepsFunction').filter((statement) =>
      asList(statement.Action).includes('bedrock:CreateModelInvocationJob'),
    );
    const named = flatten(creating.map((statement) => statement.Resource));
    expect(named).toContain('inference-profile/jp.anthropic.claude-haiku-4-5');
    expect(named).toContain('model-invocation-job/*');
    expect(named).not.toMatch(/inference-profile\/\*|foundation-model\/\*/);
  });

  it('lets Bedrock, for this account only, read the batch inputs and write the batch outputs with its role', () => {
    const [trust] = resourcesOf<{ AssumeRolePolicyDocument: { Statement: unknown[] } }>(
      template,
      'AWS::IAM::Role',
    )
      .filter((role) => role.logicalId.startsWith('WorkflowBatchRole'))
      .map((role) => role.properties.AssumeRolePolicyDocument.Statement);
    expect(trust).toEqual([
      expect.objectContaining({
        Principal: { Service: 'bedrock.amazonaws.com' },
        Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': '123456789012' } }),
      }),
    ]);
    const statements = roleStatements(template, 'WorkflowBatchRole');
    expect(flatten(statements.filter((statement) => statement.Action === 's3:GetObject'))).toContain(
      '/reenrichment/*/batch/input.jsonl',
    );
    expect(flatten(statements.filter((statement) => statement.Action === 's3:PutObject'))).toContain(
      '/reenrichment/*/batch/output/*',
    );
    // And the fast model through its profiles: a job on an inference profile runs under this role.
    expect([...new Set(statements.flatMap((statement) => asList(statement.Action)))].sort()).toEqual([
      'bedrock:InvokeModel',
      'bedrock:InvokeModelWithResponseStream',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('completes the waiting task from the job’s state change on the default bus, with retries and a DLQ', () => {
    // A completion that throws lands in the same DLQ, after Lambda's own retries.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn('WorkflowCompletionFunction') },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'WorkflowCompletionDeadLetters'), 'Arn'],
          },
        },
      },
    });
    const rule = resourcesOf<{
      Name: string;
      EventBusName?: unknown;
      EventPattern: unknown;
      Targets: unknown[];
    }>(template, 'AWS::Events::Rule').find((candidate) => candidate.properties.EventPattern !== undefined);
    expect(rule?.properties).toMatchObject({
      Name: 'mangaassist-dev-reenrichment-batch-completion',
      EventPattern: batchCompletionEventPattern('dev'),
    });
    // Bedrock reports on the account's default bus.
    expect(rule?.properties.EventBusName).toBeUndefined();
    expect(rule?.properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [fn('WorkflowCompletionFunction'), 'Arn'] },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
        DeadLetterConfig: {
          Arn: {
            'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'WorkflowCompletionDeadLetters'), 'Arn'],
          },
        },
      }),
    ]);
    expect(functionActions(template, 'WorkflowCompletionFunction').sort()).toEqual(
      expect.arrayContaining([
        'bedrock:GetModelInvocationJob',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
      ]),
    );
    expect(
      functionActions(template, 'WorkflowCompletionFunction').filter((action) =>
        action.startsWith('dynamodb:'),
      ),
    ).toEqual([]);
  });

  it('sweeps hourly for ended jobs whose state change was lost, listing jobs and marking their records', () => {
    const completionDlq = logicalId(template, 'AWS::SQS::Queue', 'WorkflowCompletionDeadLetters');
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'mangaassist-dev-reenrichment-batch-sweep',
      ScheduleExpression: batchSweepSchedule,
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [fn('WorkflowCompletionFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [completionDlq, 'Arn'] } },
        }),
      ],
    });
    const statements = functionStatements(template, 'WorkflowCompletionFunction');
    const listing = statements.filter((statement) =>
      asList(statement.Action).includes('bedrock:ListModelInvocationJobs'),
    );
    expect(listing.map((statement) => statement.Resource)).toEqual(['*']);
    const objectWrites = statements.filter((statement) => asList(statement.Action).includes('s3:PutObject'));
    expect(objectWrites.flatMap((statement) => asList(statement.Resource).map(flatten))).toEqual([
      expect.stringMatching(/\/reenrichment\/batch-jobs\/\*$/),
    ]);
  });

  it('lets the machine invoke the steps, read the manifests and run its own Distributed Map children only', () => {
    const statements = roleStatements(template, 'WorkflowStateMachineRole');
    const start = statements.filter((statement) =>
      asList(statement.Action).includes('states:StartExecution'),
    );
    expect(start).toHaveLength(1);
    expect(flatten(start[0]?.Resource)).toContain(':stateMachine:mangaassist-dev-catalog-reenrichment');
    expect(flatten(start[0]?.Resource)).not.toContain('*');
    expect(flatten(statements)).toContain(flatten({ 'Fn::GetAtt': [fn('WorkflowStepsFunction'), 'Arn'] }));
    expect(flatten(statements)).toContain(':execution:mangaassist-dev-catalog-reenrichment/*');
    expect(flatten(statements.filter((statement) => statement.Action === 's3:GetObject'))).toContain(
      '/reenrichment/*/manifest.json',
    );
  });

  it('alarms on failed and timed-out executions and on state changes left in the completion’s DLQ', () => {
    const alarms = resourcesOf<{ MetricName: string }>(template, 'AWS::CloudWatch::Alarm').map(
      (alarm) => alarm.properties.MetricName,
    );
    expect(alarms.sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
  });

  it('gives the steps 280 s by default, and refuses longer than the Task states allow', () => {
    expect(functionProperties(template, 'WorkflowStepsFunction')).toMatchObject({ Timeout: 280 });
    expect(() => build({ stepsTimeout: Duration.seconds(301) })).toThrow(ReenrichmentWorkflowError);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});
