import { gatewayEnvironment, makeChatRequestSchema, toApiGatewaySchema } from '@mangaassist/contracts';
import { modelNames } from '@mangaassist/core/catalog';
import { CfnOutput, type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  EndpointType,
  type JsonSchema,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Model,
  type RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { JsonErrorResponses } from './json-error-responses.js';
import { PlatformFunction } from './platform-function.js';

export interface ChatApiProps {
  /** Deployment stage: the API stage name, part of resource names, and `MANGA_ENV`. */
  readonly stage: string;
  /** Bedrock permission and gateway settings; its catalog names the models a request may ask for. */
  readonly bedrock: BedrockInvokeAccess;
  /**
   * Bus for `InferenceCompleted` events (`EVENT_BUS_NAME`).
   * @default - no bus: the handler does not publish events
   */
  readonly eventBus?: IEventBus;
  /**
   * Steady-state requests per second for the stage.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Set the account's API Gateway CloudWatch Logs role, which execution logging needs; turn
   * off where it is managed elsewhere.
   * @default true
   */
  readonly manageCloudWatchRole?: boolean;
  /**
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(29)
   */
  readonly timeout?: Duration;
  /**
   * Warm chat instances behind the `live` alias.
   * @default - none
   */
  readonly provisionedConcurrency?: number;
  /**
   * Budget for one chat request, ms (`CHAT_DEADLINE_MS`).
   * @default 3000
   */
  readonly chatDeadlineMs?: number;
  /**
   * Lifetime of cached complete answers (`RESPONSE_CACHE_TTL_SECONDS`).
   * @default 300
   */
  readonly responseCacheTtlSeconds?: number;
  /**
   * Retention of the function's, access and execution log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * X-Ray tracing on the stage and the function.
   * @default true
   */
  readonly tracing?: boolean;
}

/**
 * The public REST API's `POST /v1/chat`: request validation against the contracts' JSON
 * Schema, a Lambda proxy integration to `functions/chat-sync`, stage throttling, JSON access
 * logs, INFO execution logs, X-Ray, metrics, and JSON error bodies for gateway errors.
 */
export class ChatApi extends Construct {
  readonly restApi: RestApi;
  readonly chatFunction: PlatformFunction;
  readonly requestModel: Model;
  readonly requestValidator: RequestValidator;
  readonly accessLogs: LogGroup;
  /** Full URL of `POST /v1/chat` on the stage. */
  readonly chatUrl: string;

  constructor(scope: Construct, id: string, props: ChatApiProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    const tracing = props.tracing ?? true;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });

    this.restApi = new RestApi(this, 'Api', {
      restApiName: `mangaassist-${props.stage}`,
      description: `MangaAssist ${props.stage} public API`,
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.manageCloudWatchRole ?? true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        loggingLevel: MethodLoggingLevel.INFO,
        // Request and response bodies hold customers' prompts: never in execution logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: tracing,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });

    // API Gateway creates this group on first use with no retention; owning it sets one.
    const executionLogs = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${props.stage}`,
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });
    this.restApi.deploymentStage.node.addDependency(executionLogs);

    new JsonErrorResponses(this, 'ErrorResponses', { restApi: this.restApi });

    this.requestValidator = this.restApi.addRequestValidator('BodyAndParameters', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.requestModel = this.restApi.addModel('ChatRequest', {
      modelName: 'ChatRequest',
      contentType: 'application/json',
      description: 'POST /v1/chat body, generated from @mangaassist/contracts makeChatRequestSchema',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        ...(toApiGatewaySchema(
          makeChatRequestSchema(modelNames(props.bedrock.catalog)),
          'ChatRequest',
        ) as JsonSchema),
      },
    });

    this.chatFunction = new PlatformFunction(this, 'ChatFunction', {
      entry: 'functions/chat-sync/src/handler.ts',
      description: `MangaAssist ${props.stage}: POST /v1/chat`,
      ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
      ...(props.timeout !== undefined ? { timeout: props.timeout } : {}),
      ...(props.provisionedConcurrency !== undefined
        ? { provisionedConcurrentExecutions: props.provisionedConcurrency }
        : {}),
      tracing,
      logRetention,
      logRemovalPolicy,
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        ...props.bedrock.handlerEnvironment,
        [gatewayEnvironment.chatDeadlineMs]: String(props.chatDeadlineMs ?? 3000),
        [gatewayEnvironment.responseCacheTtlSeconds]: String(props.responseCacheTtlSeconds ?? 300),
        ...(props.eventBus ? { [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName } : {}),
      },
    });
    props.bedrock.grantInvoke(this.chatFunction);
    props.eventBus?.grantPutEventsTo(this.chatFunction);

    const chat = this.restApi.root.addResource('v1').addResource('chat');
    const method = chat.addMethod('POST', new LambdaIntegration(this.chatFunction.invocationTarget), {
      operationName: 'CreateChat',
      requestValidator: this.requestValidator,
      // `$default` validates bodies sent with any other content type too, so a wrong
      // Content-Type cannot skip validation.
      requestModels: { 'application/json': this.requestModel, $default: this.requestModel },
    });
    this.chatUrl = this.restApi.urlForPath('/v1/chat');
    new CfnOutput(this, 'ChatUrl', { value: this.chatUrl, description: 'POST /v1/chat' });

    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'No authorizer yet: tenant API keys (x-api-key) with usage plans arrive with the chat/tenants issue; until then the stage is bounded by throttling and request validation.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The public API authenticates tenants with API keys and usage plans (chat/tenants issue), not Cognito user pools: callers are tenant back ends, not end users.',
      },
    );
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        "No WAFv2 web ACL yet: AWS managed rule groups (CommonRuleSet's 8 KB body limit) would reject valid chat bodies of up to 50 messages x 100 000 characters, so the ACL needs tuned rules; meanwhile stage throttling and request validation bound abuse.",
    });
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "The account-level role API Gateway uses to write execution and access logs; AmazonAPIGatewayPushToCloudWatchLogs is AWS's documented policy for it and is maintained by AWS.",
      });
    }
  }
}

/** One JSON object per request; `requestId` matches the error bodies' `request_id`. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      requestTimeEpoch: AccessLogField.contextRequestTimeEpoch(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      protocol: AccessLogField.contextProtocol(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatencyMs: AccessLogField.contextResponseLatency(),
      integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      integrationError: '$context.integration.error',
      errorType: AccessLogField.contextErrorResponseType(),
      errorMessage: AccessLogField.contextErrorMessage(),
      sourceIp: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      apiKeyId: AccessLogField.contextIdentityApiKeyId(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}
