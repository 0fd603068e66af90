import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { settlesWithin } from '@mangaassist/commons/testing';
import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { orchestratorImageContext } from '../../../lib/constructs/orchestrator-image.js';
import {
  adotCollectorImage,
  OrchestratorService,
  OrchestratorServiceError,
  type OrchestratorServiceProps,
} from '../../../lib/constructs/orchestrator-service.js';
import { asList, resourcesOf, roleStatements, unitTestApp } from '../support.js';

function build(props: Partial<OrchestratorServiceProps> = {}, app: App = unitTestApp()) {
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  const group = new SecurityGroup(stack, 'CacheClients', { vpc });
  new OrchestratorService(stack, 'Orchestrator', {
    stage: 'dev',
    network: { vpc, subnets: { subnetGroupName: 'functions' }, securityGroups: [group] },
    environment: { STAGE: 'dev', SESSIONS_TABLE: 'mangaassist-dev-sessions' },
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    sessionsTable: new Table(stack, 'Sessions', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
    eventBus: new EventBus(stack, 'Bus'),
    desiredCount: 2,
    maxCount: 6,
    image: ContainerImage.fromRegistry('example.com/orchestrator:test'),
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();

interface ContainerDefinition {
  Name: string;
  Image: unknown;
  Essential?: boolean;
  ReadonlyRootFilesystem?: boolean;
  StopTimeout?: number;
  Environment?: { Name: string; Value: unknown }[];
  PortMappings?: { Name?: string; ContainerPort: number; AppProtocol?: string }[];
  HealthCheck?: { Command: string[] };
  LogConfiguration?: { LogDriver: string };
  DependsOn?: { ContainerName: string; Condition: string }[];
}

function containers(): ContainerDefinition[] {
  const [definition] = resourcesOf<{ ContainerDefinitions: ContainerDefinition[] }>(
    template,
    'AWS::ECS::TaskDefinition',
  );
  return definition?.properties.ContainerDefinitions ?? [];
}

const container = (name: string) => {
  const found = containers().find((candidate) => candidate.Name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
};

const environmentOf = (definition: ContainerDefinition) =>
  Object.fromEntries((definition.Environment ?? []).map(({ Name, Value }) => [Name, Value]));

describe('OrchestratorService', () => {
  it('runs a cluster with Container Insights and a Service Connect namespace for the FM proxy', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'mangaassist-dev-orchestrator',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
    });
    template.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', {
      Name: 'mangaassist-dev.internal',
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: {
        Enabled: true,
        Namespace: 'mangaassist-dev.internal',
        Services: [
          {
            PortName: 'fm-proxy',
            ClientAliases: [{ DnsName: 'fm-proxy', Port: 8080 }],
            Timeout: { PerRequestTimeoutSeconds: 0, IdleTimeoutSeconds: 360 },
          },
        ],
      },
    });
  });

  it('runs the tasks on Graviton in the private subnets, rolling with the circuit breaker and rollback', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '1024',
      Memory: '2048',
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      // Left to auto scaling's minimum, so that a deploy never resets a scaled-out service.
      DesiredCount: Match.absent(),
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
      EnableExecuteCommand: false,
    });
  });

  it('runs the app read-only, with both ports, its health check, its drain under the stop timeout and its logs', () => {
    const app = container('orchestrator');

    expect(app).toMatchObject({
      Essential: true,
      ReadonlyRootFilesystem: true,
      StopTimeout: 120,
      PortMappings: [
        expect.objectContaining({ Name: 'api', ContainerPort: 8000, AppProtocol: 'http' }),
        expect.objectContaining({ Name: 'fm-proxy', ContainerPort: 8080, AppProtocol: 'http' }),
      ],
      LogConfiguration: { LogDriver: 'awslogs' },
    });
    expect(app.HealthCheck?.Command.join(' ')).toContain('http://127.0.0.1:8000/healthz');
    expect(environmentOf(app)).toMatchObject({
      STAGE: 'dev',
      SESSIONS_TABLE: 'mangaassist-dev-sessions',
      PORT: '8000',
      FM_PROXY_PORT: '8080',
      DRAIN_MS: '110000',
    });
  });

  it('adds the ADOT collector as a sidecar that may fail without taking the app down', () => {
    const adot = container('adot-collector');

    expect(adot).toMatchObject({ Essential: false, ReadonlyRootFilesystem: true, Image: adotCollectorImage });
    expect(String(environmentOf(adot).AOT_CONFIG_CONTENT)).toContain('awsxray');
    // Started before the app, so stopped after it: the drain's last spans reach the collector.
    expect(container('orchestrator').DependsOn).toEqual([
      { ContainerName: 'adot-collector', Condition: 'START' },
    ]);
  });

  it('lets the tasks call the models, use the sessions table, put events and write traces, nothing more', () => {
    const actions = roleStatements(template, 'OrchestratorTaskDefinitionTaskRole').flatMap((statement) =>
      asList(statement.Action),
    );

    expect(actions).toEqual(
      expect.arrayContaining([
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'events:PutEvents',
        'xray:PutTraceSegments',
      ]),
    );
    expect(actions.filter((action) => /^(s3|sqs|states|secretsmanager|iam):/.test(action))).toEqual([]);
    expect(actions.filter((action) => action.endsWith(':*'))).toEqual([]);
  });

  it('scales on the open streams per task, reported by the tasks', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: Match.objectLike({
          Namespace: 'MangaAssist/Orchestrator',
          MetricName: 'ActiveStreams',
          Dimensions: [{ Name: 'Stage', Value: 'dev' }],
          Statistic: 'Average',
        }),
        TargetValue: 500,
      }),
    });
  });

  it('scales on CPU and memory between the desired and the largest count', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    for (const [metric, target] of [
      ['ECSServiceAverageCPUUtilization', 60],
      ['ECSServiceAverageMemoryUtilization', 70],
    ] as const) {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: metric },
          TargetValue: target,
        }),
      });
    }
  });

  it('admits nothing to the tasks until a client is allowed the FM proxy port', () => {
    const stack = new Stack(unitTestApp(), 'Clients');
    const vpc = new Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: SubnetType.PRIVATE_ISOLATED }],
    });
    const service = new OrchestratorService(stack, 'Orchestrator', {
      stage: 'dev',
      network: { vpc, subnets: { subnetGroupName: 'private' }, securityGroups: [] },
      environment: {},
      bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
      sessionsTable: new Table(stack, 'Sessions', {
        partitionKey: { name: 'pk', type: AttributeType.STRING },
      }),
      eventBus: new EventBus(stack, 'Bus'),
      desiredCount: 1,
      maxCount: 1,
      image: ContainerImage.fromRegistry('example.com/orchestrator:test'),
    });
    // Without a client, no rule admits anything (the shared template has none either).
    expect(Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress'))).toEqual([]);

    const client = new SecurityGroup(stack, 'Recommender', { vpc, allowAllOutbound: false });
    service.allowFmProxyFrom(client);

    const after = Template.fromStack(stack);
    after.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Recommender'), 'GroupId'] },
    });
    after.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 8080, ToPort: 8080 });
  });

  it('refuses a stop timeout ECS does not allow and counts that cannot scale', () => {
    expect(() => build({ stopTimeout: Duration.seconds(121) })).toThrow(OrchestratorServiceError);
    expect(() => build({ stopTimeout: Duration.seconds(5) })).toThrow(OrchestratorServiceError);
    expect(() => build({ desiredCount: 0 })).toThrow(OrchestratorServiceError);
    expect(() => build({ desiredCount: 3, maxCount: 2 })).toThrow(OrchestratorServiceError);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(
      stack.node.findChild('Orchestrator'),
    ).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});

