import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** What SigV4 hashes: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** SigV4's SHA-256 on `node:crypto` (an HMAC with a secret). */
class NodeSha256 {
  #hash: Hash | Hmac;
  readonly #secret: SourceData | undefined;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = NodeSha256.create(secret);
  }

  private static create(secret: SourceData | undefined): Hash | Hmac {
    return secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = NodeSha256.create(this.#secret);
  }
}

/** AWS credentials as SigV4 takes them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ElasticacheIamAuthOptions {
  /** The serverless cache's name (`mangaassist-<stage>`): the token's host. */
  readonly cacheName: string;
  /** The ElastiCache user, whose authentication mode is IAM (its name equals its id). */
  readonly userId: string;
  readonly region: string;
  /** @default the SDK's provider chain (Lambda's environment, ECS's task role) */
  readonly credentials?: () => Promise<AwsCredentials>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** How long a token admits a new connection (ElastiCache's maximum). */
const tokenLifetimeSeconds = 900;

/**
 * `RedisConnection`'s `credentials` for ElastiCache IAM authentication: `AUTH <user> <token>`,
 * the token a SigV4-presigned `GET http://<cache name>/?Action=connect&User=<user>&ResourceType=ServerlessCache`
 * for the `elasticache` service, without its scheme. The caller's role needs `elasticache:Connect`
 * on the cache and the user. A token is made for each connection, from the current credentials.
 */
export function elasticacheIamAuth(
  options: ElasticacheIamAuthOptions,
): () => Promise<{ username: string; password: string }> {
  const signer = new SignatureV4({
    service: 'elasticache',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });
  const now = options.now ?? (() => new Date());
  return async () => {
    const signed = await signer.presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: options.cacheName,
        path: '/',
        query: { Action: 'connect', User: options.userId, ResourceType: 'ServerlessCache' },
        headers: { host: options.cacheName },
      },
      { expiresIn: tokenLifetimeSeconds, signingDate: now() },
    );
    const query = new URLSearchParams(signed.query as Record<string, string>).toString();
    return { username: options.userId, password: `${options.cacheName}/?${query}` };
  };
}
