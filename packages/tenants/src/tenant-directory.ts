import { gatewayEnvironment, type Tenant, tenantSchema } from '@mangaassist/contracts';
import * as z from 'zod/mini';

/**
 * The tenants configuration (`TENANTS_JSON`): every tenant, and which API Gateway API-key ID
 * belongs to which tenant. Tenants may omit `throttle`, `quota` and `dailyBudgetUsd` to take
 * the defaults of `tenantSchema`.
 */
export const tenantConfigSchema = z.strictObject({
  tenants: z.array(tenantSchema),
  /** API Gateway API-key ID (not the key's value) → tenant id. */
  apiKeys: z._default(z.record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1))), {}),
});

/** The tenants configuration as written (defaults not yet applied). */
export type TenantConfigInput = z.input<typeof tenantConfigSchema>;

/** An invalid tenants configuration; `problems` lists every issue found, not just the first. */
export class TenantConfigError extends Error {
  override readonly name = 'TenantConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`invalid tenants configuration (${gatewayEnvironment.tenants}): ${problems.join('; ')}`);
  }
}

/** What the budget guard needs of the directory. */
export interface TenantLookup {
  /** The tenant with this id; undefined if there is none. */
  get(tenantId: string): Tenant | undefined;
}

/**
 * The deployment's tenants, validated once at start-up: who they are, their usage plans and
 * budgets, and which API Gateway API-key ID authenticates which tenant.
 *
 * Build it with `fromJson` or `fromConfig`; both throw `TenantConfigError` naming every
 * problem: schema issues (with their path), duplicate tenant ids, and API keys mapped to
 * unknown tenants.
 *
 * @example
 * const directory = TenantDirectory.fromJson(env.TENANTS_JSON);
 * const tenant = directory.tenantForApiKeyId(event.requestContext.identity.apiKeyId);
 */
export class TenantDirectory implements TenantLookup {
  private constructor(
    private readonly byId: ReadonlyMap<string, Tenant>,
    private readonly byApiKeyId: ReadonlyMap<string, Tenant>,
  ) {}

  /** Validates a configuration object (applying defaults); throws `TenantConfigError`. */
  static fromConfig(config: TenantConfigInput): TenantDirectory {
    return TenantDirectory.validate(config);
  }

  /** Parses and validates `TENANTS_JSON` text; throws `TenantConfigError` (also for malformed JSON). */
  static fromJson(text: string): TenantDirectory {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new TenantConfigError([`not valid JSON: ${(error as Error).message}`]);
    }
    return TenantDirectory.validate(value);
  }

  private static validate(config: unknown): TenantDirectory {
    const parsed = tenantConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new TenantConfigError(
        parsed.error.issues.map(
          (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
        ),
      );
    }
    const problems: string[] = [];
    const byId = new Map<string, Tenant>();
    for (const tenant of parsed.data.tenants) {
      if (byId.has(tenant.id)) problems.push(`tenants: duplicate tenant id "${tenant.id}"`);
      else byId.set(tenant.id, tenant);
    }
    const byApiKeyId = new Map<string, Tenant>();
    for (const [keyId, tenantId] of Object.entries(parsed.data.apiKeys)) {
      const tenant = byId.get(tenantId);
      if (tenant === undefined) problems.push(`apiKeys.${keyId}: unknown tenant "${tenantId}"`);
      else byApiKeyId.set(keyId, tenant);
    }
    if (problems.length > 0) throw new TenantConfigError(problems);
    return new TenantDirectory(byId, byApiKeyId);
  }

  /** The tenant with this id; undefined if there is none. */
  get(tenantId: string): Tenant | undefined {
    return this.byId.get(tenantId);
  }

  /** The tenant an API Gateway API-key ID (`requestContext.identity.apiKeyId`) belongs to. */
  tenantForApiKeyId(keyId: string): Tenant | undefined {
    return this.byApiKeyId.get(keyId);
  }

  /** Every tenant, in configuration order. */
  list(): Tenant[] {
    return [...this.byId.values()];
  }
}
