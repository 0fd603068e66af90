import { jobLimits } from '@mangaassist/contracts';
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface DocumentBucketProps {
  /** Deployment stage: the bucket is named `DocumentBucket.bucketNameFor(stage)`. */
  readonly stage: string;
  /**
   * What happens to both buckets when the construct goes away. S3 deletes only an empty bucket:
   * with `DESTROY`, empty it first (everything in it expires within 30 days anyway).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days the server access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * Origins whose web pages may `PUT` an upload to a presigned URL and `GET` a presigned result.
   * @default ['*'] - any origin: see the class documentation
   */
  readonly corsAllowedOrigins?: readonly string[];
}

/**
 * The bucket of the asynchronous document jobs: uploads under `uploads/<tenant>/<upload id>`
 * (presigned `PUT`s from `POST /v1/uploads`) and each job's document, chunks, answers and result
 * under `jobs/<job id>/` (the keys of `@mangaassist/jobs`' `documentKeys`). Everything in it is
 * transient: uploads expire after 2 days (an upload is only read when a job is created from it and
 * when that job starts), job objects after `jobLimits.retentionDays` like the job items, and
 * incomplete multipart uploads are aborted after a day.
 *
 * - Encryption: SSE-S3 (S3 managed keys) rather than KMS. Every request is still encrypted at
 *   rest and logged; a customer managed key would add a key policy to get right and a KMS grant
 *   to every role that reads, writes or presigns (a presigned `PUT` is authorised as the role
 *   that signed it, so the API role would need `kms:GenerateDataKey` for every browser upload),
 *   plus a KMS request per chunk object a job reads or writes. It starts paying for itself with
 *   cross-account readers or a requirement to revoke access by disabling the key.
 * - Versioning: off. Objects are working copies with a short, fixed life: the tenant keeps the
 *   original document, and a job's chunks and answers are rewritten as checkpoints on retries.
 *   Versions would keep every overwritten checkpoint and would need noncurrent-version rules to
 *   honour the retention above.
 * - TLS only (TLS 1.2 at least), all public access blocked, ACLs disabled (bucket owner enforced).
 * - Server access logs go to `accessLogs`, its own bucket: presigned `PUT`s and `GET`s are made
 *   by whoever holds the URL, and these logs are the only record of them without CloudTrail data
 *   events.
 * - CORS: `PUT` and `GET` from `corsAllowedOrigins` (any by default), so a tenant's web page can
 *   upload a document straight to S3 and read a result. CORS grants nothing by itself: the
 *   presigned URL's signature is the credential, and S3 answers a browser's request without one
 *   403 whatever its origin. The platform does not know its tenants' front ends' origins.
 */
export class DocumentBucket extends Construct {
  /** Where presigned uploads land (`uploads/<tenant>/<upload id>`). */
  static readonly uploadsPrefix = 'uploads/';
  /** Everything of one job (`jobs/<job id>/…`). */
  static readonly jobsPrefix = 'jobs/';
  /** Where each catalog re-enrichment keeps its manifest, batch files and task tokens. */
  static readonly reenrichmentPrefix = 'reenrichment/';
  /** Longer than a run can last (its batch job expires after 72 hours). */
  static readonly reenrichmentRetention = Duration.days(14);
  /** How long an upload is kept: long enough to create a job from it and for the job to start. */
  static readonly uploadRetention = Duration.days(2);
  /** How long a job's objects are kept: as long as the job item (`jobLimits.retentionDays`). */
  static readonly jobRetention = Duration.days(jobLimits.retentionDays);

  /**
   * The documents bucket's name in `stage`: `mangaassist-<stage>-documents-<account>-<region>`
   * (bucket names are global; the account and region keep it unique to the deployment). Its only
   * tokens are pseudo parameters, so another stack of the same account and region refers to the
   * bucket by this name with no CloudFormation export: its grants then name
   * `arn:…:s3:::mangaassist-<stage>-documents-…/jobs/*` rather than an import whose export name
   * CDK generates at synthesis, which a cdk-nag acknowledgement (an exact string, written when the
   * grant is made) could not name. An export would also lock the bucket in this stack for as long
   * as any stack imports it.
   */
  static bucketNameFor(stage: string): string {
    return `mangaassist-${stage}-documents-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
  }

  /**
   * Lets `grantee` list `bucket` (`s3:ListBucket` on the bucket only, no object keys): without it
   * S3 answers `HeadObject` or `GetObject` of a missing key with 403 instead of 404, and the
   * document store could not tell an upload not made yet (or a checkpoint not written yet) from a
   * denied request. The bucket's grant methods pair it with object keys, which it does not apply to.
   */
  static grantListBucket(bucket: IBucket, grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn] });
  }

  readonly bucket: Bucket;
  /** The documents bucket's server access logs. */
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: DocumentBucketProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      // S3 delivers server access logs only to a bucket encrypted with S3 managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 90) },
      ],
      removalPolicy,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket holds the documents bucket's server access logs; logging the log bucket too would only log S3's own log deliveries (to itself, a loop, or to yet another bucket that would need the same).",
    });

    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: DocumentBucket.bucketNameFor(props.stage),
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'documents/',
      lifecycleRules: [
        {
          id: 'expire-uploads',
          prefix: DocumentBucket.uploadsPrefix,
          expiration: DocumentBucket.uploadRetention,
        },
        { id: 'expire-jobs', prefix: DocumentBucket.jobsPrefix, expiration: DocumentBucket.jobRetention },
        {
          id: 'expire-reenrichment',
          prefix: DocumentBucket.reenrichmentPrefix,
          expiration: DocumentBucket.reenrichmentRetention,
        },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
          allowedOrigins: [...(props.corsAllowedOrigins ?? ['*'])],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      removalPolicy,
    });
  }
}
