import { jobsTable } from '@mangaassist/contracts';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DocumentBucket } from '../../../lib/constructs/document-bucket.js';
import {
  JobCallbackDeliverer,
  type JobCallbackDelivererProps,
} from '../../../lib/constructs/job-callback-deliverer.js';
import { JobCallbackQueue } from '../../../lib/constructs/job-callback-queue.js';
import { SpecTable } from '../../../lib/constructs/spec-table.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionProperties,
  functionStatements,
  logicalId,
  unitTestApp,
} from '../support.js';

function build(props: Partial<JobCallbackDelivererProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new JobCallbackDeliverer(stack, 'Deliverer', {
    stage: 'dev',
    queue: new JobCallbackQueue(stack, 'Callbacks', { consumerTimeout: Duration.seconds(30) }).queue,
    jobsTable: new SpecTable(stack, 'Jobs', { spec: jobsTable, stage: 'dev' }).table,
    documentsBucket: Bucket.fromBucketName(stack, 'Documents', DocumentBucket.bucketNameFor('dev')),
    callbackSecret: new Secret(stack, 'CallbackSecrets'),
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const deliverer = 'DelivererFunction';
const queueArn = () =>
  flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'CallbacksQueue'), 'Arn'] });

/** The resources (flattened) on which the deliverer is allowed `action`. */
function resourcesAllowed(action: string): string[] {
  return functionStatements(template, deliverer)
    .filter((statement) => statement.Effect === 'Allow' && asList(statement.Action).includes(action))
    .flatMap((statement) => asList(statement.Resource).map(flatten));
}

describe('JobCallbackDeliverer', () => {
  it('consumes the callback queue in batches of 10, reporting failed items, at most 5 instances by default', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: {
        'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'CallbacksQueue'), 'Arn'],
      },
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', deliverer) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    build({ maxConcurrency: 20 }).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it('runs the callback handler outside any VPC, 30 s and 256 MB by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('callbacks of settled document jobs'),
      Timeout: 30,
      MemorySize: 256,
    });
    expect(functionProperties(template, deliverer).VpcConfig).toBeUndefined();
    expect(functionProperties(build({ timeout: Duration.seconds(20) }).template, deliverer).Timeout).toBe(20);
  });

  it('tells the handler the stage, the table, the bucket, its queue and the secret, and nothing else', () => {
    expect(functionEnvironment(template, deliverer)).toEqual({
      MANGA_ENV: 'dev',
      JOBS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'JobsTable') },
      DOCUMENTS_BUCKET: {
        'Fn::Join': [
          '',
          ['mangaassist-dev-documents-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }],
        ],
      },
      JOB_CALLBACKS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'CallbacksQueue') },
      CALLBACK_SECRET_ID: { Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'CallbackSecrets') },
    });
  });

  it('may read jobs and the callback secret, consume and reschedule its queue, and sign result downloads', () => {
    expect(resourcesAllowed('dynamodb:GetItem')).toEqual([
      flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'JobsTable'), 'Arn'] }),
    ]);
    expect(resourcesAllowed('secretsmanager:GetSecretValue')).toEqual([
      `<${logicalId(template, 'AWS::SecretsManager::Secret', 'CallbackSecrets')}>`,
    ]);
    expect([...new Set(resourcesAllowed('sqs:ChangeMessageVisibility'))]).toEqual([queueArn()]);
    expect(resourcesAllowed('sqs:ReceiveMessage')).toEqual([queueArn()]);
    expect(resourcesAllowed('sqs:DeleteMessage')).toEqual([queueArn()]);
    expect(resourcesAllowed('s3:GetObject')).toEqual([
      'arn:<AWS::Partition>:s3:::mangaassist-dev-documents-<AWS::AccountId>-<AWS::Region>/jobs/*/result.txt',
    ]);
  });

  it('can neither write objects, list the bucket, write jobs, send messages, call a model nor publish events', () => {
    const actions = functionActions(template, deliverer);
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual(['s3:GetObject']);
    expect(actions).not.toContain('s3:PutObject');
    expect(actions).not.toContain('s3:ListBucket');
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
    expect(actions).not.toContain('sqs:SendMessage');
    expect(actions.filter((action) => action.startsWith('bedrock:'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('events:'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('states:'))).toEqual([]);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged in its own resources', () => {
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((violation) =>
        violation.violatingResources
          .filter((resource) => (resource.constructPath ?? '').startsWith('Test/Deliverer/'))
          .map((resource) => `${violation.ruleName} ${resource.constructPath}`),
      );
    expect(findings).toEqual([]);
  });
});
