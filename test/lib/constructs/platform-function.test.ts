import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  assertBundlingNode,
  PlatformFunction,
  type PlatformFunctionProps,
} from '../../../lib/constructs/platform-function.js';
import { asList, policyStatements, unitTestApp } from '../support.js';

function build(props: Partial<PlatformFunctionProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const fn = new PlatformFunction(stack, 'Fn', { entry: 'test/lib/fixtures/noop-handler.ts', ...props });
  return { fn, stack, template: Template.fromStack(stack) };
}

describe('PlatformFunction', () => {
  it('runs Node.js 22 on arm64 with X-Ray active tracing', () => {
    build().template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
    });
  });

  it('defaults to 1024 MB and a 29 s timeout, and takes overrides', () => {
    build().template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 29 });
    build({ memorySize: 512, timeout: Duration.seconds(10) }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { MemorySize: 512, Timeout: 10 },
    );
  });

  it('passes the handler environment as given, with no source-map flag to slow the cold start', () => {
    build({ environment: { MANGA_ENV: 'dev' } }).template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectEquals({ MANGA_ENV: 'dev' }) },
    });
  });

  /** Synthesizes one function of `entry` with bundling on: its asset files, source maps and SDK clients. */
  function bundled(entry: string) {
    const outdir = mkdtempSync(path.join(tmpdir(), 'platform-function-'));
    try {
      const app = new App({
        outdir,
        context: { ...unitTestApp().node.getAllContext(), 'aws:cdk:bundling-stacks': ['**'] },
      });
      new PlatformFunction(new Stack(app, 'Bundled'), 'Fn', { entry });
      app.synth();
      const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
      const bundle = readFileSync(path.join(outdir, assets[0] ?? '', 'index.mjs'), 'utf8');
      // Every SDK client names its service; the default credential chain would add STS, SSO, SSO OIDC, Signin.
      const services = [...bundle.matchAll(/serviceId\?\?"([A-Za-z0-9 ]+)"/g)].map((match) => match[1]);
      return {
        assets,
        assetFiles: readdirSync(path.join(outdir, assets[0] ?? '')),
        sha: createHash('sha256').update(bundle).digest('hex').slice(0, 12),
        sourceMaps: readdirSync(path.join(outdir, 'source-maps')),
        sdkClients: [...new Set(services)],
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('bundles one minified ESM file with only the SDK clients it calls, its source map out of the zip', () => {
    const { assets, assetFiles, sha, sourceMaps, sdkClients } = bundled(
      'test/lib/fixtures/dynamodb-handler.ts',
    );
    expect(assets).toHaveLength(1);
    expect(assetFiles).toEqual(['index.mjs']);
    expect(sourceMaps).toEqual([`Bundled.Fn.${sha}.mjs.map`]);
    expect(sdkClients).toEqual(['DynamoDB']);
  });

  it('leaves the SSO token client out of a Bedrock bundle', () => {
    expect(bundled('test/lib/fixtures/bedrock-handler.ts').sdkClients).toEqual(['Bedrock Runtime']);
  });

  it('refuses to bundle on a Node.js older than 22.6, saying which it needs', () => {
    expect(() => assertBundlingNode('22.5.1')).toThrow(
      'Bundling the Lambda functions needs Node.js 22.6 or later; this is 22.5.1.',
    );
    expect(() => assertBundlingNode('20.19.0')).toThrow('needs Node.js 22.6 or later');
    expect(() => assertBundlingNode('22.6.0')).not.toThrow();
    expect(() => assertBundlingNode('24.1.0')).not.toThrow();
  });

  it('logs to its own log group with the given retention', () => {
    const { template } = build({ logRetention: RetentionDays.TWO_WEEKS });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogs') } },
    });
  });

  it('gives its role no AWS managed policy and log permissions on its own log group only', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const logStatements = policyStatements(template).filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('logs:')),
    );
    expect(logStatements).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FnLogs/), 'Arn'] },
      }),
    ]);
  });

  it('switches tracing off when asked', () => {
    build({ tracing: false }).template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: Match.absent(),
    });
  });

  it('publishes a live alias carrying provisioned concurrency and makes it the invocation target', () => {
    const { fn, template } = build({ provisionedConcurrentExecutions: 2 });
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    expect(fn.invocationTarget).toBe(fn.alias);
  });

  it('publishes a cold live alias when asked, so what points at it outlives provisioning changes', () => {
    const { fn, template } = build({ liveAlias: true });
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: Match.absent(),
    });
    expect(fn.invocationTarget).toBe(fn.alias);
  });

  it('publishes no alias without provisioned concurrency and is invoked directly', () => {
    const { fn, template } = build();
    template.resourceCountIs('AWS::Lambda::Alias', 0);
    expect(fn.invocationTarget).toBe(fn.function);
  });

  it('reserves concurrency only when asked', () => {
    build().template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
    build({ reservedConcurrentExecutions: 5 }).template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 5,
    });
  });
});

describe('PlatformFunction in a VPC', () => {
  function buildInVpc() {
    const stack = new Stack(unitTestApp(), 'Test');
    const vpc = new Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'functions', subnetType: SubnetType.PRIVATE_ISOLATED }],
    });
    const group = new SecurityGroup(stack, 'Group', { vpc, allowAllOutbound: false });
    new PlatformFunction(stack, 'Fn', {
      entry: 'test/lib/fixtures/noop-handler.ts',
      network: { vpc, subnets: { subnetGroupName: 'functions' }, securityGroups: [group] },
    });
    return { stack, vpc, group, template: Template.fromStack(stack) };
  }

  it('runs in the given subnets with the given security groups only', () => {
    const { stack, vpc, group, template } = buildInVpc();
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: vpc.isolatedSubnets.map((subnet) => stack.resolve(subnet.subnetId)),
        SecurityGroupIds: [
          { 'Fn::GetAtt': [stack.getLogicalId(group.node.defaultChild as never), 'GroupId'] },
        ],
      },
    });
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
  });

  it('gets the network-interface permissions inline instead of the AWS managed VPC policy', () => {
    const { template } = buildInVpc();
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const ec2 = policyStatements(template).filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('ec2:')),
    );
    expect(ec2).toEqual([
      expect.objectContaining({
        Resource: '*',
        Action: expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']),
      }),
    ]);
  });

  it('is created only after its role may create network interfaces', () => {
    const { template } = buildInVpc();
    const [policy] = Object.keys(template.findResources('AWS::IAM::Policy'));
    template.hasResource('AWS::Lambda::Function', { DependsOn: Match.arrayWith([policy]) });
  });

  it('gets no network permissions outside a VPC', () => {
    const actions = policyStatements(build().template).flatMap((statement) => asList(statement.Action));
    expect(actions.filter((action) => action.startsWith('ec2:'))).toEqual([]);
  });
});
