import { gatewayEnvironment, makeChatRequestSchema, toApiGatewaySchema } from '@mangaassist/contracts';
import { modelNames } from '@mangaassist/fm-gateway/catalog';
import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  type IAuthorizer,
  type Integration,
  type JsonSchema,
  JsonSchemaVersion,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Model,
  type RequestValidator,
  ResponseTransferMode,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { addApiKeyPostMethod } from './api-key-method.js';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { JsonErrorResponses } from './json-error-responses.js';
import type { OrchestratorIngress, OrchestratorRouteOptions } from './orchestrator-ingress.js';
import { type FunctionNetwork, PlatformFunction, type SharedFunctionProps } from './platform-function.js';

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
  /** Conversation turns (`SESSIONS_TABLE`): the chat functions read and append to it. */
  readonly sessionsTable: ITable;
  /** Where the ticket function puts tickets while Redis is down (`WS_TICKETS_TABLE`). */
  readonly ticketsTable: ITable;
  /**
   * Where the API's functions run (inside the cache's VPC).
   * @default - outside any VPC
   */
  readonly network?: FunctionNetwork;
  /**
   * Environment every function of the API reads, besides its own (`REDIS_URL`, `TENANTS_JSON`).
   * `MANGA_ENV` is set from `stage`.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
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
   * Longest SSE answer: the stream function's timeout and its integration's (API Gateway
   * streams up to 15 minutes).
   * @default Duration.minutes(3)
   */
  readonly streamTimeout?: Duration;
  /**
   * The chat routes the Fargate orchestrator answers instead of a Lambda function (no function
   * is built for them), through `ingress`.
   * @default - none: every route on Lambda
   */
  readonly fargate?: { readonly ingress: OrchestratorIngress; readonly routes: readonly ChatRoute[] };
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
   * Retention of the functions', access and execution log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * X-Ray tracing on the stage and the functions.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Per-method limits below the stage's, by `<path>/<METHOD>` (`/v1/analyze/POST`).
   * @default - the stage's limits only
   */
  readonly methodThrottles?: Readonly<
    Record<string, { readonly rateLimit: number; readonly burstLimit: number }>
  >;
  /**
   * Decides every method's caller (`ApiCallers`) and the key it is metered by.
   * @default - API Gateway checks `x-api-key` itself
   */
  readonly authorizer?: IAuthorizer;
}

/**
 * The public REST API and its chat routes, every one behind a tenant API key:
 * - `POST /v1/chat` (`functions/chat-sync`): one JSON answer;
 * - `POST /v1/chat/stream` (`functions/chat-stream`): Server-Sent Events through API Gateway
 *   response streaming (integration `responseTransferMode: STREAM`, which invokes the function
 *   with `InvokeWithResponseStream` through the `…/response-streaming-invocations` URI), so
 *   tokens leave as the model produces them;
 * - `POST /v1/ws-tickets` (`functions/ws-ticket`): a single-use ticket a browser presents to
 *   the WebSocket API's `$connect`, as browsers cannot send `x-api-key` on a WebSocket.
 *
 * Both chat routes validate bodies against the contracts' JSON Schema. The stage has
 * throttling, JSON access logs, INFO execution logs, X-Ray and metrics; gateway errors have
 * JSON bodies. Other routes (the static tasks) are added to `restApi` with `requestValidator`,
 * their functions built with `functionDefaults`.
 */
/** The chat routes a stage may send to Lambda or to the Fargate orchestrator. */
export const chatRoutes = ['chat', 'chat-stream'] as const;
export type ChatRoute = (typeof chatRoutes)[number];

export class ChatApi extends Construct {
  readonly restApi: RestApi;
  /** `POST /v1/chat`'s function; none when the orchestrator answers the route. */
  readonly chatFunction?: PlatformFunction;
  /** `POST /v1/chat/stream`'s function; none when the orchestrator answers the route. */
  readonly streamFunction?: PlatformFunction;
  readonly ticketFunction: PlatformFunction;
  readonly requestModel: Model;
  readonly requestValidator: RequestValidator;
  readonly accessLogs: LogGroup;
  /** What the chat doors are configured with (the orchestrator gets the same). */
  readonly chatEnvironment: Readonly<Record<string, string>>;
  /** What every function of this API shares: logging, tracing, network, common environment. */
  readonly functionDefaults: SharedFunctionProps;
  /** Full URL of `POST /v1/chat` on the stage. */
  readonly chatUrl: string;
  /** Full URL of `POST /v1/chat/stream` on the stage. */
  readonly streamUrl: string;
  /**
   * The account's API Gateway CloudWatch Logs setting (`AWS::ApiGateway::Account`) when this
   * API manages it: other APIs' logging stages should depend on it.
   */
  readonly cloudWatchAccount?: IConstruct;

