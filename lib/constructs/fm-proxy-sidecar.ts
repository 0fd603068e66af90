import { isServiceName } from '@mangaassist/orchestrator';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  type ContainerDefinition,
  ContainerDependencyCondition,
  type ContainerImage,
  type FargateTaskDefinition,
  type LogDriver,
  Protocol,
} from 'aws-cdk-lib/aws-ecs';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { orchestratorImage } from './orchestrator-image.js';
import { nodeHealthCheck, orchestratorPorts } from './orchestrator-service.js';

export interface FmProxySidecarProps {
  /** The task definition of the service that gets the proxy beside its own container. */
  readonly taskDefinition: FargateTaskDefinition;
  /**
   * The name the proxy counts the service's usage and cost under (tenant `svc-<name>`), sent on
   * its behalf when the app's requests do not name themselves. Lower-case letters, digits, `-`.
   */
  readonly serviceName: string;
  /** The chat platform's settings (tables, Redis, tenants, models), as the orchestrator gets them. */
  readonly environment: Readonly<Record<string, string>>;
  /** Bedrock permission for the task role: every model of the catalog. */
  readonly bedrock: BedrockInvokeAccess;
  /** Conversation turns (the chat route keeps sessions). */
  readonly sessionsTable: ITable;
  /** Where the gateway's `InferenceCompleted` go. */
  readonly eventBus: IEventBus;
  /** Where the proxy's logs go (and its EMF metrics). */
  readonly logging: LogDriver;
  /** @default - the orchestrator's image, built at deploy time */
  readonly image?: ContainerImage;
  /** @default 256 */
  readonly memoryReservationMiB?: number;
}

/**
 * The seed's sidecar pattern, without a service mesh: the FM proxy (the orchestrator's image)
 * as a second container of any Fargate task, so that the task's own container calls
 * `http://localhost:8080/v1/chat` (or `/v1/chat/stream`, the task routes) and gets the gateway's
 * routing, cache, failover and cost accounting with no code of its own. Both containers share the
 * task's network namespace; nothing outside the task reaches the proxy unless the task's
 * security group admits its port.
 *
 * The proxy counts every call to `svc-<serviceName>` unless a request names another service in
 * `x-calling-service`. The task role gets the Bedrock grants, the sessions table and PutEvents;
 * the proxy's container is essential (the app depends on it), read-only, and starts before the
 * app's containers are marked as depending on it healthy (`dependOn`).
 */
export class FmProxySidecar extends Construct {
  readonly container: ContainerDefinition;
  /** The URL the task's own containers call the proxy at. */
  readonly url = `http://localhost:${orchestratorPorts.fmProxy}`;

  constructor(scope: Construct, id: string, props: FmProxySidecarProps) {
    super(scope, id);
    if (!isServiceName(props.serviceName)) {
      throw new Error(`serviceName must be lower-case letters, digits and "-", got ${props.serviceName}`);
    }
    const task = props.taskDefinition;
    this.container = task.addContainer('FmProxy', {
      containerName: 'fm-proxy',
      image: props.image ?? orchestratorImage(this),
      essential: true,
      readonlyRootFilesystem: true,
      memoryReservationMiB: props.memoryReservationMiB ?? 256,
      environment: {
        ...props.environment,
        FM_PROXY_PORT: String(orchestratorPorts.fmProxy),
        // The task's own container may listen on 8000: the sidecar opens the proxy's port only.
        FM_PROXY_ONLY: 'true',
        FM_PROXY_DEFAULT_SERVICE: props.serviceName,
        DRAIN_MS: '20000',
      },
      portMappings: [{ containerPort: orchestratorPorts.fmProxy, protocol: Protocol.TCP }],
      healthCheck: nodeHealthCheck(orchestratorPorts.fmProxy, '/readyz'),
      stopTimeout: Duration.seconds(30),
      logging: props.logging,
    });
    props.bedrock.grantInvoke(task.taskRole);
    props.sessionsTable.grantReadWriteData(task.taskRole);
    props.eventBus.grantPutEventsTo(task.taskRole);
  }

  /** Starts `container` only once the proxy answers `/readyz` (ECS `dependsOn` HEALTHY). */
  serve(container: ContainerDefinition): void {
    container.addContainerDependencies({
      container: this.container,
      condition: ContainerDependencyCondition.HEALTHY,
    });
  }
}
