import {
  consumedEventsTable,
  inferenceAnalyticsTable,
  productsTable,
  registrySchemas,
  reviewsTable,
} from '@mangaassist/contracts';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../../lib/config.js';
import { StatefulStack } from '../../../lib/stacks/stateful-stack.js';
import { flatten, logicalId, unitTestApp } from '../support.js';

function build(environment: string) {
  const stack = new StatefulStack(unitTestApp(), 'Stateful', { config: environmentConfig(environment) });
  return { stack, template: Template.fromStack(stack) };
}

const dev = build('dev');
const prod = build('prod');

describe('StatefulStack', () => {
  it('lets only PutEvents on the stage’s own bus through the EventBridge endpoint', () => {
    const policies = Object.values(dev.template.findResources('AWS::EC2::VPCEndpoint'))
      .flatMap(
        (endpoint) =>
          (
            endpoint as {
              Properties: { PolicyDocument?: { Statement: { Action: unknown; Resource: unknown }[] } };
            }
          ).Properties.PolicyDocument?.Statement ?? [],
      )
      .filter((statement) => statement.Action === 'events:PutEvents');
    expect(policies).toHaveLength(1);
    expect(flatten(policies[0]?.Resource)).toMatch(/:event-bus\/<AiEventsBus/);
  });

  it("holds the stage's pool of end users, kept with prod's data", () => {
    dev.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'mangaassist-dev-end-users',
    });
    prod.template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
    dev.template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Delete' });
  });

  it('holds no pool when the stage trusts an issuer of its own', () => {
    const config = environmentConfig('dev');
    const stack = new StatefulStack(unitTestApp(), 'Stateful', {
      config: {
        ...config,
        endUsers: {
          oidc: { issuer: 'https://issuer.example', audience: ['a'], jwksUrl: 'https://issuer.example/keys' },
          tenantClaim: 'org',
        },
      },
    });
    expect(stack.endUserPool).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  it("holds the stage's AI event bus", () => {
    dev.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'mangaassist-dev-ai-events' });
  });

  it('holds the sessions and connections tables, named after the stage, with PITR and TTL', () => {
    for (const name of ['sessions', 'connections']) {
      dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `mangaassist-dev-${name}`,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      });
    }
  });

  it('holds the WebSocket tickets table for Redis outages, keyed by the ticket hash, with PITR, encryption and TTL', () => {
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mangaassist-dev-ws-tickets',
      KeySchema: [{ AttributeName: 'ticket_hash', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
    expect(dev.stack.ticketsTable).toBeDefined();
  });

  it('holds the webhook idempotency table with the contract keys, PITR, encryption and TTL', () => {
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mangaassist-dev-webhook-idempotency',
      KeySchema: [{ AttributeName: 'idempotency_key', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'idempotency_key', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('archives the bus for 30 days and registers the schema of every event type', () => {
    dev.template.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'mangaassist-dev-ai-events-archive',
      RetentionDays: 30,
      EventPattern: { source: [{ prefix: 'mangaassist.' }] },
    });
    dev.template.hasResourceProperties('AWS::EventSchemas::Registry', {
      RegistryName: 'mangaassist-dev-events',
    });
    dev.template.resourceCountIs('AWS::EventSchemas::Schema', registrySchemas().length);
    prod.template.allResources('AWS::Events::Archive', { DeletionPolicy: 'Retain' });
  });

  it('holds the event consumers’ tables with the contract keys, PITR, encryption and TTL where specified', () => {
    for (const spec of [productsTable, reviewsTable, inferenceAnalyticsTable, consumedEventsTable]) {
      dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `mangaassist-dev-${spec.name}`,
        KeySchema: [{ AttributeName: spec.partitionKey.name, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: spec.timeToLiveAttribute
          ? { AttributeName: spec.timeToLiveAttribute, Enabled: true }
          : Match.absent(),
      });
    }
    expect(Object.keys(dev.stack.eventTables).sort()).toEqual([
      'analytics',
      'consumedEvents',
      'products',
      'reviews',
    ]);
  });

  it('holds the document jobs’ table, keyed by job id with PITR, encryption and TTL', () => {
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mangaassist-dev-jobs',
      KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('holds the documents bucket, named after the stage, with its access log bucket, retained in prod', () => {
    dev.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: {
        'Fn::Join': [
          '',
          ['mangaassist-dev-documents-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }],
        ],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'documents/' }),
    });
    expect(flatten(dev.stack.resolve(dev.stack.documentsBucketName))).toBe(
      'mangaassist-dev-documents-<AWS::AccountId>-<AWS::Region>',
    );
    prod.template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    dev.template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    // The access logs expire with the stage's log retention.
    prod.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });

  it('holds the moderation alert webhook key, generated so no value is in the template', () => {
    dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mangaassist-dev-moderation-alerts-key',
      SecretString: Match.absent(),
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
  });

  it('holds the webhook signing secrets without a value, retained in prod', () => {
    dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mangaassist-dev-webhook-secrets',
      SecretString: Match.absent(),
    });
    prod.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    dev.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  it('holds the job callback signing secrets, starting as an empty document, retained in prod', () => {
    dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mangaassist-dev-callback-secrets',
      SecretString: '{}',
    });
    prod.template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: 'mangaassist-prod-callback-secrets' }),
      DeletionPolicy: 'Retain',
    });
    dev.template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: 'mangaassist-dev-callback-secrets' }),
      DeletionPolicy: 'Delete',
    });
  });

  it('holds the catalog enrichment FIFO queue and its dead-letter queue, retained in prod', () => {
    for (const { template, policy } of [
      { template: dev.template, policy: 'Delete' },
      { template: prod.template, policy: 'Retain' },
    ]) {
      template.hasResource('AWS::SQS::Queue', {
        Properties: Match.objectLike({
          QueueName: Match.stringLikeRegexp('^mangaassist-(dev|prod)-catalog-enrichment\\.fifo$'),
          ContentBasedDeduplication: true,
        }),
        DeletionPolicy: policy,
      });
    }
    expect(dev.stack.catalogEnrichment.deadLetters.queue.fifo).toBe(true);
  });

  it('retains and deletion-protects its data in prod only, behind termination protection', () => {
    for (const type of ['AWS::Events::EventBus', 'AWS::DynamoDB::Table']) {
      prod.template.allResources(type, { DeletionPolicy: 'Retain' });
      dev.template.allResources(type, { DeletionPolicy: 'Delete' });
    }
    prod.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    dev.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    expect(prod.stack.terminationProtection).toBe(true);
    expect(dev.stack.terminationProtection).toBe(false);
  });

  it('keeps the cache in the isolated data subnets, open to the functions’ security group only', () => {
    const { stack, template } = dev;
    const dataSubnets = stack.network.vpc
      .selectSubnets(stack.network.dataSubnets)
      .subnetIds.map((id) => stack.resolve(id));
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      SubnetIds: dataSubnets,
      CacheUsageLimits: { DataStorage: { Maximum: 1, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6379,
      ToPort: 6379,
      GroupId: {
        'Fn::GetAtt': [logicalId(template, 'AWS::EC2::SecurityGroup', 'CacheSecurityGroup'), 'GroupId'],
      },
      SourceSecurityGroupId: {
        'Fn::GetAtt': [
          logicalId(template, 'AWS::EC2::SecurityGroup', 'NetworkFunctionSecurityGroup'),
          'GroupId',
        ],
      },
    });
  });

  it('sizes the cache limits, zones and NAT gateways by stage: prod in three zones', () => {
    prod.template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      CacheUsageLimits: { DataStorage: { Maximum: 10, Unit: 'GB' }, ECPUPerSecond: { Maximum: 100_000 } },
    });
    const [cache] = Object.values(prod.template.findResources('AWS::ElastiCache::ServerlessCache')) as {
      Properties: { SubnetIds: unknown[] };
    }[];
    expect(cache?.Properties.SubnetIds).toHaveLength(3);
    prod.template.resourceCountIs('AWS::EC2::NatGateway', 3);
    expect(prod.stack.network.vpc.availabilityZones).toEqual([
      'ap-northeast-1a',
      'ap-northeast-1c',
      'ap-northeast-1d',
    ]);
    dev.template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('hands the functions the function subnets, the security group the cache admits, and a rediss:// URL', () => {
    const { stack } = dev;
    expect(stack.functionNetwork.subnets).toEqual({ subnetGroupName: 'functions' });
    expect(stack.functionNetwork.securityGroups).toEqual([stack.network.functionSecurityGroup]);
    expect(flatten(stack.resolve(stack.redisUrl))).toMatch(/^rediss:\/\//);
  });

  it('has a VPC with flow logs and private endpoints for DynamoDB, S3, Bedrock Runtime and EventBridge', () => {
    dev.template.resourceCountIs('AWS::EC2::VPC', 1);
    dev.template.resourceCountIs('AWS::EC2::FlowLog', 1);
    dev.template.resourceCountIs('AWS::EC2::VPCEndpoint', 4);
    dev.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    prod.template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ RetentionInDays: 90 }),
    });
  });
});