describe('the orchestrator image', () => {
  it('bundles the container entry point beside its Dockerfile, as a linux/arm64 image asset', () => {
    const directory = orchestratorImageContext();

    expect(existsSync(path.join(directory, 'main.mjs'))).toBe(true);
    expect(readFileSync(path.join(directory, 'Dockerfile'), 'utf8')).toContain('distroless/nodejs22');
    const app = new App();
    build({ image: undefined }, app);
    const manifests = app.synth().artifacts.filter((artifact) => artifact instanceof AssetManifestArtifact);
    const images = manifests.flatMap((manifest) => Object.values(manifest.contents.dockerImages ?? {}));

    expect(images.map((image) => image.source)).toEqual([
      expect.objectContaining({ platform: 'linux/arm64', directory: expect.stringMatching(/^asset\./) }),
    ]);
  });

  it('runs as the container runs it: node main.mjs answers /healthz, traces to OTLP, stops with 0 on SIGTERM', async () => {
    const [api, proxy] = await Promise.all([freePort(), freePort()]);
    // The ADOT sidecar's OTLP/HTTP receiver, as far as the app can tell.
    const exports: string[] = [];
    const collector = createHttpServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        if (request.url === '/v1/traces') exports.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const collectorPort = (collector.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['main.mjs'], {
      cwd: orchestratorImageContext(),
      env: {
        PATH: process.env.PATH,
        PORT: String(api),
        FM_PROXY_PORT: String(proxy),
        DRAIN_MS: '0',
        AWS_REGION: 'ap-northeast-1',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        OTEL_TRACES_SAMPLER_ARG: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect
        .poll(() => output, { timeout: 10_000, message: 'main.mjs never said it listens' })
        .toContain('orchestrator listening');
      const [healthy, ready] = await Promise.all([
        fetch(`http://127.0.0.1:${api}/healthz`),
        fetch(`http://127.0.0.1:${proxy}/readyz`),
      ]);
      expect([healthy.status, ready.status]).toEqual([200, 200]);
      const unrouted = await fetch(`http://127.0.0.1:${api}/v1/nothing`, { method: 'POST', body: '{}' });
      expect(unrouted.status).toBe(404);

      child.kill('SIGTERM');

      expect(await settlesWithin(exited, 10_000, 'the process after SIGTERM')).toBe(0);
      expect(output).toContain('orchestrator stopped');
      // Sent by the shutdown, before the exit.
      const spans = exports.join('\n');
      expect(spans).toContain('"mangaassist-orchestrator"');
      expect(spans).toContain('"url.path"');
      expect(spans).toContain('/v1/nothing');
    } finally {
      child.kill('SIGKILL');
      collector.close();
    }
  });

  it('leaves the bundle out of a stack whose assets are not bundled', () => {
    expect(stack.bundlingRequired).toBe(false);
  });
});

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
