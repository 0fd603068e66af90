import { chatLimits } from '@mangaassist/contracts';
import { defaultModelCatalog, defaultRegionTargets, modelNames } from '@mangaassist/fm-gateway/catalog';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { ChatApi, type ChatApiProps } from '../../../lib/constructs/chat-api.js';
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

function build(props: Partial<Omit<ChatApiProps, 'bedrock' | 'sessionsTable' | 'ticketsTable'>> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const bedrock = new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets });
  const eventBus = new EventBus(stack, 'Bus', { eventBusName: 'ai-events' });
  const sessionsTable = new Table(stack, 'Sessions', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
  });
  const ticketsTable = new Table(stack, 'Tickets', {
    partitionKey: { name: 'ticket_hash', type: AttributeType.STRING },
  });
  const chatApi = new ChatApi(stack, 'Chat', {
    stage: 'dev',
    bedrock,
    eventBus,
    sessionsTable,
    ticketsTable,
    ...props,
  });
  return { chatApi, stack, template: Template.fromStack(stack) };
}

/** The default construct, synthesised once for the tests that do not vary its props. */
const built = build({ environment: { REDIS_URL: 'rediss://cache:6379', TENANTS_JSON: '{"tenants":[]}' } });
const { template } = built;

function methodOf(path: string): { Properties: Record<string, unknown> } {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathPart = path.split('/').at(-1);
  const resource = Object.keys(resources).find(
    (id) => (resources[id] as { Properties: { PathPart: string } }).Properties.PathPart === pathPart,
  );
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
    (method) =>
      flatten((method as { Properties: { ResourceId: unknown } }).Properties.ResourceId) === `<${resource}>`,
  );
  const [method] = methods as { Properties: Record<string, unknown> }[];
  if (method === undefined || methods.length !== 1) throw new Error(`expected one method on ${path}`);
  return method;
}

