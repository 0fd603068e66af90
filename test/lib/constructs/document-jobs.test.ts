import { jobsTable } from '@mangaassist/contracts';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { DocumentBucket } from '../../../lib/constructs/document-bucket.js';
import { DocumentJobs } from '../../../lib/constructs/document-jobs.js';
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

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const restApi = new RestApi(stack, 'Api', { cloudWatchRole: false });
  const requestValidator = restApi.addRequestValidator('Validator', {
    validateRequestBody: true,
    validateRequestParameters: true,
  });
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  const jobs = new DocumentJobs(stack, 'Jobs', {
    stage: 'dev',
    restApi,
    requestValidator,
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    tenantsEnvironment: { TENANTS_JSON: '{"tenants":[],"apiKeys":{}}' },
    jobsTable: new SpecTable(stack, 'JobsTable', { spec: jobsTable, stage: 'dev' }).table,
    documentsBucket: new DocumentBucket(stack, 'Documents', { stage: 'dev' }).bucket,
    eventBus: new EventBus(stack, 'Bus'),
    callbackSecret: new Secret(stack, 'CallbackSecrets'),
    functionDefaults: {
      network: {
        vpc,
        subnets: { subnetGroupName: 'functions' },
        securityGroups: [new SecurityGroup(stack, 'Functions', { vpc })],
      },
      environment: { MANGA_ENV: 'dev', REDIS_URL: 'rediss://cache:6379', SESSIONS_TABLE: 'sessions' },
    },
    alarmTopic: new Topic(stack, 'Alarms'),
  });
  return { stack, jobs, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const routes = 'JobsRoutesFunction';
const starter = 'JobsStarterFunction';
const steps = 'JobsWorkflowStepsFunction';
const safetyNet = 'JobsSafetyNetFunction';
const deliverer = 'JobsCallbackDelivererFunction';

/** The resources (flattened) on which the function `prefix` is allowed `action`. */
function resourcesAllowed(prefix: string, action: string): string[] {
  return functionStatements(template, prefix)
    .filter((statement) => statement.Effect === 'Allow' && asList(statement.Action).includes(action))
    .flatMap((statement) => asList(statement.Resource).map(flatten));
}

const queueArn = (name: string) =>
  flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', name), 'Arn'] });
const bucketArn = () =>
  flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::S3::Bucket', 'DocumentsBucket'), 'Arn'] });
const tableArn = () =>
  flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'JobsTable'), 'Arn'] });
const busArn = () => flatten({ 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'Bus'), 'Arn'] });
const secretRef = () => `<${logicalId(template, 'AWS::SecretsManager::Secret', 'CallbackSecrets')}>`;

