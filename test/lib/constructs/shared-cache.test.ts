import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { SharedCache } from '../../../lib/constructs/shared-cache.js';
import { unitTestApp } from '../support.js';

function build() {
  const stack = new Stack(unitTestApp(), 'Test');
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  const client = new SecurityGroup(stack, 'Client', { vpc, allowAllOutbound: false });
  const cache = new SharedCache(stack, 'Cache', {
    stage: 'dev',
    vpc,
    subnets: { subnetGroupName: 'data' },
    clients: [client],
    maxDataStorageGb: 2,
    maxEcpuPerSecond: 7000,
  });
  return { cache, client, stack, vpc, template: Template.fromStack(stack) };
}

const { cache, client, stack, vpc, template } = build();
const groupId = (group: SecurityGroup) => ({
  'Fn::GetAtt': [stack.getLogicalId(group.node.defaultChild as never), 'GroupId'],
});

describe('SharedCache', () => {
  it('is an ElastiCache Serverless Valkey cache named after the stage, capped by its usage limits', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      ServerlessCacheName: 'mangaassist-dev',
      Engine: 'valkey',
      MajorEngineVersion: '8',
      CacheUsageLimits: { DataStorage: { Maximum: 2, Unit: 'GB' }, ECPUPerSecond: { Maximum: 7000 } },
    });
  });

  it('lives in the given subnets, behind its own security group', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      SubnetIds: vpc.isolatedSubnets.map((subnet) => stack.resolve(subnet.subnetId)),
      SecurityGroupIds: [groupId(cache.securityGroup)],
    });
  });

  it('admits its clients on the cache port only, and nothing else in or out', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: groupId(cache.securityGroup),
      SourceSecurityGroupId: groupId(client),
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('cache'),
      SecurityGroupIngress: Match.absent(),
      // CDK's placeholder for "no egress": a rule matching nothing.
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  it('lets a client with restricted egress out to the cache port', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: groupId(client),
      DestinationSecurityGroupId: groupId(cache.securityGroup),
      FromPort: 6379,
      ToPort: 6379,
    });
  });

  it('tells clients to connect over TLS (rediss://) to its endpoint, as its app user with IAM tokens', () => {
    const endpoint = (attribute: string) => ({ 'Fn::GetAtt': [stack.getLogicalId(cache.cache), attribute] });
    const stage = cache.cache.serverlessCacheName.replace('mangaassist-', '');
    expect(stack.resolve(cache.redisUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          `rediss://mangaassist-${stage}-app@`,
          endpoint('Endpoint.Address'),
          ':',
          endpoint('Endpoint.Port'),
          `?iam=mangaassist-${stage}`,
        ],
      ],
    });
  });

  it('admits only its app user, by IAM: a Valkey user group needs no default user, and has none', () => {
    template.hasResourceProperties('AWS::ElastiCache::User', {
      Engine: 'valkey',
      UserName: Match.stringLikeRegexp('-app$'),
      AuthenticationMode: { Type: 'iam' },
      AccessString: 'on ~* +@all -@dangerous',
    });
    template.resourceCountIs('AWS::ElastiCache::User', 1);
    const [group] = Object.values(template.findResources('AWS::ElastiCache::UserGroup')) as {
      Properties: { UserGroupId: string; UserIds: string[]; Engine: string };
    }[];
    expect(group?.Properties).toMatchObject({ Engine: 'valkey', UserIds: [expect.stringMatching(/-app$/)] });
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      UserGroupId: group?.Properties.UserGroupId,
    });
    // The user group is a name in the cache's properties, not a reference: the order is explicit.
    const [cache] = Object.values(template.findResources('AWS::ElastiCache::ServerlessCache')) as {
      DependsOn?: string[];
    }[];
    expect(cache?.DependsOn).toEqual([expect.stringMatching(/^CacheUsers/)]);
  });

  it('is deleted with its stack: it holds nothing that outlives a day', () => {
    template.hasResource('AWS::ElastiCache::ServerlessCache', { DeletionPolicy: 'Delete' });
  });
});
