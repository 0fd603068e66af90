import { productsTable, recommendationsTable } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import {
  RecommendationWorkflow,
  RecommendationWorkflowError,
  type RecommendationWorkflowProps,
} from '../../../lib/constructs/recommendation-workflow.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import { recommendationStepsFunctionArnSubstitution } from '../../../lib/recommendation-workflow-definition.js';
import {
  asList,
  functionActions,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  policyStatements,
  resourcesOf,
  unitTestApp,
} from '../support.js';

function build(props: Partial<RecommendationWorkflowProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const workflow = new RecommendationWorkflow(stack, 'Workflow', {
    stage: 'dev',
    productsTable: new SpecTable(stack, 'Products', { spec: productsTable, stage: 'dev' }).table,
    recommendationsTable: new SpecTable(stack, 'Recommendations', {
      spec: recommendationsTable,
      stage: 'dev',
    }).table,
    eventBus: new EventBus(stack, 'Bus'),
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    alarmTopic: new Topic(stack, 'Alarms', { enforceSSL: true }),
    logRetention: RetentionDays.ONE_WEEK,
    ...props,
  });
  return { stack, workflow, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const stepsFunction = () => logicalId(template, 'AWS::Lambda::Function', 'WorkflowStepsFunction');
const table = (prefix: string) => logicalId(template, 'AWS::DynamoDB::Table', prefix);

interface AslDefinition {
  readonly TimeoutSeconds: number;
  readonly States: Record<string, { MaxConcurrency?: number } & Record<string, unknown>>;
}

function definitionOf(built: Template): { text: string; asl: AslDefinition } {
  const [machine] = resourcesOf<{ DefinitionString: string }>(built, 'AWS::StepFunctions::StateMachine');
  const text = machine?.properties.DefinitionString ?? '';
  return { text, asl: JSON.parse(text) as AslDefinition };
}

describe('RecommendationWorkflow', () => {
  it('is a Standard state machine named after the stage, traced with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'mangaassist-dev-recommendations',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
    });
    build({ tracing: false }).template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: false },
    });
  });

  it('logs every event with its data to its own log group with the configured retention', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
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
      LogGroupName: '/aws/vendedlogs/states/mangaassist-dev-recommendations',
      RetentionInDays: 7,
    });
  });

  it('runs the package’s ASL with the steps function substituted into every Task state', () => {
    const { text, asl } = definitionOf(template);
    expect(asl.TimeoutSeconds).toBe(1_800);
    // Plan, RecommendSegment (inside the Map) and Summarize.
    expect(text.split(`"Resource":"\${${recommendationStepsFunctionArnSubstitution}}"`)).toHaveLength(4);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: {
        [recommendationStepsFunctionArnSubstitution]: { 'Fn::GetAtt': [stepsFunction(), 'Arn'] },
      },
    });
  });

  it('asks the model about 3 segments at once unless configured otherwise', () => {
    expect(definitionOf(template).asl.States.RecommendSegments?.MaxConcurrency).toBe(3);
    expect(
      definitionOf(build({ segmentConcurrency: 5 }).template).asl.States.RecommendSegments?.MaxConcurrency,
    ).toBe(5);
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

  it('gives the steps function 100 s by default, and refuses longer than the Task states allow', () => {
    expect(functionProperties(template, 'WorkflowStepsFunction')).toMatchObject({
      Timeout: 100,
      MemorySize: 512,
    });
    expect(
      functionProperties(build({ stepsTimeout: Duration.seconds(120) }).template, 'WorkflowStepsFunction'),
    ).toMatchObject({ Timeout: 120 });
    expect(() => build({ stepsTimeout: Duration.seconds(121) })).toThrow(RecommendationWorkflowError);
    expect(() => build({ stepsTimeout: Duration.seconds(121) })).toThrow(/Task timeout \(120 s\)/);
  });

  it('tells the steps function its tables, bus and stage', () => {
    expect(functionEnvironment(template, 'WorkflowStepsFunction')).toMatchObject({
      MANGA_ENV: 'dev',
      PRODUCTS_TABLE: { Ref: table('Products') },
      RECOMMENDATIONS_TABLE: { Ref: table('Recommendations') },
      EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
    });
  });

  it('lets the steps function scan the products, get and put recommendations, publish and invoke models: nothing more', () => {
    const dynamo = functionStatements(template, 'WorkflowStepsFunction').filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('dynamodb:')),
    );
    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:Scan',
        Resource: { 'Fn::GetAtt': [table('Products'), 'Arn'] },
      }),
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [table('Recommendations'), 'Arn'] },
      }),
    ]);
    const actions = functionActions(template, 'WorkflowStepsFunction');
    expect(actions).toEqual(
      expect.arrayContaining([
        'events:PutEvents',
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
      ]),
    );
    expect(actions.filter((action) => /^(s3|sqs|sns|secretsmanager|states):/.test(action))).toEqual([]);
  });

  it('alarms on a failed and on a timed-out execution, to the alarm topic, and back to OK', () => {
    const topic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'Alarms') };
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
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
