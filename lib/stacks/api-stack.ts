import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { BedrockInvokeAccess } from '../constructs/bedrock-invoke-access.js';
import { ChatApi } from '../constructs/chat-api.js';

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** The stateful stack's AI event bus, for InferenceCompleted events. */
  readonly eventBus: IEventBus;
}

/** The stateless public API: `POST /v1/chat` and the Bedrock access behind it. */
export class ApiStack extends Stack {
  readonly bedrockAccess: BedrockInvokeAccess;
  readonly chatApi: ChatApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    const { config, eventBus, ...stackProps } = props;
    super(scope, id, stackProps);
    this.bedrockAccess = new BedrockInvokeAccess(this, 'BedrockAccess', {
      regionTargets: config.bedrock.regionTargets,
      ...(config.bedrock.allowedGeographies ? { allowedGeographies: config.bedrock.allowedGeographies } : {}),
      ...(config.bedrock.modelCatalogOverridesJson
        ? { catalogOverridesJson: config.bedrock.modelCatalogOverridesJson }
        : {}),
    });
    this.chatApi = new ChatApi(this, 'ChatApi', {
      stage: config.stage,
      bedrock: this.bedrockAccess,
      eventBus,
      throttlingRateLimit: config.api.throttlingRateLimit,
      throttlingBurstLimit: config.api.throttlingBurstLimit,
      manageCloudWatchRole: config.api.manageCloudWatchRole,
      memorySize: config.chat.memorySize,
      timeout: config.chat.timeout,
      ...(config.chat.provisionedConcurrency !== undefined
        ? { provisionedConcurrency: config.chat.provisionedConcurrency }
        : {}),
      chatDeadlineMs: config.chat.deadlineMs,
      responseCacheTtlSeconds: config.chat.responseCacheTtlSeconds,
      logRetention: config.logRetention,
      logRemovalPolicy: config.removalPolicy,
      tracing: config.tracing,
    });
  }
}
