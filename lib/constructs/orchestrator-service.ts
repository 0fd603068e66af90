import { orchestratorMetricsNamespace } from '@mangaassist/orchestrator';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IConnectable, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import {
  AppProtocol,
  Cluster,
  ContainerDependencyCondition,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  type HealthCheck,
  LogDrivers,
  OperatingSystemFamily,
  Protocol,
} from 'aws-cdk-lib/aws-ecs';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { NamespaceType } from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { BedrockInvokeAccess } from './bedrock-invoke-access.js';
import { orchestratorImage } from './orchestrator-image.js';
import type { OrchestratorIngress } from './orchestrator-ingress.js';
import type { FunctionNetwork } from './platform-function.js';

export class OrchestratorServiceError extends Error {
  override readonly name = 'OrchestratorServiceError';
}

/** The container ports the orchestrator listens on (`PORT`, `FM_PROXY_PORT`). */
export const orchestratorPorts = { api: 8000, fmProxy: 8080 } as const;

/** The name other services of the namespace call the FM proxy by: `http://fm-proxy:8080`. */
export const fmProxyDnsName = 'fm-proxy';

/** The ADOT collector the sidecar runs (AWS Distro for OpenTelemetry), pinned. */
export const adotCollectorImage = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0';

/**
 * The collector's configuration (`AOT_CONFIG_CONTENT`): OTLP from the app on the task's loopback,
 * batched, to X-Ray. Metrics need no collector: the app writes them as EMF to its log stream.
 */
const adotConfig = `extensions:
  health_check:
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318
processors:
  batch:
exporters:
  awsxray:
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [awsxray]
`;

/**
 * A container health check of the orchestrator's image: the distroless image has no shell and no
 * curl, so Node asks `path` on the task's loopback itself.
 */
