import { jobsTable } from '@mangaassist/contracts';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JobExecutionSafetyNet } from '../../../lib/constructs/job-execution-safety-net.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  new JobExecutionSafetyNet(stack, 'SafetyNet', {
    stage: 'dev',
    stateMachine: new StateMachine(stack, 'Machine', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')),
    }),
    jobsTable: new SpecTable(stack, 'Jobs', { spec: jobsTable, stage: 'dev' }).table,
    eventBus: new EventBus(stack, 'Bus'),
    callbackQueue: new Queue(stack, 'Callbacks'),
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const deadLetters = () => ({
  'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'SafetyNetDeadLetters'), 'Arn'],
});

describe('JobExecutionSafetyNet', () => {
  it('hears of the job state machine’s executions that failed, timed out or were aborted, on the default bus', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [{ Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'Machine') }],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
    });
  });

  it('invokes its function with retries, and dead-letters what EventBridge could not deliver', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'SafetyNetFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21_600 },
          DeadLetterConfig: { Arn: deadLetters() },
        }),
      ],
    });
  });

  it('dead-letters the events its function failed on after Lambda’s retries', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: deadLetters() } },
    });
  });

  it('may read and update jobs, announce them on the bus, queue callbacks and dead-letter events, nothing else', () => {
    const actions = functionActions(template, 'SafetyNetFunction').filter(
      (action) => !/^(logs|xray):/.test(action),
    );
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'events:PutEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const allowed = (action: string) =>
      functionStatements(template, 'SafetyNetFunction')
        .filter((statement) => asList(statement.Action).includes(action))
        .flatMap((statement) => asList(statement.Resource).map(flatten))
        .sort();
    const queueArn = (id: string) =>
      flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', id), 'Arn'] });
    expect(allowed('sqs:SendMessage')).toEqual(
      [queueArn('Callbacks'), queueArn('SafetyNetDeadLetters')].sort(),
    );
    // Reading queue attributes is the failure destination's grant, on the dead-letter queue only.
    expect(allowed('sqs:GetQueueAttributes')).toEqual([queueArn('SafetyNetDeadLetters')]);
    expect(allowed('events:PutEvents')).toEqual([
      flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] }),
    ]);
  });

  it('tells its function the bus and the callback queue', () => {
    expect(functionEnvironment(template, 'SafetyNetFunction')).toMatchObject({
      EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
      JOB_CALLBACKS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'Callbacks') },
    });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged in its own resources', () => {
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((violation) =>
        violation.violatingResources
          .filter((resource) => (resource.constructPath ?? '').startsWith('Test/SafetyNet/'))
          .map((resource) => `${violation.ruleName} ${resource.constructPath}`),
      );
    expect(findings).toEqual([]);
  });
});
