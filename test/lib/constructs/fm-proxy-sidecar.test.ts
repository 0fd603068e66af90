import { defaultRegionTargets } from '@mangaassist/fm-gateway/catalog';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { ContainerImage, FargateTaskDefinition, LogDrivers } from 'aws-cdk-lib/aws-ecs';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BedrockInvokeAccess } from '../../../lib/constructs/bedrock-invoke-access.js';
import { FmProxySidecar, type FmProxySidecarProps } from '../../../lib/constructs/fm-proxy-sidecar.js';
import { asList, resourcesOf, unitTestApp } from '../support.js';

function build(props: Partial<FmProxySidecarProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test', {
    env: { account: '123456789012', region: 'ap-northeast-1' },
  });
  const taskDefinition = new FargateTaskDefinition(stack, 'CatalogApi', { cpu: 512, memoryLimitMiB: 1024 });
  const logs = new LogGroup(stack, 'Logs');
  const app = taskDefinition.addContainer('App', {
    containerName: 'catalog-api',
    image: ContainerImage.fromRegistry('example.com/catalog-api:1'),
    logging: LogDrivers.awsLogs({ streamPrefix: 'app', logGroup: logs }),
  });
  const sidecar = new FmProxySidecar(stack, 'FmProxy', {
    taskDefinition,
    serviceName: 'catalog-api',
    environment: { MANGA_ENV: 'dev', SESSIONS_TABLE: 'mangaassist-dev-sessions' },
    bedrock: new BedrockInvokeAccess(stack, 'Bedrock', { regionTargets: defaultRegionTargets }),
    sessionsTable: new Table(stack, 'Sessions', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
    eventBus: new EventBus(stack, 'Bus'),
    logging: LogDrivers.awsLogs({ streamPrefix: 'fm-proxy', logGroup: logs }),
    image: ContainerImage.fromRegistry('example.com/orchestrator:test'),
    ...props,
  });
  sidecar.serve(app);
  return { stack, sidecar, template: Template.fromStack(stack) };
}

interface ContainerDefinition {
  Name: string;
  Essential?: boolean;
  ReadonlyRootFilesystem?: boolean;
  Environment?: { Name: string; Value: unknown }[];
  PortMappings?: { ContainerPort: number }[];
  HealthCheck?: { Command: string[] };
  DependsOn?: { ContainerName: string; Condition: string }[];
}

describe('FmProxySidecar', () => {
  const { stack, sidecar, template } = build();
  const [definition] = resourcesOf<{ ContainerDefinitions: ContainerDefinition[] }>(
    template,
    'AWS::ECS::TaskDefinition',
  );
  const containers = definition?.properties.ContainerDefinitions ?? [];
  const proxy = containers.find((container) => container.Name === 'fm-proxy');
  const app = containers.find((container) => container.Name === 'catalog-api');

  it('runs the proxy beside the app, on its own port only, counting calls to the service', () => {
    expect(sidecar.url).toBe('http://localhost:8080');
    expect(proxy).toMatchObject({
      Essential: true,
      ReadonlyRootFilesystem: true,
      PortMappings: [expect.objectContaining({ ContainerPort: 8080 })],
    });
    expect(
      Object.fromEntries((proxy?.Environment ?? []).map(({ Name, Value }) => [Name, Value])),
    ).toMatchObject({
      MANGA_ENV: 'dev',
      FM_PROXY_PORT: '8080',
      FM_PROXY_ONLY: 'true',
      FM_PROXY_DEFAULT_SERVICE: 'catalog-api',
    });
    expect(proxy?.HealthCheck?.Command.join(' ')).toContain('http://127.0.0.1:8080/readyz');
  });

  it('starts the app once the proxy is ready', () => {
    expect(app?.DependsOn).toEqual([{ ContainerName: 'fm-proxy', Condition: 'HEALTHY' }]);
  });

  it('lets the task call the models, keep sessions and put events', () => {
    const actions = resourcesOf<{ PolicyDocument: { Statement: { Action: string | string[] }[] } }>(
      template,
      'AWS::IAM::Policy',
    ).flatMap((policy) =>
      policy.properties.PolicyDocument.Statement.flatMap((statement) => asList(statement.Action)),
    );

    expect(actions).toEqual(
      expect.arrayContaining(['bedrock:InvokeModel', 'dynamodb:PutItem', 'events:PutEvents']),
    );
  });

  it('refuses a service name the proxy could not count usage under', () => {
    expect(() => build({ serviceName: 'Catalog API' })).toThrow('serviceName');
  });

  it('adds no AwsSolutions finding of its own', () => {
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(
      stack.node.findChild('FmProxy'),
    ).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});
