/** An S3 location split into bucket and key (`''` for the bucket itself). */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** Splits `s3://bucket/key`; the URI must already satisfy Bedrock's S3 URI pattern. */
export function parseS3Uri(uri: string): S3Location {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

export function s3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/**
 * Where Bedrock writes a job's files: `<output key>/<job id>/<name>`, so an output URI with or
 * without its trailing slash gives the same keys.
 */
export function outputLocation(output: S3Location, jobId: string, name: string): S3Location {
  const prefix = output.key.replace(/\/+$/, '');
  return { bucket: output.bucket, key: `${prefix === '' ? '' : `${prefix}/`}${jobId}/${name}` };
}
