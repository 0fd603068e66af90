import {
  gatewayEnvironment,
  type TaskName,
  taskNames,
  taskRequestSchema,
  taskRoutes,
  toApiGatewaySchema,
} from '@mangaassist/contracts';
import type { Duration } from 'aws-cdk-lib';
import {
  type IRequestValidator,
  type JsonSchema,
  JsonSchemaVersion,
  type Model,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { addApiKeyPostMethod } from './api-key-method.js';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import type { OrchestratorIngress } from './orchestrator-ingress.js';
import { pascalCase } from './pascal-case.js';
import { PlatformFunction, type SharedFunctionProps } from './platform-function.js';

export interface TaskRoutesProps {
  /** Deployment stage, for descriptions. */
  readonly stage: string;
  /** The API the routes are added to, at the paths of the contracts' `taskRoutes`. */
  readonly restApi: RestApi;
  readonly requestValidator: IRequestValidator;
  /** Bedrock permission and gateway settings. */
  readonly bedrock: BedrockInvokeAccess;
  /**
   * Bus for `InferenceCompleted` events.
   * @default - no bus: the handlers do not publish events
   */
  readonly eventBus?: IEventBus;
  /**
   * Logging, tracing, network and the environment every function of the API reads.
   * @default - PlatformFunction's defaults
   */
  readonly functionDefaults?: SharedFunctionProps;
  /**
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(29) - API Gateway's integration ceiling
   */
  readonly timeout?: Duration;
  /**
   * Lifetime of cached complete answers (`RESPONSE_CACHE_TTL_SECONDS`).
   * @default 300
   */
  readonly responseCacheTtlSeconds?: number;
  /**
   * The tasks the Fargate orchestrator answers instead of a function (none is built for them),
   * through `ingress`.
   * @default - none: every task on Lambda
   */
  readonly fargate?: { readonly ingress: OrchestratorIngress; readonly tasks: readonly TaskName[] };
}

/**
 * The static routes of seed 001 §2.4.4: `POST /v1/moderate` (fast model), `/v1/summarize`
 * (balanced) and `/v1/analyze` (quality). One function per route, all from
 * `functions/tasks/src/handler.ts`, told their route by `TASK_NAME`: each route scales, is
 * throttled and fails on its own, and a slow analysis cannot starve moderation. Bodies are
 * validated against a model generated from the contracts' `taskRequestSchema`.
 */
export class TaskRoutes extends Construct {
  readonly requestModel: Model;
  /** The function serving each task on Lambda. */
  readonly functions: Readonly<Partial<Record<TaskName, PlatformFunction>>>;

  constructor(scope: Construct, id: string, props: TaskRoutesProps) {
    super(scope, id);
    this.requestModel = props.restApi.addModel('TaskRequest', {
      modelName: 'TaskRequest',
      contentType: 'application/json',
      description:
        'POST /v1/moderate | summarize | analyze body, generated from @mangaassist/contracts taskRequestSchema',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        ...(toApiGatewaySchema(taskRequestSchema, 'TaskRequest') as JsonSchema),
      },
    });

    const functions: Partial<Record<TaskName, PlatformFunction>> = {};
    const onFargate = new Set(props.fargate?.tasks ?? []);
    for (const task of taskNames) {
      const route = taskRoutes[task];
      const resource = props.restApi.root.resourceForPath(route.path);
      const method = {
        operationName: `Create${pascalCase(task)}`,
        requestValidator: props.requestValidator,
        requestModel: this.requestModel,
      };
      if (props.fargate && onFargate.has(task)) {
        addApiKeyPostMethod(resource, props.fargate.ingress.integration(route.path), method);
        continue;
      }
      const fn = new PlatformFunction(this, pascalCase(task), {
        ...props.functionDefaults,
        entry: 'functions/tasks/src/handler.ts',
        description: `MangaAssist ${props.stage}: POST ${route.path} (${route.model} model)`,
        ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
        ...(props.timeout !== undefined ? { timeout: props.timeout } : {}),
        environment: {
          ...props.functionDefaults?.environment,
          ...props.bedrock.handlerEnvironment,
          [gatewayEnvironment.taskName]: task,
          [gatewayEnvironment.responseCacheTtlSeconds]: String(props.responseCacheTtlSeconds ?? 300),
          ...(props.eventBus ? { [gatewayEnvironment.eventBusName]: props.eventBus.eventBusName } : {}),
        },
      });
      // Its route's tier and that tier's fallbacks, not every model of the catalog.
      props.bedrock.grantInvoke(fn, { models: [route.model] });
      props.eventBus?.grantPutEventsTo(fn);
      addApiKeyPostMethod(resource, fn.invocationTarget, method);
      functions[task] = fn;
    }
    this.functions = functions;
  }
}
