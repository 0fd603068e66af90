// The public surface of @mangaassist/jobs/s3.

export {
  createS3Client,
  type S3ClientOptions,
  S3DocumentStore,
  type S3DocumentStoreOptions,
  s3ClientConfig,
} from './s3-document-store.js';