describe('ChatApi', () => {
  it('routes POST /v1/chat to the chat function through a Lambda proxy integration', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'v1' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'chat' });
    expect(methodOf('/v1/chat').Properties).toMatchObject({
      HttpMethod: 'POST',
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: {
          'Fn::Join': [
            '',
            expect.arrayContaining([
              { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'ChatChatFunction'), 'Arn'] },
            ]),
          ],
        },
      },
    });
  });

  it('streams POST /v1/chat/stream: transfer mode STREAM through the response-streaming invocation URI', () => {
    const { Integration } = methodOf('/v1/chat/stream').Properties as {
      Integration: { Type: string; ResponseTransferMode: string; TimeoutInMillis: number; Uri: unknown };
    };
    expect(Integration.Type).toBe('AWS_PROXY');
    expect(Integration.ResponseTransferMode).toBe('STREAM');
    expect(flatten(Integration.Uri)).toBe(
      `arn:<AWS::Partition>:apigateway:<AWS::Region>:lambda:path/2021-11-15/functions/${JSON.stringify({
        'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'ChatStreamFunction'), 'Arn'],
      })}/response-streaming-invocations`,
    );
  });

  it('lets a stream run past 29 s: the integration and the stream function share the stream timeout', () => {
    const { Integration } = methodOf('/v1/chat/stream').Properties as {
      Integration: { TimeoutInMillis: number };
    };
    expect(Integration.TimeoutInMillis).toBe(180_000);
    expect(functionProperties(template, 'ChatStreamFunction').Timeout).toBe(180);
    const shorter = build({ streamTimeout: Duration.minutes(1) });
    expect(functionProperties(shorter.template, 'ChatStreamFunction').Timeout).toBe(60);
  });

  it('keeps POST /v1/chat and /v1/ws-tickets buffered, with the default 29 s integration timeout', () => {
    for (const path of ['/v1/chat', '/v1/ws-tickets']) {
      const integration = methodOf(path).Properties.Integration;
      expect(integration).not.toHaveProperty('ResponseTransferMode');
      expect(integration).not.toHaveProperty('TimeoutInMillis');
    }
  });

  it('requires a tenant API key on every method', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(3);
    for (const method of methods) {
      expect((method as { Properties: { ApiKeyRequired: boolean } }).Properties.ApiKeyRequired).toBe(true);
    }
  });

  it('serves POST /v1/ws-tickets from the ticket function without a body model', () => {
    expect(methodOf('/v1/ws-tickets').Properties).not.toHaveProperty('RequestModels');
    expect(methodOf('/v1/ws-tickets').Properties).toMatchObject({
      HttpMethod: 'POST',
      Integration: {
        Uri: {
          'Fn::Join': [
            '',
            expect.arrayContaining([
              { 'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'ChatTicketFunction'), 'Arn'] },
            ]),
          ],
        },
      },
    });
  });

  it('validates the body and parameters of both chat routes whatever the content type', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const validator = logicalId(template, 'AWS::ApiGateway::RequestValidator', 'ChatApi');
    const model = logicalId(template, 'AWS::ApiGateway::Model', 'ChatApi');
    for (const path of ['/v1/chat', '/v1/chat/stream']) {
      expect(methodOf(path).Properties).toMatchObject({
        RequestValidatorId: { Ref: validator },
        RequestModels: { 'application/json': { Ref: model }, $default: { Ref: model } },
      });
    }
  });

  it("validates against a draft-04 model generated from the contracts' chat request schema", () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'ChatRequest',
      ContentType: 'application/json',
      Schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['messages'],
        additionalProperties: false,
        properties: {
          messages: Match.objectLike({
            type: 'array',
            minItems: 1,
            maxItems: chatLimits.maxMessages,
            items: Match.objectLike({
              required: ['role', 'content'],
              properties: {
                role: { type: 'string', enum: ['user', 'assistant'] },
                content: { type: 'string', minLength: 1, maxLength: chatLimits.maxContentChars },
              },
            }),
          }),
          max_tokens: Match.objectLike({ type: 'integer', minimum: 1, maximum: chatLimits.maxTokens }),
          model: Match.objectLike({
            type: 'string',
            enum: ['auto', ...modelNames(defaultModelCatalog)],
          }),
          system: Match.objectLike({ maxLength: chatLimits.maxSystemChars }),
          session_id: Match.objectLike({ pattern: Match.anyValue() }),
          temperature: Match.objectLike({ minimum: 0, maximum: 1 }),
        },
      },
    });
    expect(chatLimits.maxMessages).toBe(50);
    expect(chatLimits.maxTokens).toBe(4096);
  });

  it('throttles the stage at 100 requests per second with bursts of 200 by default', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ]),
    });
  });

  it('keeps metrics and INFO logs, never bodies, on every method setting, the throttled ones included', () => {
    const throttled = build({
      methodThrottles: { '/v1/analyze/POST': { rateLimit: 2, burstLimit: 5 } },
    }).template;
    const [stage] = Object.values(throttled.findResources('AWS::ApiGateway::Stage')) as {
      Properties: { MethodSettings: Record<string, unknown>[] };
    }[];
    const settings = stage?.Properties.MethodSettings ?? [];
    expect(settings).toHaveLength(2);
    for (const setting of settings) {
      // API Gateway does not fill a method's entry from the stage's `*/*`: a missing field is off.
      expect(setting).toMatchObject({ MetricsEnabled: true, LoggingLevel: 'INFO', DataTraceEnabled: false });
    }
  });

  it('throttles the methods it is given below the stage, by path and method', () => {
    const throttled = build({
      methodThrottles: {
        '/v1/analyze/POST': { rateLimit: 2, burstLimit: 5 },
        '/v1/chat/stream/POST': { rateLimit: 25, burstLimit: 50 },
      },
    }).template;
    throttled.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: 'POST',
          ResourcePath: '/~1v1~1analyze',
          ThrottlingRateLimit: 2,
          ThrottlingBurstLimit: 5,
        }),
        Match.objectLike({
          HttpMethod: 'POST',
          ResourcePath: '/~1v1~1chat~1stream',
          ThrottlingRateLimit: 25,
          ThrottlingBurstLimit: 50,
        }),
      ]),
    });
  });

  it('logs every method at INFO without request bodies, with metrics and X-Ray tracing', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ LoggingLevel: 'INFO', DataTraceEnabled: false, MetricsEnabled: true }),
      ]),
    });
  });

  it('writes one JSON access log line per request, keyed by the request id, to a log group with retention', () => {
    const weekly = build({ logRetention: RetentionDays.ONE_WEEK }).template;
    const accessLogs = logicalId(weekly, 'AWS::Logs::LogGroup', 'ChatAccessLogs');
    weekly.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    const stage = Object.values(weekly.findResources('AWS::ApiGateway::Stage'))[0] as {
      Properties: { AccessLogSetting: { DestinationArn: unknown; Format: string } };
    };
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationLatencyMs: '$context.integrationLatency',
      errorType: '$context.error.responseType',
      apiKeyId: '$context.identity.apiKeyId',
    });
    expect(flatten(stage.Properties.AccessLogSetting.DestinationArn)).toContain(`:log-group:<${accessLogs}>`);
  });

  it("sets a retention on API Gateway's execution log group before the stage can write to it", () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': [
          '',
          ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^ChatApi') }, '/dev'],
        ],
      },
      RetentionInDays: 30,
    });
    const executionLogs = logicalId(template, 'AWS::Logs::LogGroup', 'ChatExecutionLogs');
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([executionLogs]) });
  });

  it('answers gateway errors with JSON error bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp('"request_id":"\\$context.requestId"'),
      },
    });
  });

  it('runs the chat handler on Node.js 22 arm64 with active tracing, 1024 MB and 29 s', () => {
    expect(functionProperties(template, 'ChatChatFunction')).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 1024,
      Timeout: 29,
    });
  });

  it("passes the chat functions the gateway's settings, the sessions table and the shared environment", () => {
    const tuned = build({ chatDeadlineMs: 2500, environment: { REDIS_URL: 'rediss://cache:6379' } }).template;
    for (const prefix of ['ChatChatFunction', 'ChatStreamFunction']) {
      expect(functionEnvironment(tuned, prefix)).toEqual({
        MANGA_ENV: 'dev',
        REDIS_URL: 'rediss://cache:6379',
        BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
        CHAT_DEADLINE_MS: '2500',
        RESPONSE_CACHE_TTL_SECONDS: '300',
        SESSIONS_TABLE: { Ref: logicalId(tuned, 'AWS::DynamoDB::Table', 'Sessions') },
        EVENT_BUS_NAME: { Ref: logicalId(tuned, 'AWS::Events::EventBus', 'Bus') },
      });
    }
  });

  it('gives the ticket function the shared environment and the tickets table for Redis outages', () => {
    expect(functionEnvironment(template, 'ChatTicketFunction')).toEqual({
      MANGA_ENV: 'dev',
      REDIS_URL: 'rediss://cache:6379',
      TENANTS_JSON: '{"tenants":[]}',
      WS_TICKETS_TABLE: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'Tickets') },
    });
  });

  it('lets the chat functions invoke Bedrock, publish events and read and write sessions, and nothing more', () => {
    for (const prefix of ['ChatChatFunction', 'ChatStreamFunction']) {
      const actions = functionActions(template, prefix);
      expect(actions).toEqual(
        expect.arrayContaining([
          'bedrock:InvokeModel',
          'bedrock:InvokeModelWithResponseStream',
          'events:PutEvents',
          'dynamodb:PutItem',
          'dynamodb:Query',
        ]),
      );
      expect(actions.every((action) => /^(bedrock|events|dynamodb|logs|xray):/.test(action))).toBe(true);
      const tableStatements = functionStatements(template, prefix).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('dynamodb:')),
      );
      for (const statement of tableStatements) {
        expect(asList(statement.Resource).map(flatten)).toEqual([
          JSON.stringify({ 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'Sessions'), 'Arn'] }),
        ]);
      }
    }
  });

  it('lets the ticket function put items into the tickets table, and do nothing else', () => {
    const actions = functionActions(template, 'ChatTicketFunction');
    expect(actions.filter((action) => !/^(logs|xray):/.test(action))).toEqual(['dynamodb:PutItem']);
    const tables = functionStatements(template, 'ChatTicketFunction')
      .filter((statement) => asList(statement.Action).includes('dynamodb:PutItem'))
      .flatMap((statement) => asList(statement.Resource).map(flatten));
    expect(tables).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'Tickets'), 'Arn'] }),
    ]);
  });

  it('leaves the account’s CloudWatch role alone when told another stack manages it', () => {
    const { chatApi, template: unmanaged } = build({ manageCloudWatchRole: false });
    unmanaged.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(chatApi.cloudWatchAccount).toBeUndefined();
    expect(built.chatApi.cloudWatchAccount).toBeDefined();
  });

  it('runs every function in the given network', () => {
    const stack = new Stack(unitTestApp(), 'Networked');
    const vpc = new Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      // The test's own network: no custom resource beside the functions under test.
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
    });
    const group = new SecurityGroup(stack, 'Group', { vpc });
    new ChatApi(stack, 'Chat', {
      stage: 'dev',
      bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
      sessionsTable: new Table(stack, 'Sessions', {
        partitionKey: { name: 'pk', type: AttributeType.STRING },
      }),
      ticketsTable: new Table(stack, 'Tickets', {
        partitionKey: { name: 'ticket_hash', type: AttributeType.STRING },
      }),
      network: { vpc, subnets: { subnetGroupName: 'functions' }, securityGroups: [group] },
      manageCloudWatchRole: false,
    });
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(3);
    for (const fn of functions) {
      expect((fn as { Properties: { VpcConfig?: unknown } }).Properties.VpcConfig).toBeDefined();
    }
  });

  it('integrates the live alias when chat instances are kept warm', () => {
    const warm = build({ provisionedConcurrency: 2 }).template;
    warm.hasResourceProperties('AWS::Lambda::Alias', {
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const alias = logicalId(warm, 'AWS::Lambda::Alias', 'Chat');
    warm.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: {
        Uri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: alias }])]) }),
      },
    });
  });

  it('no longer waives the WAF finding: the stage gets a web ACL (ApiFirewall)', () => {
    const acknowledged = built.chatApi.restApi.deploymentStage.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>));
    expect(acknowledged.join(' ')).not.toContain('APIG3');
  });

  it('outputs the URLs of POST /v1/chat, /v1/chat/stream and /v1/ws-tickets', () => {
    const url = (description: string) => {
      const [output] = Object.values(template.findOutputs('*', { Description: description })) as {
        Value: unknown;
      }[];
      return flatten(output?.Value);
    };
    expect(url('POST /v1/chat')).toMatch(/^https:\/\/<ChatApi\w+>\.execute-api\..*\/v1\/chat$/);
    expect(url('POST /v1/chat/stream (SSE)')).toMatch(/\/v1\/chat\/stream$/);
    expect(url('POST /v1/ws-tickets')).toMatch(/\/v1\/ws-tickets$/);
  });
});