export function nodeHealthCheck(port: number, path: string): HealthCheck {
  return {
    command: [
      'CMD',
      '/nodejs/bin/node',
      '-e',
      `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
    ],
    interval: Duration.seconds(15),
    timeout: Duration.seconds(5),
    retries: 3,
    startPeriod: Duration.seconds(20),
  };
}

export interface OrchestratorServiceProps {
  /** Deployment stage: the cluster is `mangaassist-<stage>-orchestrator`. */
  readonly stage: string;
  /** The VPC and the private subnets and security groups the tasks run in (the cache admits them). */
  readonly network: FunctionNetwork;
  /** The chat platform's settings, as the chat functions get them (tables, Redis, tenants, models). */
  readonly environment: Readonly<Record<string, string>>;
  /** Bedrock permission: the tasks call every model of the catalog, as the chat doors do. */
  readonly bedrock: BedrockInvokeAccess;
  /** Conversation turns, read and written. */
  readonly sessionsTable: ITable;
  /** Where the gateway's `InferenceCompleted` go. */
  readonly eventBus: IEventBus;
  /** Tasks while idle; also the fewest auto scaling leaves (2 or more spreads them over AZs). */
  readonly desiredCount: number;
  /** The most tasks auto scaling starts. */
  readonly maxCount: number;
  /**
   * Open streams per task auto scaling aims at (the tasks' `ActiveStreams` metric, averaged).
   * @default 500
   */
  readonly streamsPerTask?: number;
  /**
   * WebSocket answers per task auto scaling aims at, where the tasks consume the WebSocket message
   * queue (their `WebSocketAnswers` metric, averaged): under the answers one task streams at once,
   * so that the service grows before messages wait in the queue.
   * @default - the tasks answer no WebSocket messages: no such policy
   */
  readonly webSocketAnswersPerTask?: number;
  /** vCPU units (1024 = 1 vCPU) of a task. @default 1024 */
  readonly cpu?: number;
  /** MiB of a task. @default 2048 */
  readonly memoryLimitMiB?: number;
  /**
   * How long ECS waits after SIGTERM before it kills the app (10 to 120 s); the app drains open
   * streams for 10 s less, then ends the rest and sends its pending events. @default Duration.seconds(120)
   */
  readonly stopTimeout?: Duration;
  /**
   * The REST API's way in (`OrchestratorIngress`): the tasks register with its target group and
   * admit its load balancer on the public port.
   * @default - no public listener in use: the FM proxy only
   */
  readonly ingress?: OrchestratorIngress;
  /** @default - the bundle of `packages/orchestrator/src/main.ts`, built at deploy time */
  readonly image?: ContainerImage;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The Fargate orchestrator (`packages/orchestrator`): the chat and task endpoints on long-running
 * tasks (no 29-second bound on a stream) and the internal FM proxy.
 *
 * - ECS cluster with Container Insights (enhanced) and a Service Connect namespace
 *   (`mangaassist-<stage>.internal`): services that join it call `http://fm-proxy:8080`.
 * - Fargate service on Graviton (linux/arm64) in the private subnets, `desiredCount` tasks
 *   (ECS spreads them over the AZs), rolling deployments that keep every task until its
 *   replacement is healthy, the deployment circuit breaker with rollback, target tracking on CPU
 *   (60 %), memory (70 %) and open streams per task (`streamsPerTask`) up to `maxCount`.
 * - The app container: read-only root filesystem, a non-root distroless image, `/healthz` as its
 *   health check, logs (and EMF metrics) to its own log group; an ADOT collector sidecar (not
 *   essential) sends the traces it receives over OTLP to X-Ray.
 * - The task role may invoke the catalog's models (the Bedrock grants construct), read and write
 *   sessions, put events on the bus and write traces; the execution role pulls the image and
 *   writes the logs, nothing else.
 */
export class OrchestratorService extends Construct {
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly service: FargateService;
  readonly logGroup: LogGroup;
  /** The tasks' own group: nothing may reach them until `allowFmProxyFrom`. */
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: OrchestratorServiceProps) {
    super(scope, id);
    const stopTimeout = props.stopTimeout ?? Duration.seconds(120);
    const stopSeconds = stopTimeout.toSeconds();
    if (stopSeconds < 10 || stopSeconds > 120) {
      throw new OrchestratorServiceError(
        `stopTimeout must be 10 to 120 s (ECS allows 2 to 120), got ${stopSeconds} s`,
      );
    }
    if (
      !Number.isInteger(props.desiredCount) ||
      props.desiredCount < 1 ||
      props.maxCount < props.desiredCount
    ) {
      throw new OrchestratorServiceError(
        `desiredCount must be a positive integer no larger than maxCount, got ${props.desiredCount} and ${props.maxCount}`,
      );
    }
    const name = `mangaassist-${props.stage}-orchestrator`;

    this.cluster = new Cluster(this, 'Cluster', {
      clusterName: name,
      vpc: props.network.vpc,
      containerInsightsV2: ContainerInsights.ENHANCED,
      defaultCloudMapNamespace: {
        name: `mangaassist-${props.stage}.internal`,
        type: NamespaceType.HTTP,
        useForServiceConnect: true,
      },
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      family: name,
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    const app = this.taskDefinition.addContainer('App', {
      containerName: 'orchestrator',
      image: props.image ?? orchestratorImage(this),
      essential: true,
      readonlyRootFilesystem: true,
      stopTimeout,
      environment: {
        ...props.environment,
        PORT: String(orchestratorPorts.api),
        FM_PROXY_PORT: String(orchestratorPorts.fmProxy),
        // 10 s under the stop timeout: the ends of the streams still open, and the pending events.
        DRAIN_MS: String((stopSeconds - 10) * 1000),
        // The sidecar's OTLP endpoint on the task's loopback.
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        // What the SDK clients and the cache's IAM tokens sign for (Lambda sets it; ECS may not).
        AWS_REGION: Stack.of(this).region,
      },
      portMappings: [
        {
          name: 'api',
          containerPort: orchestratorPorts.api,
          protocol: Protocol.TCP,
          appProtocol: AppProtocol.http,
        },
        {
          name: fmProxyDnsName,
          containerPort: orchestratorPorts.fmProxy,
          protocol: Protocol.TCP,
          appProtocol: AppProtocol.http,
        },
      ],
      healthCheck: nodeHealthCheck(orchestratorPorts.api, '/healthz'),
      logging: LogDrivers.awsLogs({ streamPrefix: 'app', logGroup: this.logGroup }),
    });
    const collector = this.taskDefinition.addContainer('AdotCollector', {
      containerName: 'adot-collector',
      image: ContainerImage.fromRegistry(adotCollectorImage),
      // Traces are worth losing before answers: the app runs on without it.
      essential: false,
      readonlyRootFilesystem: true,
      memoryReservationMiB: 128,
      environment: { AOT_CONFIG_CONTENT: adotConfig },
      logging: LogDrivers.awsLogs({ streamPrefix: 'adot', logGroup: this.logGroup }),
    });
    // ECS stops a task's containers in the reverse order of their dependencies: the collector
    // outlives the app's drain, so the spans of the requests the drain ends still reach it.
    app.addContainerDependencies({ container: collector, condition: ContainerDependencyCondition.START });

    const taskRole = this.taskDefinition.taskRole;
    props.bedrock.grantInvoke(taskRole);
    props.sessionsTable.grantReadWriteData(taskRole);
    props.eventBus.grantPutEventsTo(taskRole);
    taskRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        resources: ['*'],
      }),
    );

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.network.vpc,
      description: `MangaAssist ${props.stage} orchestrator tasks: the FM proxy port from its callers only`,
      // Egress is the network's groups' (HTTPS to AWS APIs, the cache port).
      allowAllOutbound: false,
    });
    this.service = new FargateService(this, 'Service', {
      serviceName: name,
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // No DesiredCount: a deploy would reset a scaled-out service to it. Auto scaling's minimum
      // (`desiredCount`) raises a new service to it, and keeps it there.
      vpcSubnets: props.network.subnets,
      securityGroups: [this.securityGroup, ...props.network.securityGroups],
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      serviceConnectConfiguration: {
        logDriver: LogDrivers.awsLogs({ streamPrefix: 'service-connect', logGroup: this.logGroup }),
        services: [
          {
            portMappingName: fmProxyDnsName,
            dnsName: fmProxyDnsName,
            port: orchestratorPorts.fmProxy,
            // Envoy's HTTP default (15 s a request) would cut streams and long answers: none, and
            // idle connections kept past the 15 s keep-alive comments.
            perRequestTimeout: Duration.seconds(0),
            idleTimeout: Duration.minutes(6),
          },
        ],
      },
    });
    if (props.ingress) {
      this.service.attachToNetworkTargetGroup(props.ingress.targetGroup);
      this.securityGroup.connections.allowFrom(
        props.ingress.securityGroup,
        Port.tcp(orchestratorPorts.api),
        'the REST API, through its VPC link and load balancer',
      );
    }
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.desiredCount,
      maxCapacity: props.maxCount,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.minutes(5),
    });
    // Waiting streams cost little CPU: the open streams per task say more about load.
    const trackPerTask = (metricName: string, targetValue: number) =>
      scaling.scaleToTrackCustomMetric(metricName, {
        metric: new Metric({
          namespace: orchestratorMetricsNamespace,
          metricName,
          dimensionsMap: { Stage: props.stage },
          statistic: 'Average',
          period: Duration.minutes(1),
        }),
        targetValue,
        scaleOutCooldown: Duration.seconds(60),
        scaleInCooldown: Duration.minutes(5),
      });
    trackPerTask('ActiveStreams', props.streamsPerTask ?? 500);
    if (props.webSocketAnswersPerTask !== undefined) {
      trackPerTask('WebSocketAnswers', props.webSocketAnswersPerTask);
    }
    scaling.scaleOnMemoryUtilization('Memory', {
      targetUtilizationPercent: 70,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.minutes(5),
    });

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds configuration only (table and bus names, the Redis URL of an in-VPC cache with TLS, model catalog, tenant ids and budgets); no secret is passed this way.',
    });
    Validations.of(taskRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace and sampling actions support no resource-level permission.',
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports no resource-level permission; the image pulls themselves are granted on the asset repository only.',
    });
  }

  /**
   * Lets `client` (another service's tasks, joined to the namespace) call the FM proxy at
   * `http://fm-proxy:8080`: Service Connect's proxy opens the connection from the client's task.
   */
  allowFmProxyFrom(client: IConnectable): void {
    this.securityGroup.connections.allowFrom(client, Port.tcp(orchestratorPorts.fmProxy), 'the FM proxy');
  }
}
