import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type ISecurityGroup,
  type IVpc,
  Port,
  SecurityGroup,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { CfnServerlessCache } from 'aws-cdk-lib/aws-elasticache';
import { Construct } from 'constructs';

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
 * `redisUrl` is `rediss://`. Access is by network: the cache's security group admits only its
 * clients' groups, on the cache port only.
 */
export class SharedCache extends Construct {
  /** The port of the cache's primary endpoint (ElastiCache Serverless: always 6379). */
  static readonly port = 6379;

  /** The serverless cache's name in a stage (its metrics' `clusterId`). */
  static nameFor(stage: string): string {
    return `mangaassist-${stage}`;
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

    this.cache = new CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: SharedCache.nameFor(props.stage),
      description: `MangaAssist ${props.stage}: response cache, tenant budgets, WebSocket tickets, stream frames`,
      engine: 'valkey',
      majorEngineVersion: '8',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      cacheUsageLimits: {
        dataStorage: { maximum: props.maxDataStorageGb ?? 1, unit: 'GB' },
        ecpuPerSecond: { maximum: props.maxEcpuPerSecond ?? 5000 },
      },
    });
    this.cache.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);
    this.redisUrl = `rediss://${this.cache.attrEndpointAddress}:${this.cache.attrEndpointPort}`;
  }

  /** Lets `client` connect on the cache port (and, if its egress is restricted, lets it out to it). */
  allowFrom(client: ISecurityGroup): void {
    this.securityGroup.connections.allowFrom(client, Port.tcp(SharedCache.port), 'Redis (TLS) from a client');
  }
}
