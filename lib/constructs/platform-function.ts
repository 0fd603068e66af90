import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stage, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import {
  type IGrantable,
  type IPrincipal,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import {
  type Alias,
  Architecture,
  Code,
  type IFunction,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The monorepo root: esbuild's working directory and where the lock file lives. */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Bundles one handler (see the file); Node runs it in a child process, its types stripped. */
const bundler = path.join(repositoryRoot, 'lib/bundling/bundle-function.ts');

/**
 * Bundling runs the bundler with Node's type stripping (22.6) and the bundles read
 * `process.getBuiltinModule` (22.3): an older Node would fail with a message naming neither.
 */
export function assertBundlingNode(version = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 6)) {
    throw new Error(`Bundling the Lambda functions needs Node.js 22.6 or later; this is ${version}.`);
  }
}

/** Where a function's network interfaces go, for functions that reach resources in a VPC. */
export interface FunctionNetwork {
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  /** Decide what the function may reach; together they should allow only what it needs. */
  readonly securityGroups: readonly ISecurityGroup[];
}

/**
 * What the functions of one API share: logging, tracing, network placement, and environment
 * variables every one of them reads (the cache URL, the tenants).
 */
export type SharedFunctionProps = Pick<
  PlatformFunctionProps,
  'tracing' | 'logRetention' | 'logRemovalPolicy' | 'network' | 'environment'
>;

/**
 * The network-interface actions a function in a VPC needs (those of AWS's
 * AWSLambdaVPCAccessExecutionRole, without its logs permissions on every log group).
 */
const vpcAccessActions = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export interface PlatformFunctionProps {
  /** The handler's TypeScript source, relative to the repository root (`functions/x/src/handler.ts`). */
  readonly entry: string;
  /**
   * Exported name of the handler in `entry`.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * @default - no description
   */
  readonly description?: string;
  /**
   * Memory in MB; Lambda allocates CPU in proportion.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(29) - API Gateway's integration ceiling
   */
  readonly timeout?: Duration;
  /**
   * Environment variables for the handler (names from `@mangaassist/contracts`). Never secrets.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * X-Ray active tracing.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the function is removed.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Concurrency reserved for (and capped at) this function.
   * @default - unreserved: the function draws on the account's shared pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Pre-initialised instances. When set, a `live` alias on the current version carries them and
   * `invocationTarget` is that alias.
   * @default - none: no alias is published (unless `liveAlias`) and callers invoke $LATEST
   */
  readonly provisionedConcurrentExecutions?: number;
  /**
   * Publish the `live` alias even without provisioned concurrency, so what points at it (a
   * function URL registered with a partner) stays the same whether or not instances are kept warm.
   * @default false - an alias only with provisioned concurrency
   */
  readonly liveAlias?: boolean;
  /**
   * Run inside a VPC (to reach the Redis cache). The role then also gets the network-interface
   * permissions Lambda needs.
   * @default - outside any VPC
   */
  readonly network?: FunctionNetwork;
}

/**
 * A Node.js Lambda function with the platform's defaults, so handlers differ only in what they
 * do: Node 22 on arm64, X-Ray active tracing, its own log group with a retention, a role that
 * may write only to that log group (no AWS managed policy; in a VPC, also the network-interface
 * actions Lambda needs), and an esbuild bundle that is ESM, minified and self-contained (the
 * pinned AWS SDK ships inside it, tree-shaken, with the environment as its only credential and
 * token provider), its source map kept out of the zip in `cdk.out/source-maps/`
 * (`lib/bundling/bundle-function.ts`).
 *
 * Bundles locally with the repository's esbuild (no Docker). Shipping the SDK version the lock file
 * pins instead of the runtime's also loads faster than the runtime's copy (measured with `pnpm bench`).
 */
export class PlatformFunction extends Construct implements IGrantable {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** The `live` alias, when provisioned concurrency or `liveAlias` is configured. */
  readonly alias?: Alias;
  /** What integrations should invoke: the `live` alias when there is one, else the function. */
  readonly invocationTarget: IFunction;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    const tracing = props.tracing ?? true;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.grantPrincipal = this.role;
    // Instead of AWSLambdaBasicExecutionRole (logs on every log group): only this one.
    this.logGroup.grantWrite(this.role);
    if (props.network) {
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: vpcAccessActions, resources: ['*'] }));
    }

    const sourceMapDirectory = path.join(
      Stage.of(this)?.outdir ?? path.join(repositoryRoot, 'cdk.out'),
      'source-maps',
    );
    const sourceMapName = this.node.path.replaceAll('/', '.');
    this.function = new LambdaFunction(this, 'Function', {
      code: Code.fromAsset(repositoryRoot, {
        // The bundle's own hash: a change anywhere else in the repository deploys nothing new.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          local: {
            tryBundle: (outputDirectory) => {
              assertBundlingNode();
              execFileSync(
                process.execPath,
                [
                  '--experimental-strip-types',
                  '--disable-warning=ExperimentalWarning',
                  bundler,
                  props.entry,
                  outputDirectory,
                  sourceMapDirectory,
                  sourceMapName,
                ],
                { cwd: repositoryRoot, stdio: ['ignore', 'inherit', 'inherit'] },
              );
              if (!existsSync(path.join(outputDirectory, 'index.mjs'))) {
                throw new Error(`${bundler} wrote no index.mjs for ${props.entry}`);
              }
              return true;
            },
          },
          // Never pulled: the bundle is always built locally, with the repository's esbuild.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
          // What CDK caches a bundle by (it cannot read `local`): one per entry and source map name.
          command: ['node', 'lib/bundling/bundle-function.ts', props.entry, sourceMapName],
        },
      }),
      handler: `index.${props.handler ?? 'handler'}`,
      ...(props.description ? { description: props.description } : {}),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(29),
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.subnets,
            securityGroups: [...props.network.securityGroups],
          }
        : {}),
      ...(props.environment ? { environment: { ...props.environment } } : {}),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    });

    if (props.provisionedConcurrentExecutions !== undefined || props.liveAlias) {
      this.alias = this.function.addAlias('live', {
        ...(props.provisionedConcurrentExecutions !== undefined
          ? { provisionedConcurrentExecutions: props.provisionedConcurrentExecutions }
          : {}),
      });
    }
    this.invocationTarget = this.alias ?? this.function;

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Runtime pinned to nodejs22.x to match the Node 22 used locally and in CI (package.json engines); move to the next LTS runtime together with them.',
    });
    const wildcardReasons = [
      ...(tracing
        ? [
            'Lambda active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
          ]
        : []),
      ...(props.network
        ? [
            'A function in a VPC needs ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, AssignPrivateIpAddresses and UnassignPrivateIpAddresses for its network interfaces; the Describe actions support no resource-level permissions and Lambda names the interfaces it creates only at run time.',
          ]
        : []),
    ];
    if (wildcardReasons.length > 0) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `Resource "*" only where AWS allows nothing narrower: ${wildcardReasons.join(' ')}`,
      });
    }
  }
}