describe('DocumentJobs', () => {
  it('lets the jobs API send to both lanes (not the callback queue) and stop executions, but call no model', () => {
    expect(resourcesAllowed(routes, 'sqs:SendMessage').sort()).toEqual(
      [queueArn('JobsQueuesLowQueue'), queueArn('JobsQueuesNormalQueue')].sort(),
    );
    expect(resourcesAllowed(routes, 'sqs:SendMessage')).not.toContain(queueArn('JobsCallbacksQueue'));
    expect(resourcesAllowed(routes, 'states:StopExecution')).toEqual([
      expect.stringMatching(/^arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*:\*$/),
    ]);
    const actions = functionActions(template, routes);
    expect(actions.filter((action) => action.startsWith('bedrock:'))).toEqual([]);
    expect(actions).not.toContain('states:StartExecution');
  });

  it('lets the jobs API sign uploads, store inline documents and sign result downloads, nothing else of the bucket', () => {
    expect(resourcesAllowed(routes, 's3:PutObject').sort()).toEqual(
      [`${bucketArn()}/jobs/*/document.txt`, `${bucketArn()}/uploads/*`].sort(),
    );
    expect(resourcesAllowed(routes, 's3:GetObject').sort()).toEqual(
      [`${bucketArn()}/jobs/*/result.txt`, `${bucketArn()}/uploads/*`].sort(),
    );
    expect(resourcesAllowed(routes, 's3:ListBucket')).toEqual([bucketArn()]);
    expect(resourcesAllowed(routes, 'dynamodb:PutItem')).toEqual([tableArn()]);
    expect(functionActions(template, routes).filter((action) => action.startsWith('s3:'))).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('lets the starter read jobs, count a tenant’s running ones, start executions, mark them running and queue a job again', () => {
    const actions = functionActions(template, starter);
    expect(resourcesAllowed(starter, 'states:StartExecution')).toEqual([
      `<${logicalId(template, 'AWS::StepFunctions::StateMachine', 'JobsWorkflowStateMachine')}>`,
    ]);
    expect(resourcesAllowed(starter, 'dynamodb:GetItem')).toEqual([tableArn()]);
    expect(resourcesAllowed(starter, 'dynamodb:Query')).toEqual([`${tableArn()}/index/tenant-status`]);
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actions).not.toContain('states:StopExecution');
    expect(resourcesAllowed(starter, 'sqs:SendMessage')).toHaveLength(2);
  });

  it('lets the steps call the models and publish events, read uploads and read and write only jobs/', () => {
    const actions = functionActions(template, steps);
    expect(actions).toEqual(expect.arrayContaining(['bedrock:InvokeModel', 'events:PutEvents']));
    expect(resourcesAllowed(steps, 's3:GetObject').sort()).toEqual(
      [`${bucketArn()}/jobs/*`, `${bucketArn()}/uploads/*`].sort(),
    );
    expect(resourcesAllowed(steps, 's3:PutObject')).toEqual([`${bucketArn()}/jobs/*`]);
    expect(resourcesAllowed(steps, 's3:ListBucket')).toEqual([bucketArn()]);
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actions.filter((action) => action.startsWith('states:'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
  });

  it('lets the steps queue settled jobs’ callbacks and announce them on the AI bus', () => {
    expect(resourcesAllowed(steps, 'sqs:SendMessage')).toEqual([queueArn('JobsCallbacksQueue')]);
    expect(resourcesAllowed(steps, 'events:PutEvents')).toEqual([busArn()]);
    expect(functionEnvironment(template, steps)).toMatchObject({
      JOB_CALLBACKS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'JobsCallbacksQueue') },
      EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
    });
  });

  it('lets the safety net read and update jobs, announce and queue the callbacks of the jobs it fails, and dead-letter what it cannot handle, nothing else', () => {
    const actions = functionActions(template, safetyNet).filter(
      (action) => !action.startsWith('logs:') && !action.startsWith('xray:'),
    );
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'events:PutEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    expect(resourcesAllowed(safetyNet, 'sqs:SendMessage').sort()).toEqual(
      [queueArn('JobsCallbacksQueue'), queueArn('JobsSafetyNetDeadLetters')].sort(),
    );
    expect(resourcesAllowed(safetyNet, 'events:PutEvents')).toEqual([busArn()]);
    expect(functionEnvironment(template, safetyNet)).toMatchObject({
      JOB_CALLBACKS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'JobsCallbacksQueue') },
      EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
    });
  });

  it('delivers callbacks from the callback queue, reading jobs and the secret and signing result downloads only', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'JobsCallbacksQueue'), 'Arn'] },
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', deliverer) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(resourcesAllowed(deliverer, 'dynamodb:GetItem')).toEqual([tableArn()]);
    expect(resourcesAllowed(deliverer, 'secretsmanager:GetSecretValue')).toEqual([secretRef()]);
    expect([...new Set(resourcesAllowed(deliverer, 'sqs:ChangeMessageVisibility'))]).toEqual([
      queueArn('JobsCallbacksQueue'),
    ]);
    expect(resourcesAllowed(deliverer, 's3:GetObject')).toEqual([`${bucketArn()}/jobs/*/result.txt`]);
    const actions = functionActions(template, deliverer);
    expect(actions).not.toContain('s3:PutObject');
    expect(actions).not.toContain('s3:ListBucket');
    expect(actions).not.toContain('sqs:SendMessage');
    expect(actions.filter((action) => /^(bedrock|events|states):/.test(action))).toEqual([]);
    expect(functionEnvironment(template, deliverer)).toEqual({
      MANGA_ENV: 'dev',
      JOBS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'JobsTable') },
      DOCUMENTS_BUCKET: { Ref: logicalId(template, 'AWS::S3::Bucket', 'DocumentsBucket') },
      JOB_CALLBACKS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'JobsCallbacksQueue') },
      CALLBACK_SECRET_ID: { Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'CallbackSecrets') },
    });
  });

  it('hides a received batch of callbacks for six deliverer timeouts and dead-letters a callback after 13 attempts', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * (functionProperties(template, deliverer).Timeout ?? 0),
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'JobsCallbacksDeadLetters'), 'Arn'],
        },
        maxReceiveCount: 13,
      },
    });
  });

  it('forwards JobCompleted and JobFailed from the AI bus to the job notification topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
      EventPattern: { source: ['mangaassist.ai'], 'detail-type': ['JobCompleted', 'JobFailed'] },
      Targets: [
        Match.objectLike({ Arn: { Ref: logicalId(template, 'AWS::SNS::Topic', 'JobsNotificationsTopic') } }),
      ],
    });
  });

  it('lets only the steps, the safety net and the notification rule’s role reach the callback queue or the topic', () => {
    const senders = (resource: string) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([, policy]) =>
          (
            policy as {
              Properties: {
                PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
              };
            }
          ).Properties.PolicyDocument.Statement.some(
            (statement) =>
              asList(statement.Action).some(
                (action) => action === 'sqs:SendMessage' || action === 'sns:Publish',
              ) && asList(statement.Resource).map(flatten).includes(resource),
          ),
        )
        .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort();
    expect(senders(queueArn('JobsCallbacksQueue'))).toEqual([
      'JobsSafetyNetFunctionRoleDefaultPolicy',
      'JobsWorkflowStepsFunctionRoleDefaultPolicy',
    ]);
    expect(senders(`<${logicalId(template, 'AWS::SNS::Topic', 'JobsNotificationsTopic')}>`)).toEqual([
      'JobsNotificationsPublishRoleDefaultPolicy',
    ]);
  });

  it('runs only the steps function in the cache’s network, with the shared environment', () => {
    expect(functionProperties(template, steps).VpcConfig).toBeDefined();
    expect(functionEnvironment(template, steps)).toMatchObject({
      MANGA_ENV: 'dev',
      REDIS_URL: 'rediss://cache:6379',
      BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
      JOBS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'JobsTable') },
      DOCUMENTS_BUCKET: { Ref: logicalId(template, 'AWS::S3::Bucket', 'DocumentsBucket') },
      EVENT_BUS_NAME: { Ref: logicalId(template, 'AWS::Events::EventBus', 'Bus') },
    });
    for (const prefix of [routes, starter, safetyNet, deliverer]) {
      expect(functionProperties(template, prefix).VpcConfig).toBeUndefined();
      expect(functionEnvironment(template, prefix)).not.toHaveProperty('REDIS_URL');
      expect(functionEnvironment(template, prefix)).toMatchObject({ MANGA_ENV: 'dev' });
    }
  });

  it('tells the jobs API where jobs live and run, and who the tenants are', () => {
    expect(functionEnvironment(template, routes)).toEqual({
      MANGA_ENV: 'dev',
      TENANTS_JSON: '{"tenants":[],"apiKeys":{}}',
      JOBS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'JobsTable') },
      DOCUMENTS_BUCKET: { Ref: logicalId(template, 'AWS::S3::Bucket', 'DocumentsBucket') },
      JOBS_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'JobsQueuesNormalQueue') },
      JOBS_LOW_QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'JobsQueuesLowQueue') },
      JOB_STATE_MACHINE_ARN: {
        Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'JobsWorkflowStateMachine'),
      },
      CALLBACK_SECRET_ID: { Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'CallbackSecrets') },
    });
    expect(resourcesAllowed(routes, 'secretsmanager:GetSecretValue')).toEqual([secretRef()]);
  });

  it('alarms on both lanes, the callback queue, the dead letters and the executions', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    for (const queue of ['JobsCallbacksDeadLetters', 'JobsNotificationsDeadLetters']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', queue), 'QueueName'] },
          },
        ],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 32_400,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'JobsCallbacksQueue'), 'QueueName'],
          },
        },
      ],
    });
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged in its own resources', () => {
    // The stand-ins of the API, the VPC and the topic are not its to fix.
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((violation) =>
        violation.violatingResources
          .filter((resource) => /^Test\/(Jobs|Documents|JobsTable)\//.test(resource.constructPath ?? ''))
          .map((resource) => `${violation.ruleName} ${resource.constructPath}`),
      );
    expect(findings).toEqual([]);
  });
});
