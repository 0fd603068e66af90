import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DocumentBucket } from '../../../lib/constructs/document-bucket.js';
import { flatten, logicalId, policyStatements, unitTestApp } from '../support.js';

function build(removalPolicy?: RemovalPolicy) {
  const stack = new Stack(unitTestApp(), 'Test');
  new DocumentBucket(stack, 'Documents', {
    stage: 'dev',
    ...(removalPolicy ? { removalPolicy } : {}),
    accessLogRetentionDays: 7,
  });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build();
const bucketId = () => logicalId(template, 'AWS::S3::Bucket', 'DocumentsBucket');
const logsId = () => logicalId(template, 'AWS::S3::Bucket', 'DocumentsAccessLogs');

/** The statements of the bucket policy of `bucket` (a logical id). */
function bucketPolicy(bucket: string) {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).map(
    (policy) =>
      (policy as { Properties: { Bucket: { Ref: string }; PolicyDocument: { Statement: unknown[] } } })
        .Properties,
  );
  return policies.find((policy) => policy.Bucket.Ref === bucket)?.PolicyDocument.Statement ?? [];
}

describe('DocumentBucket', () => {
  it('names the bucket after the stage, the account and the region', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: {
        'Fn::Join': [
          '',
          ['mangaassist-dev-documents-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }],
        ],
      },
    });
    expect(flatten(stack.resolve(DocumentBucket.bucketNameFor('prod')))).toBe(
      'mangaassist-prod-documents-<AWS::AccountId>-<AWS::Region>',
    );
  });

  it('encrypts both buckets with S3 managed keys, blocks public access, disables ACLs and keeps no versions', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.allResourcesProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: Match.absent(),
      AccessControl: Match.absent(),
    });
  });

  it('refuses requests without TLS, or with TLS older than 1.2, on both buckets', () => {
    for (const bucket of [bucketId(), logsId()]) {
      expect(bucketPolicy(bucket)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
  });

  it('expires uploads after 2 days, job objects after 30 and re-enrichment runs after 14, and aborts multipart uploads after a day', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayEquals([
          Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 2, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'jobs/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'reenrichment/', ExpirationInDays: 14, Status: 'Enabled' }),
          Match.objectLike({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Prefix: Match.absent(),
            Status: 'Enabled',
          }),
        ]),
      },
    });
  });

  it('logs every request to the access log bucket, which only S3 log delivery for this bucket may write', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId() }, LogFilePrefix: 'documents/' },
    });
    expect(bucketPolicy(logsId())).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: expect.objectContaining({
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId(), 'Arn'] } },
          }),
        }),
      ]),
    );
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
      LoggingConfiguration: Match.absent(),
    });
  });

  it('lets browsers PUT uploads and GET results with presigned URLs from any origin', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['PUT', 'GET'],
            AllowedOrigins: ['*'],
            ExposedHeaders: ['ETag'],
          }),
        ],
      },
    });
  });

  it('retains both buckets by default and deletes them when told to', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    build(RemovalPolicy.DESTROY).template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });

  it('grants listing the bucket itself, not its objects', () => {
    const other = new Stack(unitTestApp(), 'Other');
    const { bucket } = new DocumentBucket(other, 'Documents', { stage: 'dev' });
    const role = new Role(other, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    DocumentBucket.grantListBucket(bucket, role);
    const statements = policyStatements(Template.fromStack(other));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [other.getLogicalId(bucket.node.defaultChild as CfnBucket), 'Arn'] },
      },
    ]);
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
