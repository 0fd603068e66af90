import { gatewayEnvironment, type Tenant, tenantApiKeySecretName } from '@mangaassist/contracts';
import { CfnOutput, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import {
  ApiKey,
  type IApiKey,
  type IRestApi,
  Period,
  type Stage,
  UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface TenantApiKeysProps {
  /** Deployment stage; part of key and plan names (`mangaassist-<stage>-<tenant>`). */
  readonly stage: string;
  /** One key and usage plan each; ids must be unique. */
  readonly tenants: readonly Tenant[];
  /**
   * Of the key values' secrets.
   * @default RemovalPolicy.RETAIN - tenants' apps and back ends hold these keys
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One tenant's credentials and limits. */
export interface TenantAccess {
  readonly tenant: Tenant;
  readonly apiKey: IApiKey;
  /** The key's value (`tenantApiKeySecretName`), which the API key is created with. */
  readonly secret: Secret;
  readonly usagePlan: UsagePlan;
}

const quotaPeriods: Record<Tenant['quota']['period'], Period> = {
  DAY: Period.DAY,
  WEEK: Period.WEEK,
  MONTH: Period.MONTH,
};

/**
 * An API Gateway API key and usage plan per tenant (seed 003): the plan's throttle (rate,
 * burst) and quota come from the tenant's config, and both carry a `tenant` tag for cost
 * allocation. `environment` gives the functions `TENANTS_JSON` — the tenants plus which key id
 * belongs to whom (CloudFormation fills in the ids) — so a handler can tell the tenant from
 * `requestContext.identity.apiKeyId` and enforce its daily budget.
 *
 * Key values are generated in Secrets Manager (40 letters and digits, one secret per tenant,
 * `tenantApiKeySecretName`) and given to API Gateway by a dynamic reference: never in the template, in
 * environment variables or in outputs. The REST API's authorizer reads them from there (Secrets
 * Manager serves thousands of reads a second; API Gateway's own GetApiKey, about ten). An
 * operator hands a tenant its key with
 * `aws secretsmanager get-secret-value --secret-id mangaassist-<stage>-api-key-<tenant> --query SecretString --output text`.
 *
 * The plans start without a stage so the functions (which need the key ids) can be built
 * before the API's deployment; `allowStage` then opens them on the API's stage. Usage plan
 * throttles and quotas are applied on a best-effort basis by API Gateway: the hard limits are
 * the daily budgets the functions enforce.
 */
export class TenantApiKeys extends Construct {
  readonly tenants: readonly TenantAccess[];
  /** `TENANTS_JSON` for the functions. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: TenantApiKeysProps) {
    super(scope, id);
    this.tenants = props.tenants.map((tenant) => {
      const tenantScope = new Construct(this, tenant.id);
      const name = `mangaassist-${props.stage}-${tenant.id}`;
      const secret = new Secret(tenantScope, 'KeyValue', {
        secretName: tenantApiKeySecretName(props.stage, tenant.id),
        description: `MangaAssist ${props.stage}: the API key of ${tenant.name} (x-api-key)`,
        generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "The value is the tenant's API key, which the tenant's back end or app sends: a new value must reach the tenant before the old one stops working, which an automatic rotation cannot arrange. Rotation is an operator step: add a second key to the tenant's usage plan, hand it over, then retire the old one.",
      });
      const apiKey = new ApiKey(tenantScope, 'ApiKey', {
        apiKeyName: name,
        description: `MangaAssist ${props.stage}: ${tenant.name}`,
        enabled: true,
        value: secret.secretValue.unsafeUnwrap(),
      });
      const usagePlan = new UsagePlan(tenantScope, 'UsagePlan', {
        name,
        description: `MangaAssist ${props.stage}: ${tenant.name} (${tenant.quota.limit} requests a ${tenant.quota.period.toLowerCase()})`,
        throttle: { rateLimit: tenant.throttle.rateLimit, burstLimit: tenant.throttle.burstLimit },
        quota: { limit: tenant.quota.limit, period: quotaPeriods[tenant.quota.period] },
      });
      usagePlan.addApiKey(apiKey);
      Tags.of(tenantScope).add('tenant', tenant.id);
      new CfnOutput(tenantScope, 'ApiKeyId', {
        value: apiKey.keyId,
        description: `API key id of tenant ${tenant.id} (value: aws secretsmanager get-secret-value --secret-id ${tenantApiKeySecretName(props.stage, tenant.id)})`,
      });
      return { tenant, apiKey, secret, usagePlan };
    });
    // Key ids are CloudFormation tokens; embedded in the JSON text they resolve at deploy time.
    const apiKeys = Object.fromEntries(this.tenants.map(({ tenant, apiKey }) => [apiKey.keyId, tenant.id]));
    this.environment = {
      [gatewayEnvironment.tenants]: JSON.stringify({ tenants: props.tenants, apiKeys }),
    };
  }

  /** Opens every tenant's usage plan on `stage` of `api`, so their keys work there. */
  allowStage(api: IRestApi, stage: Stage): void {
    for (const { usagePlan } of this.tenants) usagePlan.addApiStage({ api, stage });
  }
}
