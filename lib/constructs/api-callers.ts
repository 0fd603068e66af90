import { gatewayEnvironment } from '@mangaassist/contracts';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { type CfnAuthorizer, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PlatformFunction } from './platform-function.js';
import type { TenantApiKeys } from './tenant-api-keys.js';

/** The issuer of end users' tokens, as the authorizer checks them. */
export interface TokenIssuerSettings {
  /** The exact `iss`. */
  readonly issuer: string;
  /** Client ids a token may be for. */
  readonly audience: readonly string[];
  /** @default `<issuer>/.well-known/jwks.json` */
  readonly jwksUrl?: string;
  readonly tenantClaim: string;
}

export interface ApiCallersProps {
  readonly stage: string;
  /** The tenants' keys: the authorizer reads their values to meter token callers by them. */
  readonly tenants: TenantApiKeys;
  /** End users' tokens; unset = the API takes API keys only. */
  readonly endUsers?: TokenIssuerSettings;
  /** @default true */
  readonly tracing?: boolean;
  readonly logRetention?: RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Who may call the REST API: a `REQUEST` Lambda authorizer (`functions/authorizer`) in front of
 * every method, admitting an end user's bearer token of `endUsers`' issuer (the tenant from its
 * claim) or a tenant's API key, and giving API Gateway the tenant's key to meter the request
 * against (the API's key source is `AUTHORIZER`).
 *
 * Results are not cached: a cache needs identity sources that every request has, and a request
 * carries either header. The function runs outside the VPC (it reaches the issuer's JWKS over the
 * internet and Secrets Manager, nothing in the VPC) and may read only the secrets holding this
 * stage's tenant key values.
 */
export class ApiCallers extends Construct {
  readonly function: PlatformFunction;
  readonly authorizer: RequestAuthorizer;

  constructor(scope: Construct, id: string, props: ApiCallersProps) {
    super(scope, id);
    const { endUsers } = props;
    this.function = new PlatformFunction(this, 'Function', {
      entry: 'functions/authorizer/src/handler.ts',
      description: `MangaAssist ${props.stage}: the REST API's Lambda authorizer (API keys, end users' tokens)`,
      memorySize: 512,
      timeout: Duration.seconds(5),
      ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy !== undefined ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      environment: {
        [gatewayEnvironment.stage]: props.stage,
        ...props.tenants.environment,
        ...(endUsers
          ? {
              [gatewayEnvironment.authIssuer]: endUsers.issuer,
              [gatewayEnvironment.authAudience]: endUsers.audience.join(','),
              [gatewayEnvironment.authTenantClaim]: endUsers.tenantClaim,
              ...(endUsers.jwksUrl ? { [gatewayEnvironment.authJwksUrl]: endUsers.jwksUrl } : {}),
            }
          : {}),
      },
    });
    for (const { secret } of props.tenants.tenants) secret.grantRead(this.function);
    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      authorizerName: `mangaassist-${props.stage}-callers`,
      handler: this.function.invocationTarget,
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    // Without a cache a REQUEST authorizer needs no identity source; CDK writes an empty one.
    (this.authorizer.node.defaultChild as CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');
  }
}
