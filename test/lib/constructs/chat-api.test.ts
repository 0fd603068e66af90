import { chatLimits } from '@mangaassist/contracts';
import { defaultModelCatalog, defaultRegionTargets, modelNames } from '@mangaassist/core/catalog';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { ChatApi, type ChatApiProps } from '../../../lib/constructs/chat-api.js';
import { flatten, policyStatements, unitTestApp } from '../support.js';

function build(props: Partial<Omit<ChatApiProps, 'bedrock'>> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const bedrock = new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets });
  const eventBus = new EventBus(stack, 'Bus', { eventBusName: 'ai-events' });
  const chatApi = new ChatApi(stack, 'Chat', { stage: 'dev', bedrock, eventBus, ...props });
  return { chatApi, stack, template: Template.fromStack(stack) };
}

function resourceId(template: Template, type: string): string {
  const [id] = Object.keys(template.findResources(type));
  if (id === undefined) throw new Error(`no ${type} in the template`);
  return id;
}

describe('ChatApi', () => {
  it('routes POST /v1/chat to the chat function through a Lambda proxy integration', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'v1' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'chat' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatChatFunction'), 'Arn'] }]),
          ]),
        }),
      },
    });
  });

  it('validates the body and parameters of POST /v1/chat whatever the content type', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const validator = resourceId(template, 'AWS::ApiGateway::RequestValidator');
    const model = resourceId(template, 'AWS::ApiGateway::Model');
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestValidatorId: { Ref: validator },
      RequestModels: { 'application/json': { Ref: model }, $default: { Ref: model } },
    });
  });

  it("validates against a draft-04 model generated from the contracts' chat request schema", () => {
    const { template } = build();
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
    build().template.hasResourceProperties('AWS::ApiGateway::Stage', {
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

  it('logs every method at INFO without request bodies, with metrics and X-Ray tracing', () => {
    build().template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ LoggingLevel: 'INFO', DataTraceEnabled: false, MetricsEnabled: true }),
      ]),
    });
  });

  it('writes one JSON access log line per request, keyed by the request id, to a log group with retention', () => {
    const { template } = build({ logRetention: RetentionDays.ONE_WEEK });
    const accessLogs = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
      id.startsWith('ChatAccessLogs'),
    );
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as {
      Properties: { AccessLogSetting: { DestinationArn: unknown; Format: string } };
    };
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationLatencyMs: '$context.integrationLatency',
      errorType: '$context.error.responseType',
    });
    expect(flatten(stage.Properties.AccessLogSetting.DestinationArn)).toContain(`:log-group:<${accessLogs}>`);
  });

  it("sets a retention on API Gateway's execution log group before the stage can write to it", () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': [
          '',
          ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^ChatApi') }, '/dev'],
        ],
      },
      RetentionInDays: 30,
    });
    const executionLogs = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
      id.startsWith('ChatExecutionLogs'),
    );
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([executionLogs]) });
  });

  it('answers gateway errors with JSON error bodies', () => {
    build().template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp('"request_id":"\\$context.requestId"'),
      },
    });
  });

  it('runs the chat handler on Node.js 22 arm64 with active tracing, 1024 MB and 29 s', () => {
    build().template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 1024,
      Timeout: 29,
    });
  });

  it("passes the gateway's settings under the contracts' environment variable names", () => {
    const { template } = build({ chatDeadlineMs: 2500 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          MANGA_ENV: 'dev',
          BEDROCK_REGION_TARGETS: JSON.stringify(defaultRegionTargets),
          CHAT_DEADLINE_MS: '2500',
          RESPONSE_CACHE_TTL_SECONDS: '300',
          EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('^Bus') },
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('lets the chat function put InferenceCompleted events on the bus and invoke Bedrock', () => {
    const actions = policyStatements(build().template).flatMap((statement) => statement.Action);
    expect(actions).toContain('events:PutEvents');
    expect(actions).toContain('bedrock:InvokeModel');
  });

  it('integrates the live alias when chat instances are kept warm', () => {
    const { template } = build({ provisionedConcurrency: 2 });
    template.hasResourceProperties('AWS::Lambda::Alias', {
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const alias = resourceId(template, 'AWS::Lambda::Alias');
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: {
        Uri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: alias }])]) }),
      },
    });
  });

  it('outputs the URL of POST /v1/chat', () => {
    const outputs = build().template.findOutputs('*', { Description: 'POST /v1/chat' });
    const [output] = Object.values(outputs) as { Value: unknown }[];
    expect(flatten(output?.Value)).toMatch(/^https:\/\/<ChatApi\w+>\.execute-api\..*\/v1\/chat$/);
  });
});
