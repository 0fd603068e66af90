import { connectionsTable, jobsTable, sessionsTable, type TableSpec } from '@mangaassist/contracts';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { SpecTable, type SpecTableProps } from '../../../lib/constructs/spec-table.js';
import { unitTestApp } from '../support.js';

function build(spec: TableSpec, props: Partial<Omit<SpecTableProps, 'spec'>> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  new SpecTable(stack, 'Table', { spec, stage: 'dev', ...props });
  return Template.fromStack(stack);
}

describe('SpecTable', () => {
  it("keys the sessions table by the contract's partition and sort keys, named after the stage", () => {
    build(sessionsTable).hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mangaassist-dev-sessions',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'turn', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'turn', AttributeType: 'N' },
      ]),
    });
  });

  it('creates the spec’s indexes, and keeps the table’s grants off them', () => {
    const stack = new Stack(unitTestApp(), 'Test');
    const { table } = new SpecTable(stack, 'Table', { spec: jobsTable, stage: 'dev' });
    table.grantReadData(
      new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }),
    );
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: [
        { AttributeName: 'job_id', AttributeType: 'S' },
        { AttributeName: 'tenant_id', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'tenant-status',
          KeySchema: [
            { AttributeName: 'tenant_id', KeyType: 'HASH' },
            { AttributeName: 'status', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('/index/');
  });

  it('keys the connections table by connection id alone', () => {
    build(connectionsTable).hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'mangaassist-dev-connections',
      KeySchema: [{ AttributeName: 'connection_id', KeyType: 'HASH' }],
    });
  });

  it('bills per request, keeps point-in-time recovery and encrypts with the AWS managed key', () => {
    build(sessionsTable).hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // SSEEnabled without a key id: KMS encryption under the AWS managed key aws/dynamodb.
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it("expires items by the spec's TTL attribute", () => {
    for (const spec of [sessionsTable, connectionsTable]) {
      expect(spec.timeToLiveAttribute).toBe('expires_at');
      build(spec).hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      });
    }
  });

  it('is retained unless told otherwise, and protected from deletion only when asked', () => {
    build(sessionsTable).hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    build(sessionsTable, { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true }).hasResource(
      'AWS::DynamoDB::Table',
      { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: true }) },
    );
  });
});
