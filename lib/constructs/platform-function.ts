import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stage, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import {
  type IGrantable,
  type IPrincipal,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { type Alias, Architecture, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The monorepo root: esbuild's working directory and where the lock file lives. */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Moves a bundle's source map out of its asset (see the file). */
const keepSourceMap = path.join(repositoryRoot, 'lib/bundling/keep-source-map.mjs');

/** Node's built-in modules as the bundles load them: `lib/bundling/node-builtins/<name>.cjs` (`/` as `+`). */
const builtinShims = 'lib/bundling/node-builtins';

/**
 * esbuild aliases of the Lambda bundles.
 *
 * - The SDK's credential and token chains: their other providers cannot apply in Lambda and bring
 *   STS, SSO, SSO OIDC and Signin clients into every bundle.
 * - Node's built-in modules, through CommonJS shims (`process.getBuiltinModule`): an ESM import of
 *   a built-in builds a facade that reads every export, running the lazy getters behind them.
 *   `node:http`'s `WebSocket` alone loads undici, ~30 ms of every cold start; `node:fs` loads its
 *   streams, `node:process` its stdio. A shim is read only where the code uses it.
 */
export const lambdaBundleAliases: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './lib/bundling/lambda-credential-provider.ts',
  '@aws-sdk/token-providers': './lib/bundling/lambda-token-provider.ts',
  ...Object.fromEntries(
    readdirSync(path.join(repositoryRoot, builtinShims)).flatMap((file) => {
      const name = file.replace(/\.cjs$/, '').replaceAll('+', '/');
      const shim = `./${builtinShims}/${file}`;
      return [
        [`node:${name}`, shim],
        [name, shim],
      ];
    }),
  ),
};

/**
 * ESM bundles have no `require`; CommonJS dependencies (parts of the AWS SDK) call it. Taken from
 * `process.getBuiltinModule`, it needs no import (which could clash with a bundled module's own).
 */
export const requireShim =
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";

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
 * pinned AWS SDK ships inside it, with the environment as its only credential and token
 * provider), its source map kept out of the zip in `cdk.out/source-maps/`.
 *
 * Bundles locally with the repository's esbuild (no Docker), from the repository root and its
 * pnpm lock file.
 */
export class PlatformFunction extends Construct implements IGrantable {
  readonly function: NodejsFunction;
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
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(repositoryRoot, props.entry),
      handler: props.handler ?? 'handler',
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
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'pnpm-lock.yaml'),
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        target: 'node22',
        banner: requireShim,
        minify: true,
        // The map leaves the zip for cdk.out/source-maps/<function>.<bundle sha>.mjs.map, to read a
        // stack trace offline: deployed it would only add to the download, and parsing it at
        // init (--enable-source-maps) costs every cold start ~10 ms.
        sourceMap: true,
        sourcesContent: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [
            `node "${keepSourceMap}" "${outputDir}" "${sourceMapDirectory}" "${sourceMapName}"`,
          ],
        },
        charset: Charset.UTF8,
        // Ship the SDK version the lock file pins instead of the runtime's: bundled and tree-shaken,
        // it also loads faster than the runtime's copy (measured with `pnpm bench`).
        bundleAwsSDK: true,
        externalModules: [],
        // Lambda's credentials (and a Bedrock API key, if any) are in the environment.
        esbuildArgs: Object.fromEntries(
          Object.entries(lambdaBundleAliases).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        forceDockerBundling: false,
      },
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
