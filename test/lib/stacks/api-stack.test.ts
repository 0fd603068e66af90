import { defaultModelCatalog } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { type EnvironmentConfig, environmentConfig } from '../../../lib/config.js';
import { ApiStack } from '../../../lib/stacks/api-stack.js';
import {
  asList,
  flatten,
  functionActions,
  functionEnvironment,
  functionStatements,
  logicalId,
  policyStatements,
  resourcesOf,
  roleStatements,
  unitTestApp,
} from '../support.js';

function build(environment: string, compute?: Partial<EnvironmentConfig['chat']['compute']>) {
  const app = unitTestApp();
  const config = environmentConfig(environment);
  const shared = new Stack(app, 'Shared');
  const table = (id: string) =>
    new Table(shared, id, { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const vpc = new Vpc(shared, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  const stack = new ApiStack(app, 'Api', {
    config: compute
      ? { ...config, chat: { ...config.chat, compute: { ...config.chat.compute, ...compute } } }
      : config,
    eventBus: new EventBus(shared, 'Bus'),
    sessionsTable: table('Sessions'),
    connectionsTable: table('Connections'),
    ticketsTable: table('Tickets'),
    webhookIdempotencyTable: table('WebhookIdempotency'),
    webhookSecret: new Secret(shared, 'WebhookSecrets'),
    catalogEnrichmentQueue: new Queue(shared, 'CatalogEnrichment', { fifo: true }),
    callbackSecret: new Secret(shared, 'CallbackSecrets'),
    jobsTable: table('Jobs'),
    recommendationsTable: table('Recommendations'),
    documentsBucketName: 'mangaassist-dev-documents-123456789012-ap-northeast-1',
    functionNetwork: {
      vpc,
      subnets: { subnetGroupName: 'functions' },
      securityGroups: [new SecurityGroup(shared, 'Functions', { vpc })],
    },
    redisUrl: 'rediss://cache.example:6379',
    alarmTopic: new Topic(shared, 'AlarmTopic'),
    endUserPool: {
      issuer: 'https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_pool',
      clientId: 'app-client',
    },
  });
  return { stack, template: Template.fromStack(stack) };
}

const dev = build('dev');
const prod = build('prod');

const bedrockStatements = (template: Template) =>
  policyStatements(template).filter((statement) =>
    asList(statement.Action).some((action) => action.startsWith('bedrock:')),
  );

type FunctionResource = { Properties: Record<string, unknown> & { Description?: string } };
/** The platform's functions: not CDK's deploy-time provider of AwsCustomResource (invocation logging). */
const functionsOf = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => !id.startsWith('AWS679f53fa'))
    .map(([, fn]) => (fn as FunctionResource).Properties);
const isWebhook = (fn: { Description?: string }) => fn.Description?.includes('webhooks from') ?? false;
/** Receivers that call no model: they reach only AWS APIs, from outside any VPC. */
const isPlainWebhook = (fn: { Description?: string }) =>
  isWebhook(fn) && !fn.Description?.includes('reviews');
/** The WebSocket message route: it only queues frames (SQS) and pushes errors, from outside any VPC. */
const isMessageRoute = (fn: { Description?: string }) =>
  fn.Description?.includes('queued for the stream function') ?? false;
/** `GET /v1/recommendations`: reads the recommendations table, nothing else. */
const isRecommendationsRoute = (fn: { Description?: string }) =>
  fn.Description?.endsWith('GET /v1/recommendations') ?? false;
/**
 * The document jobs' API, starter, safety net and callback deliverer: AWS APIs and (the
 * deliverer) tenants' public endpoints only.
 */
const isPlainJobFunction = (fn: { Description?: string }) =>
  ['/v1/jobs', 'each queued job', 'ended without settling', 'callbacks of settled'].some(
    (what) => fn.Description?.includes(what) ?? false,
  );
/** The REST API's Lambda authorizer: the issuer's JWKS and API Gateway's key values. */
const isAuthorizer = (fn: { Description?: string }) => fn.Description?.includes('Lambda authorizer') ?? false;
/** Functions that never build the gateway nor touch Redis. */
const isOutsideVpc = (fn: { Description?: string }) =>
  isPlainWebhook(fn) ||
  isMessageRoute(fn) ||
  isPlainJobFunction(fn) ||
  isRecommendationsRoute(fn) ||
  isAuthorizer(fn);

/** The AWS services (action prefixes) a function may call, beyond its own logs and traces. */
function servicesOf(template: Template, prefix: string): string[] {
  const services = functionActions(template, prefix).map((action) => action.split(':')[0] ?? '');
  return (
    [...new Set(services)]
      // Logs, traces, network interfaces and the cache's IAM login: what every function in the VPC has.
      .filter((service) => !['logs', 'xray', 'ec2', 'elasticache'].includes(service))
      .sort()
  );
}

describe('ApiStack', () => {
  it('puts the Lambda authorizer before every REST method and lets it name the key each request is metered by', () => {
    for (const { template } of [dev, prod]) {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
      const authorizerId = logicalId(template, 'AWS::ApiGateway::Authorizer', 'CallersAuthorizer');
      const methods = resourcesOf<{
        AuthorizationType: string;
        AuthorizerId: unknown;
        ApiKeyRequired: boolean;
      }>(template, 'AWS::ApiGateway::Method').filter(
        (method) => (method.properties as { HttpMethod?: string }).HttpMethod !== 'OPTIONS',
      );
      expect(methods.length).toBeGreaterThan(10);
      for (const { properties } of methods) {
        expect(properties).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
          ApiKeyRequired: true,
        });
      }
    }
  });

  it("turns Bedrock invocation logging on in prod, without customers' text, and leaves dev's account alone", () => {
    prod.template.resourceCountIs('Custom::AWS', 1);
    prod.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/bedrock/mangaassist-prod',
    });
    dev.template.resourceCountIs('Custom::AWS', 0);
  });

  it('publishes what the dashboard watches here as SSM parameters, not exports', () => {
    const names = resourcesOf<{ Name: string; Type: string }>(dev.template, 'AWS::SSM::Parameter')
      .map(({ properties }) => properties.Name)
      .sort();
    expect(names).toEqual(
      [
        'jobs/callbacks/queue',
        'jobs/low/queue',
        'jobs/normal/queue',
        'webhooks/catalog/function',
        'webhooks/reviews/function',
        'webhooks/stripe/function',
        'websocket/api-id',
      ].map((key) => `/mangaassist/dev/${key}`),
    );
  });

  it("trusts the stage's Cognito pool: its issuer, its app client as the audience", () => {
    expect(functionEnvironment(prod.template, 'CallersFunction')).toMatchObject({
      AUTH_ISSUER: 'https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_pool',
      AUTH_AUDIENCE: 'app-client',
      AUTH_TENANT_CLAIM: 'custom:tenant',
    });
  });

  it('serves chat, the SSE stream, tickets, the three static tasks, uploads, jobs and recommendations, each behind an API key', () => {
    const methods = Object.values(dev.template.findResources('AWS::ApiGateway::Method')).map(
      (method) => (method as { Properties: { ApiKeyRequired: boolean; HttpMethod: string } }).Properties,
    );
    expect(methods).toHaveLength(11);
    for (const method of methods) expect(method.ApiKeyRequired).toBe(true);
    expect(methods.map((method) => method.HttpMethod).sort()).toEqual([
      'DELETE',
      'GET',
      'GET',
      ...Array.from({ length: 8 }, () => 'POST'),
    ]);
    dev.template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: Match.objectLike({ ResponseTransferMode: 'STREAM' }),
    });
  });

  it('runs nineteen Node.js 22 arm64 functions (seventeen in dev: its SSE route and WebSocket answers are on Fargate), in the cache’s network all but two webhook receivers, the message route, four job functions, the recommendations route and the authorizer', () => {
    expect(functionsOf(prod.template)).toHaveLength(19);
    const functions = functionsOf(dev.template);
    expect(functions).toHaveLength(17);
    expect(functions.filter(isAuthorizer)).toHaveLength(1);
    expect(functions.filter(isWebhook)).toHaveLength(3);
    expect(functions.filter(isMessageRoute)).toHaveLength(1);
    expect(functions.filter(isRecommendationsRoute)).toHaveLength(1);
    expect(functions.filter(isPlainJobFunction)).toHaveLength(4);
    for (const fn of functions) {
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      if (isOutsideVpc(fn)) expect(fn.VpcConfig).toBeUndefined();
      else expect(fn.VpcConfig).toBeDefined();
    }
  });

  it('gives every function that builds the gateway the cache, the tenants, the sessions table name and the stage', () => {
    for (const fn of functionsOf(dev.template).filter((fn) => !isOutsideVpc(fn))) {
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        MANGA_ENV: 'dev',
        REDIS_URL: 'rediss://cache.example:6379',
        TENANTS_JSON: expect.anything(),
        SESSIONS_TABLE: expect.anything(),
      });
      expect(flatten(variables.TENANTS_JSON)).toContain('"apiKeys":{');
    }
  });

  it('lets every function in the VPC, and the orchestrator, log in to the cache as its app user, and nothing else', () => {
    const connects = (prefix: string) =>
      functionStatements(dev.template, prefix)
        .filter((statement) => asList(statement.Action).includes('elasticache:Connect'))
        .flatMap((statement) => asList(statement.Resource).map(flatten));
    const expected = [
      'arn:<AWS::Partition>:elasticache:<AWS::Region>:<AWS::AccountId>:serverlesscache:mangaassist-dev',
      'arn:<AWS::Partition>:elasticache:<AWS::Region>:<AWS::AccountId>:user:mangaassist-dev-app',
    ];
    expect(connects('ChatApiChatFunction')).toEqual(expected);
    expect(connects('ChatApiTicketFunction')).toEqual(expected);
    expect(connects('WebhooksStripeFunction')).toEqual([]);
    expect(connects('WebSocketMessageFunction')).toEqual([]);
    const taskRole = roleStatements(dev.template, 'OrchestratorTaskDefinitionTaskRole').filter((statement) =>
      asList(statement.Action).includes('elasticache:Connect'),
    );
    expect(taskRole.flatMap((statement) => asList(statement.Resource).map(flatten))).toEqual(expected);
  });

  it('grants each function only the services it calls', () => {
    const { template } = dev;
    expect(servicesOf(template, 'ChatApiChatFunction')).toEqual(['bedrock', 'dynamodb', 'events']);
    expect(servicesOf(prod.template, 'ChatApiStreamFunction')).toEqual(['bedrock', 'dynamodb', 'events']);
    expect(servicesOf(template, 'ChatApiTicketFunction')).toEqual(['dynamodb']);
    for (const task of ['Moderate', 'Summarize', 'Analyze']) {
      expect(servicesOf(template, `Tasks${task}Function`)).toEqual(['bedrock', 'events']);
    }
    expect(servicesOf(template, 'WebSocketConnectionFunction')).toEqual(['dynamodb']);
    expect(servicesOf(template, 'WebhooksStripeFunction')).toEqual(['dynamodb', 'events', 'secretsmanager']);
    expect(servicesOf(template, 'WebhooksCatalogFunction')).toEqual([
      'dynamodb',
      'events',
      'secretsmanager',
      'sqs',
    ]);
    expect(servicesOf(template, 'WebhooksReviewsFunction')).toEqual([
      'bedrock',
      'dynamodb',
      'events',
      'secretsmanager',
    ]);
    expect(servicesOf(template, 'WebSocketMessageFunction')).toEqual(['execute-api', 'sqs']);
    expect(servicesOf(template, 'RecommendationsFunction')).toEqual(['dynamodb']);
    expect(servicesOf(template, 'DocumentJobsRoutesFunction')).toEqual([
      'dynamodb',
      's3',
      'secretsmanager',
      'sqs',
      'states',
    ]);
    expect(servicesOf(template, 'DocumentJobsStarterFunction')).toEqual(['dynamodb', 'sqs', 'states']);
    expect(servicesOf(template, 'DocumentJobsSafetyNetFunction')).toEqual(['dynamodb', 'events', 'sqs']);
    expect(servicesOf(template, 'DocumentJobsWorkflowStepsFunction')).toEqual([
      'bedrock',
      'dynamodb',
      'events',
      's3',
      'sqs',
    ]);
    expect(servicesOf(template, 'DocumentJobsCallbackDelivererFunction')).toEqual([
      'dynamodb',
      's3',
      'secretsmanager',
      'sqs',
    ]);
    expect(servicesOf(prod.template, 'WebSocketStreamFunction')).toEqual([
      'bedrock',
      'dynamodb',
      'events',
      'execute-api',
      'sqs',
    ]);
  });

  it('lets the functions invoke only the catalog models, only through profile or model ARNs', () => {
    const statements = bedrockStatements(dev.template);
    expect(statements.length).toBeGreaterThan(0);
    const catalogIds = Object.values(defaultModelCatalog.models).map((spec) => spec.modelId);
    for (const statement of statements) {
      expect(asList(statement.Action).sort()).toEqual([
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
      ]);
      for (const resource of asList(statement.Resource).map(flatten)) {
        expect(resource).not.toBe('*');
        expect(resource).toMatch(
          /^arn:<AWS::Partition>:bedrock:[a-z0-9*-]+:(<AWS::AccountId>)?:(inference-profile|foundation-model)\//,
        );
        expect(catalogIds.some((id) => resource.endsWith(id))).toBe(true);
      }
    }
  });

  it('keeps prod Bedrock permissions inside Japan and Asia-Pacific', () => {
    const resources = bedrockStatements(prod.template)
      .flatMap((statement) => asList(statement.Resource).map(flatten))
      .join('\n');
    expect(resources).not.toMatch(/:bedrock:us-|inference-profile\/(us|eu|global)\./);
  });

  it('creates an API key and usage plan for every configured tenant, open on the REST stage', () => {
    const { tenants } = environmentConfig('dev');
    dev.template.resourceCountIs('AWS::ApiGateway::ApiKey', tenants.length);
    dev.template.resourceCountIs('AWS::ApiGateway::UsagePlan', tenants.length);
    const stage = logicalId(dev.template, 'AWS::ApiGateway::Stage', 'ChatApi');
    dev.template.allResourcesProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ Stage: { Ref: stage } })],
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: { Limit: 100_000, Period: 'MONTH' },
    });
  });

  it('puts the REST stage behind the WAF web ACL', () => {
    const association = Object.values(dev.template.findResources('AWS::WAFv2::WebACLAssociation'))[0] as {
      Properties: { ResourceArn: unknown };
    };
    expect(flatten(association.Properties.ResourceArn)).toContain(
      `/stages/<${logicalId(dev.template, 'AWS::ApiGateway::Stage', 'ChatApi')}>`,
    );
  });

  it('watches the REST 5xx rate, the chat p99 latency, the WebSocket errors and queues, each webhook URL, the document jobs, every function, the tables and the shared limits', () => {
    const functionCount = functionsOf(dev.template).length;
    // API, webhooks, jobs; errors and throttles per function; six tables; cache, Bedrock,
    // concurrency, model spend.
    dev.template.resourceCountIs('AWS::CloudWatch::Alarm', 5 + 2 * 3 + 10 + 2 * functionCount + 6 + 6);
    const alarmed = resourcesOf<{ MetricName?: string; Dimensions?: { Name: string; Value: unknown }[] }>(
      dev.template,
      'AWS::CloudWatch::Alarm',
    ).filter(({ properties }) => properties.MetricName === 'Errors' || properties.MetricName === 'Throttles');
    const functionIds = Object.keys(dev.template.findResources('AWS::Lambda::Function'))
      .map((id) => `<${id}>`)
      .sort();
    for (const metric of ['Errors', 'Throttles']) {
      const watched = alarmed
        .filter(({ properties }) => properties.MetricName === metric)
        .map(({ properties }) => flatten(properties.Dimensions?.[0]?.Value))
        .sort();
      expect(watched).toEqual(functionIds);
    }
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalId(dev.template, 'AWS::SQS::Queue', 'WebSocketMessageQueue'), 'QueueName'],
          },
        },
      ],
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [
              logicalId(dev.template, 'AWS::SQS::Queue', 'WebSocketMessageDeadLetters'),
              'QueueName',
            ],
          },
        },
      ],
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', Threshold: 3000 });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Url4xxCount',
      Threshold: 25,
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Url5xxCount', Threshold: 5 });
  });

  it('delivers job callbacks at the configured concurrency, signed with the secret it is given, and announces settled jobs on the job notification topic', () => {
    const { jobs, alarms } = environmentConfig('prod');
    prod.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: {
        Ref: logicalId(prod.template, 'AWS::Lambda::Function', 'DocumentJobsCallbackDelivererFunction'),
      },
      ScalingConfig: { MaximumConcurrency: jobs.callbackConcurrency },
    });
    prod.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: alarms.jobCallbackAgeSeconds,
    });
    for (const prefix of ['DocumentJobsCallbackDelivererFunction', 'DocumentJobsRoutesFunction']) {
      const secret = functionStatements(prod.template, prefix)
        .filter((statement) => asList(statement.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((statement) => asList(statement.Resource).map(flatten));
      expect(secret).toEqual([expect.stringMatching(/CallbackSecrets/)]);
    }
    prod.template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'mangaassist-prod-job-notifications',
    });
    // The topic's key follows the stage's removal policy.
    prod.template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('sends the document jobs’ alarms to the alarm topic', () => {
    const topic = { 'Fn::ImportValue': expect.stringMatching(/AlarmTopic/) };
    const alarms = Object.entries(dev.template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith('DocumentJobsAlarms'),
    );
    expect(alarms).toHaveLength(10);
    for (const [, alarm] of alarms)
      expect(alarm).toMatchObject({ Properties: { AlarmActions: [topic], OKActions: [topic] } });
  });

  it('serves the job routes from the jobs API function on the chat REST API, validating POST /v1/jobs bodies', () => {
    const jobsFunction = logicalId(dev.template, 'AWS::Lambda::Function', 'DocumentJobsRoutesFunction');
    const restApi = logicalId(dev.template, 'AWS::ApiGateway::RestApi', 'ChatApi');
    const model = logicalId(dev.template, 'AWS::ApiGateway::Model', 'ChatApiCreateJobRequest');
    for (const httpMethod of ['GET', 'DELETE']) {
      dev.template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: httpMethod,
        RestApiId: { Ref: restApi },
        RequestParameters: { 'method.request.path.id': true },
        Integration: Match.objectLike({
          Uri: Match.objectLike({
            'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [jobsFunction, 'Arn'] }])]),
          }),
        }),
      });
    }
    dev.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      OperationName: 'CreateJob',
      RequestModels: { 'application/json': { Ref: model }, $default: { Ref: model } },
    });
  });

  it('runs each stage’s job chunks at its configured concurrency', () => {
    const maxConcurrency = (template: Template) => {
      const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
      const definition = (machine as { Properties: { DefinitionString: string } }).Properties
        .DefinitionString;
      return (JSON.parse(definition) as { States: { ProcessChunks: { MaxConcurrency: number } } }).States
        .ProcessChunks.MaxConcurrency;
    };
    expect(maxConcurrency(dev.template)).toBe(2);
    expect(maxConcurrency(prod.template)).toBe(4);
  });

  it('refers to the documents bucket by its name, with no import', () => {
    const statements = functionStatements(dev.template, 'DocumentJobsWorkflowStepsFunction');
    const resources = statements
      .filter((statement) => asList(statement.Action).some((action) => action.startsWith('s3:')))
      .flatMap((statement) => asList(statement.Resource).map(flatten));
    expect(resources).toContain(
      'arn:<AWS::Partition>:s3:::mangaassist-dev-documents-123456789012-ap-northeast-1/jobs/*',
    );
  });

  it('sends the webhook alarms to the alarm topic', () => {
    const topic = { 'Fn::ImportValue': expect.stringMatching(/AlarmTopic/) };
    for (const metric of ['Url4xxCount', 'Url5xxCount']) {
      const alarms = Object.values(
        dev.template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } }),
      );
      expect(alarms).toHaveLength(3);
      for (const alarm of alarms)
        expect(alarm).toMatchObject({ Properties: { AlarmActions: [topic], OKActions: [topic] } });
    }
  });

  it('serves each webhook source at a public function URL on its live alias and outputs where to register it', () => {
    dev.template.resourceCountIs('AWS::Lambda::Url', 3);
    dev.template.allResourcesProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      Qualifier: 'live',
      Cors: Match.absent(),
    });
    const outputs = Object.values(dev.template.findOutputs('*')).map((output) =>
      flatten((output as { Value: unknown }).Value),
    );
    for (const source of ['stripe', 'reviews', 'catalog']) {
      expect(outputs.filter((value) => value.endsWith(`webhooks/${source}`))).toHaveLength(1);
    }
  });

  it('reserves 50 instances for each webhook receiver in prod, and none in dev (a new account cannot grant them)', () => {
    for (const fn of functionsOf(prod.template).filter(isWebhook)) {
      expect(fn).toMatchObject({ ReservedConcurrentExecutions: 50, MemorySize: 512, Timeout: 30 });
    }
    const devReceivers = functionsOf(dev.template).filter(isWebhook);
    expect(devReceivers).toHaveLength(3);
    for (const fn of devReceivers) expect(fn).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('starts WebSocket access logging only once the account’s CloudWatch role is set', () => {
    const account = logicalId(dev.template, 'AWS::ApiGateway::Account', 'ChatApi');
    dev.template.hasResource('AWS::ApiGatewayV2::Stage', { DependsOn: Match.arrayWith([account]) });
  });

  it('keeps two chat instances and five of each webhook receiver warm in prod, none in dev', () => {
    const warm = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::Alias'))
        .map(
          (alias) =>
            (
              alias as {
                Properties: { ProvisionedConcurrencyConfig?: { ProvisionedConcurrentExecutions: number } };
              }
            ).Properties.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions,
        )
        .filter((count) => count !== undefined)
        .sort();
    expect(warm(prod.template)).toEqual([2, 5, 5, 5]);
    expect(warm(dev.template)).toEqual([]);
    // The webhook URLs point at a live alias in every stage, so they do not change with provisioning.
    dev.template.resourceCountIs('AWS::Lambda::Alias', 3);
  });

  it('keeps prod logs for 90 days and retains them, while dev logs expire after 7 days', () => {
    const prodLogs = Object.values(prod.template.findResources('AWS::Logs::LogGroup'));
    // 19 functions, REST access and execution logs, WebSocket access logs, WAF logs, job state
    // machine, the orchestrator's tasks, Bedrock's invocation logs and their setting's provider.
    expect(prodLogs).toHaveLength(27);
    for (const logGroup of prodLogs) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
    }
    for (const logGroup of Object.values(dev.template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 7 } });
    }
  });

  it('applies a prompt-attack guardrail in prod, to every function that calls a model, and none in dev', () => {
    prod.template.resourceCountIs('AWS::Bedrock::Guardrail', 1);
    prod.template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      ContentPolicyConfig: {
        FiltersConfig: [Match.objectLike({ Type: 'PROMPT_ATTACK', InputStrength: 'HIGH' })],
      },
    });
    dev.template.resourceCountIs('AWS::Bedrock::Guardrail', 0);
    const modelFunctions = functionsOf(prod.template).filter(
      (fn) =>
        'BEDROCK_REGION_TARGETS' in
        ((fn.Environment as { Variables: Record<string, unknown> }).Variables ?? {}),
    );
    expect(modelFunctions.length).toBeGreaterThanOrEqual(6);
    for (const fn of modelFunctions) {
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toMatchObject({
        BEDROCK_GUARDRAIL_ID: expect.anything(),
        BEDROCK_GUARDRAIL_VERSION: expect.anything(),
      });
    }
    for (const prefix of [
      'ChatApiChatFunction',
      'ChatApiStreamFunction',
      'WebSocketStreamFunction',
      'TasksModerateFunction',
    ]) {
      expect(functionActions(prod.template, prefix)).toContain('bedrock:ApplyGuardrail');
    }
  });

  it('tells the prod functions which geographies they may use', () => {
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ MANGA_ENV: 'prod', BEDROCK_ALLOWED_GEOGRAPHIES: 'jp,apac' }),
      },
    });
  });

  it('sends every chat route to Lambda unless the stage says otherwise, with no load balancer for the orchestrator', () => {
    for (const { stack, template } of [build('dev', { chat: 'lambda', 'chat-stream': 'lambda' }), prod]) {
      expect(stack.orchestratorIngress).toBeUndefined();
      template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
      template.resourceCountIs('AWS::ApiGateway::VpcLink', 0);
    }
  });

  it('answers WebSocket messages from the orchestrator’s tasks where the stage says so, with no stream function', () => {
    const { stack, template } = dev;
    expect(stack.webSocket.streamFunction).toBeUndefined();
    expect(prod.stack.webSocket.streamFunction).toBeDefined();
    // Nothing maps the message queue to a function: the tasks long-poll it.
    const mapped = (built: Template) =>
      resourcesOf<{ EventSourceArn: unknown }>(built, 'AWS::Lambda::EventSourceMapping').map((mapping) =>
        flatten(mapping.properties.EventSourceArn),
      );
    expect(mapped(template).filter((arn) => arn.includes('WebSocketMessageQueue'))).toEqual([]);
    expect(mapped(prod.template).filter((arn) => arn.includes('WebSocketMessageQueue'))).toHaveLength(1);
    const [app] = resourcesOf<{
      ContainerDefinitions: { Name: string; Environment: { Name: string; Value: unknown }[] }[];
    }>(template, 'AWS::ECS::TaskDefinition').flatMap((definition) =>
      definition.properties.ContainerDefinitions.filter((container) => container.Name === 'orchestrator'),
    );
    const environment = Object.fromEntries((app?.Environment ?? []).map(({ Name, Value }) => [Name, Value]));
    expect(environment).toMatchObject({
      WEBSOCKET_STREAM_QUEUE_URL: expect.anything(),
      WEBSOCKET_STREAM_CONCURRENCY: '100',
      CONNECTIONS_TABLE: expect.anything(),
      WEBSOCKET_CALLBACK_URL: expect.anything(),
    });
    expect(flatten(environment.WEBSOCKET_STREAM_QUEUE_URL)).toContain('WebSocketMessageQueue');
    const taskActions = roleStatements(template, 'OrchestratorTaskDefinitionTaskRole').flatMap((statement) =>
      asList(statement.Action),
    );
    expect(taskActions).toEqual(
      expect.arrayContaining([
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'execute-api:ManageConnections',
      ]),
    );
    expect(taskActions).not.toContain('sqs:SendMessage');
    // The service grows with the answers its tasks stream, not only with CPU and HTTP streams.
    const tracked = (built: Template) =>
      resourcesOf<{
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: number;
          CustomizedMetricSpecification?: { MetricName: string };
        };
      }>(built, 'AWS::ApplicationAutoScaling::ScalingPolicy').flatMap(({ properties }) => {
        const { CustomizedMetricSpecification: custom, TargetValue } =
          properties.TargetTrackingScalingPolicyConfiguration;
        return custom ? [[custom.MetricName, TargetValue]] : [];
      });
    expect(tracked(template)).toEqual(expect.arrayContaining([['WebSocketAnswers', 70]]));
    expect(tracked(prod.template).map(([name]) => name)).toEqual(['ActiveStreams']);
  });

  it('sends a route the stage puts on Fargate through the VPC link, with the caller’s key id, and builds no function for it', () => {
    const fargate = build('dev', { chat: 'lambda', 'chat-stream': 'fargate', moderate: 'fargate' });
    const methods = resourcesOf<{
      HttpMethod: string;
      ApiKeyRequired: boolean;
      Integration: Record<string, unknown>;
      RequestValidatorId?: unknown;
    }>(fargate.template, 'AWS::ApiGateway::Method').filter(
      (method) => method.properties.HttpMethod === 'POST',
    );
    const integrations = methods.map((method) => method.properties.Integration);
    const stream = integrations.find((integration) => integration.ConnectionType === 'VPC_LINK');

    expect(stream).toMatchObject({
      Type: 'HTTP_PROXY',
      IntegrationHttpMethod: 'POST',
      ResponseTransferMode: 'STREAM',
      TimeoutInMillis: 180_000,
      RequestParameters: {
        'integration.request.header.x-mangaassist-api-key-id': 'context.identity.apiKeyId',
      },
    });
    expect(flatten(stream?.Uri)).toMatch(/^http:\/\/.*\/v1\/chat\/stream$/);
    const overLink = integrations.filter((integration) => integration.ConnectionType === 'VPC_LINK');
    expect(
      overLink.map((integration) => flatten(integration.Uri).replace(/^.*\/v1\//, '/v1/')).sort(),
    ).toEqual(['/v1/chat/stream', '/v1/moderate']);
    expect(fargate.stack.taskRoutes.functions.moderate).toBeUndefined();
    expect(fargate.stack.taskRoutes.functions.summarize).toBeDefined();
    expect(fargate.stack.chatApi.streamFunction).toBeUndefined();
    expect(fargate.stack.chatApi.chatFunction).toBeDefined();
    fargate.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Type: 'network',
      EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off',
    });
    fargate.template.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [Match.objectLike({ ContainerName: 'orchestrator', ContainerPort: 8000 })],
    });
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(
      fargate.stack,
    ).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});