  constructor(scope: Construct, id: string, props: ChatApiProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.DESTROY;
    const tracing = props.tracing ?? true;
    const manageCloudWatchRole = props.manageCloudWatchRole ?? true;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });

    this.restApi = new RestApi(this, 'Api', {
      // The authorizer names the key each request is metered by: a token caller's tenant's key.
      ...(props.authorizer
        ? {
            apiKeySourceType: ApiKeySourceType.AUTHORIZER,
            defaultMethodOptions: {
              authorizer: props.authorizer,
              authorizationType: AuthorizationType.CUSTOM,
            },
          }
        : {}),
      restApiName: `mangaassist-${props.stage}`,
      description: `MangaAssist ${props.stage} public API`,
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: manageCloudWatchRole,
      // The account setting outlives any one API: deleting the role would break the others' logs.
      ...(manageCloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        ...(props.methodThrottles
          ? {
              methodOptions: Object.fromEntries(
                Object.entries(props.methodThrottles).map(([method, { rateLimit, burstLimit }]) => [
                  method,
                  // A method's entry takes nothing from the stage's: metrics and logs stay on here.
                  {
                    throttlingRateLimit: rateLimit,
                    throttlingBurstLimit: burstLimit,
                    loggingLevel: MethodLoggingLevel.INFO,
                    dataTraceEnabled: false,
                    metricsEnabled: true,
                  },
                ]),
              ),
            }
          : {}),
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

    this.functionDefaults = {
      tracing,
      logRetention,
      logRemovalPolicy,
      ...(props.network ? { network: props.network } : {}),
      environment: { [gatewayEnvironment.stage]: props.stage, ...props.environment },
    };
    this.chatEnvironment = {
      ...this.functionDefaults.environment,
      ...props.bedrock.handlerEnvironment,
      [gatewayEnvironment.chatDeadlineMs]: String(props.chatDeadlineMs ?? 3000),
      [gatewayEnvironment.responseCacheTtlSeconds]: String(props.responseCacheTtlSeconds ?? 300),
      [gatewayEnvironment.sessionsTable]: props.sessionsTable.tableName,
      ...(props.eventBus ? { [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName } : {}),
    };

    const onFargate = new Set(props.fargate?.routes ?? []);
    const streamTimeout = props.streamTimeout ?? Duration.minutes(3);
    if (!onFargate.has('chat')) {
      this.chatFunction = new PlatformFunction(this, 'ChatFunction', {
        ...this.functionDefaults,
        entry: 'functions/chat-sync/src/handler.ts',
        description: `MangaAssist ${props.stage}: POST /v1/chat`,
        ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
        ...(props.timeout !== undefined ? { timeout: props.timeout } : {}),
        ...(props.provisionedConcurrency !== undefined
          ? { provisionedConcurrentExecutions: props.provisionedConcurrency }
          : {}),
        environment: this.chatEnvironment,
      });
    }
    if (!onFargate.has('chat-stream')) {
      this.streamFunction = new PlatformFunction(this, 'StreamFunction', {
        ...this.functionDefaults,
        entry: 'functions/chat-stream/src/handler.ts',
        description: `MangaAssist ${props.stage}: POST /v1/chat/stream (SSE)`,
        ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
        timeout: streamTimeout,
        environment: this.chatEnvironment,
      });
    }
    for (const fn of [this.chatFunction, this.streamFunction]) {
      if (fn === undefined) continue;
      props.bedrock.grantInvoke(fn);
      props.eventBus?.grantPutEventsTo(fn);
      props.sessionsTable.grantReadWriteData(fn);
    }
    this.ticketFunction = new PlatformFunction(this, 'TicketFunction', {
      ...this.functionDefaults,
      entry: 'functions/ws-ticket/src/handler.ts',
      description: `MangaAssist ${props.stage}: POST /v1/ws-tickets`,
      memorySize: 512,
      timeout: Duration.seconds(10),
      environment: {
        ...this.functionDefaults.environment,
        [gatewayEnvironment.ticketsTable]: props.ticketsTable.tableName,
      },
    });
    props.ticketsTable.grant(this.ticketFunction, 'dynamodb:PutItem');

    const v1 = this.restApi.root.addResource('v1');
    const chat = v1.addResource('chat');
    const ingress = props.fargate?.ingress;
    addApiKeyPostMethod(chat, this.chatFunction?.invocationTarget ?? fargateRoute(ingress, '/v1/chat', {}), {
      operationName: 'CreateChat',
      requestValidator: this.requestValidator,
      requestModel: this.requestModel,
    });
    addApiKeyPostMethod(
      chat.addResource('stream'),
      this.streamFunction?.invocationTarget ??
        fargateRoute(ingress, '/v1/chat/stream', { stream: true, timeout: streamTimeout }),
      {
        operationName: 'StreamChat',
        requestValidator: this.requestValidator,
        requestModel: this.requestModel,
        integrationOptions: { responseTransferMode: ResponseTransferMode.STREAM, timeout: streamTimeout },
      },
    );
    addApiKeyPostMethod(v1.addResource('ws-tickets'), this.ticketFunction.invocationTarget, {
      operationName: 'CreateWebSocketTicket',
    });

    this.chatUrl = this.restApi.urlForPath('/v1/chat');
    this.streamUrl = this.restApi.urlForPath('/v1/chat/stream');
    new CfnOutput(this, 'ChatUrl', { value: this.chatUrl, description: 'POST /v1/chat' });
    new CfnOutput(this, 'StreamUrl', { value: this.streamUrl, description: 'POST /v1/chat/stream (SSE)' });
    new CfnOutput(this, 'TicketUrl', {
      value: this.restApi.urlForPath('/v1/ws-tickets'),
      description: 'POST /v1/ws-tickets',
    });

    const cloudWatchAccount = this.restApi.node.tryFindChild('Account');
    if (cloudWatchAccount) this.cloudWatchAccount = cloudWatchAccount;
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

/** The orchestrator's integration of a route sent to Fargate. */
function fargateRoute(
  ingress: OrchestratorIngress | undefined,
  path: string,
  options: OrchestratorRouteOptions,
): Integration {
  if (!ingress) throw new Error(`${path} has neither a function nor the orchestrator's ingress`);
  return ingress.integration(path, options);
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
