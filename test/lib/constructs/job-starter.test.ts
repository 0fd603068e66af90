import { jobsTable } from '@mangaassist/contracts';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JobStarter, type JobStarterProps } from '../../../lib/constructs/job-starter.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  functionActions,
  functionEnvironment,
  functionProperties,
  logicalId,
  unitTestApp,
} from '../support.js';

function build(props: Partial<JobStarterProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new JobStarter(stack, 'Starter', {
    stage: 'dev',
    queues: { normal: new Queue(stack, 'Normal'), low: new Queue(stack, 'Low') },
    jobsTable: new SpecTable(stack, 'Jobs', { spec: jobsTable, stage: 'dev' }).table,
    stateMachine: new StateMachine(stack, 'Machine', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')),
    }),
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const queue = (name: string) => ({ 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', name), 'Arn'] });

describe('JobStarter', () => {
  it('consumes both lanes in batches of 10, reporting each failed record', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'StarterFunction') },
    });
  });

  it('starts low-priority jobs with fewer instances than normal ones', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queue('Normal'),
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queue('Low'),
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    build({ laneConcurrency: { normal: 20, low: 3 } }).template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      { ScalingConfig: { MaximumConcurrency: 3 } },
    );
  });

  it('reads jobs, marks started ones running and starts executions of the one state machine, and may do nothing else', () => {
    const actions = functionActions(template, 'StarterFunction').filter(
      (action) => !/^(logs|xray):/.test(action),
    );
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
      'states:StartExecution',
    ]);
  });

  it('may query only the tenant-status index, to count a tenant’s running jobs', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const query = statements.filter((statement) => statement.Action === 'dynamodb:Query');
    expect(query).toHaveLength(1);
    expect(JSON.stringify(query[0]?.Resource)).toContain('/index/tenant-status');
  });

  it('runs outside any VPC for 30 s, told the stage, the table and the state machine', () => {
    expect(functionProperties(template, 'StarterFunction')).toMatchObject({ Timeout: 30 });
    expect(functionProperties(template, 'StarterFunction').VpcConfig).toBeUndefined();
    expect(functionEnvironment(template, 'StarterFunction')).toEqual({
      MANGA_ENV: 'dev',
      JOBS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Jobs') },
      JOB_STATE_MACHINE_ARN: { Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'Machine') },
      JOBS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'Normal') },
      JOBS_LOW_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'Low') },
      JOBS_PER_TENANT: '5',
    });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged in its own resources', () => {
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((violation) =>
        violation.violatingResources
          .filter((resource) => (resource.constructPath ?? '').startsWith('Test/Starter/'))
          .map((resource) => `${violation.ruleName} ${resource.constructPath}`),
      );
    expect(findings).toEqual([]);
  });
});
