import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  type ISecurityGroup,
  type IVpc,
  Port,
  SecurityGroup,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { CfnServerlessCache, CfnUser, CfnUserGroup } from 'aws-cdk-lib/aws-elasticache';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

export interface SharedCacheProps {
  /** Deployment stage; the cache is named `mangaassist-<stage>`. */
  readonly stage: string;
  readonly vpc: IVpc;
  /** Subnets in at least two availability zones, ideally without a route out. */
  readonly subnets: SubnetSelection;
  /**
   * Security groups allowed to connect (on the cache port only). More can be added with
   * `allowFrom`.
   * @default - none
   */
  readonly clients?: readonly ISecurityGroup[];
  /**
   * Ceiling on stored data, GB: caps the bill (Serverless bills what is stored).
   * @default 1
   */
  readonly maxDataStorageGb?: number;
  /**
   * Ceiling on ElastiCache Processing Units per second.
   * @default 5000
   */
  readonly maxEcpuPerSecond?: number;
  /**
   * @default RemovalPolicy.DESTROY - nothing in it outlives a day
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The platform's Redis: ElastiCache Serverless with the Valkey engine (Redis OSS-compatible, so
 * the platform's own RESP2 client, `@mangaassist/commons/redis`, talks to it over TLS). It holds
 * the response cache, the per-tenant daily usage that budgets are enforced against across all
 * function instances, single-use WebSocket tickets and recent stream frames for `resume`: all
 * short-lived, so no snapshots are kept.
 *
 * Why Serverless Valkey: no nodes to size or patch, multi-AZ by construction, and the lowest
 * floor price (Valkey bills from 100 MB stored, Redis OSS from 1 GB). Serverless caches
 * accept only TLS connections and always encrypt data at rest (here with an AWS owned key), so
 * `redisUrl` is `rediss://`. Access is by network and by identity: the cache's security group
 * admits only its clients' groups, on the cache port only, and a client must authenticate as the
 * app user with an IAM token (`?iam=` in `redisUrl`; its role needs `connectStatement`).
 */
export class SharedCache extends Construct {
  /** The port of the cache's primary endpoint (ElastiCache Serverless: always 6379). */
  static readonly port = 6379;

  /** The serverless cache's name in a stage (its metrics' `clusterId`). */
  static nameFor(stage: string): string {
    return `mangaassist-${stage}`;
  }

  /** The ElastiCache user the platform's clients authenticate as, with IAM. */
  static appUserFor(stage: string): string {
    return `mangaassist-${stage}-app`;
  }

  /**
   * What a client needs to connect: `elasticache:Connect` on the stage's cache and its app user,
   * by name (no reference to this construct, so any stack can grant it).
   */
  static connectStatement(scope: IConstruct, stage: string): PolicyStatement {
    const stack = Stack.of(scope);
    const arn = (resource: string, name: string) =>
      stack.formatArn({
        service: 'elasticache',
        resource,
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    return new PolicyStatement({
      actions: ['elasticache:Connect'],
      resources: [
        arn('serverlesscache', SharedCache.nameFor(stage)),
        arn('user', SharedCache.appUserFor(stage)),
      ],
    });
  }

  readonly cache: CfnServerlessCache;
  readonly securityGroup: SecurityGroup;
  /** `rediss://<endpoint>:<port>`, for `REDIS_URL`. */
  readonly redisUrl: string;

  constructor(scope: Construct, id: string, props: SharedCacheProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `MangaAssist ${props.stage} cache: Redis over TLS from its clients only`,
      allowAllOutbound: false,
    });
    for (const client of props.clients ?? []) this.allowFrom(client);

    // RBAC: the clients authenticate as the app user with IAM tokens (no password anywhere). A
    // Valkey user group needs no `default` user (and Valkey refuses one without a password).
    const appUser = new CfnUser(this, 'AppUser', {
      engine: 'valkey',
      userId: SharedCache.appUserFor(props.stage),
      userName: SharedCache.appUserFor(props.stage),
      authenticationMode: { Type: 'iam' },
      // Every command the platform sends; none of the administrative ones (FLUSHALL, KEYS, CONFIG …).
      accessString: 'on ~* +@all -@dangerous',
    });
    const userGroup = new CfnUserGroup(this, 'Users', {
      engine: 'valkey',
      userGroupId: `mangaassist-${props.stage}-users`,
      userIds: [appUser.userId],
    });
    userGroup.node.addDependency(appUser);

    this.cache = new CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: SharedCache.nameFor(props.stage),
      description: `MangaAssist ${props.stage}: response cache, tenant budgets, WebSocket tickets, stream frames`,
      engine: 'valkey',
      majorEngineVersion: '8',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupId: userGroup.userGroupId,
      cacheUsageLimits: {
        dataStorage: { maximum: props.maxDataStorageGb ?? 1, unit: 'GB' },
        ecpuPerSecond: { maximum: props.maxEcpuPerSecond ?? 5000 },
      },
    });
    this.cache.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);
    this.cache.node.addDependency(userGroup);
    const cacheName = SharedCache.nameFor(props.stage);
    this.redisUrl = `rediss://${SharedCache.appUserFor(props.stage)}@${this.cache.attrEndpointAddress}:${this.cache.attrEndpointPort}?iam=${cacheName}`;
  }

  /** Lets `client` connect on the cache port (and, if its egress is restricted, lets it out to it). */
  allowFrom(client: ISecurityGroup): void {
    this.securityGroup.connections.allowFrom(client, Port.tcp(SharedCache.port), 'Redis (TLS) from a client');
  }
}
