/**
 * The checks on an environment's configuration and a deployment's overrides from CDK context. Each
 * throws `ConfigError`, so `cdk synth` fails before any template.
 */
import { consumerLimits } from '@mangaassist/consumers';
import { defaultTargetRetry, type Tenant, tenantSchema, webhookLimits } from '@mangaassist/contracts';
import {
  fallbackLadder,
  invocationTargets,
  loadModelCatalog,
  modelAliases,
} from '@mangaassist/fm-gateway/catalog';
import * as z from 'zod/mini';
import { shortestTaskTimeoutSeconds } from '../job-workflow-definition.js';
import type {
  BedrockConfig,
  EndUsersConfig,
  EventsConfig,
  JobsConfig,
  OrchestratorConfig,
  TenantSettings,
  WebhooksConfig,
} from './types.js';

/** A configuration that cannot be deployed: an unknown stage, an invalid value or override. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Settings of one deployment rather than of a stage, from CDK context (`overridesFromContext`).
 * Each replaces the stage's value.
 */
export interface DeploymentOverrides {
  readonly senderEmail?: string;
  readonly senderIdentity?: string;
  readonly moderationWebhookUrl?: string;
  readonly crossAccountBusArn?: string;
}

const overrideKeys = ['senderEmail', 'senderIdentity', 'moderationWebhookUrl', 'crossAccountBusArn'] as const;

/**
 * Reads `DeploymentOverrides` from CDK context (`-c senderEmail=…`, or `context` in cdk.json /
 * cdk.context.json). Unset or empty keys are left out; throws `ConfigError` for a value that is not
 * a string.
 */
export function overridesFromContext(tryGetContext: (key: string) => unknown): DeploymentOverrides {
  const overrides: Partial<Record<(typeof overrideKeys)[number], string>> = {};
  for (const key of overrideKeys) {
    const value: unknown = tryGetContext(key);
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw new ConfigError(`context ${key} must be a string`);
    overrides[key] = value.trim();
  }
  return overrides;
}

/**
 * Throws `ConfigError` when two stages that pin the same account, in the same region, both set
 * its API Gateway CloudWatch Logs role (`manageApiGatewayAccount`, on by default): each stack
 * would claim the one setting, and deleting either would leave the other pointing at a removed
 * role. Stages that pin no account cannot be checked: the README says to set it on one.
 */
export function checkSharedAccounts(
  settings: Readonly<
    Record<
      string,
      { readonly account?: string; readonly region?: string; readonly manageApiGatewayAccount?: boolean }
    >
  >,
  defaultRegion: string,
): void {
  const managers = new Map<string, string[]>();
  for (const [stage, { account, region = defaultRegion, manageApiGatewayAccount = true }] of Object.entries(
    settings,
  )) {
    if (account === undefined || !manageApiGatewayAccount) continue;
    const place = `${account} in ${region}`;
    managers.set(place, [...(managers.get(place) ?? []), stage]);
  }
  for (const [place, stages] of managers) {
    if (stages.length > 1) {
      throw new ConfigError(
        `stages ${stages.join(', ')} share account ${place} and each would set its API Gateway CloudWatch Logs role: set manageApiGatewayAccount: false on all but one`,
      );
    }
  }
}
const isHttpsUrl = (value: string) => URL.canParse(value) && new URL(value).protocol === 'https:';

/**
 * Throws `ConfigError` when an OIDC issuer of end users' tokens is not an `https://` URL, names no
 * audience (any client's token would do) or a blank one, or its keys are not at an `https://`
 * URL; or when the tenant claim is blank.
 */
export function checkEndUsers(environment: string, endUsers: EndUsersConfig): void {
  if (endUsers.tenantClaim.trim() === '')
    throw new ConfigError(`${environment}: endUsers.tenantClaim is blank`);
  const { oidc } = endUsers;
  if (oidc === undefined) return;
  if (!isHttpsUrl(oidc.issuer)) {
    throw new ConfigError(
      `${environment}: the end users' token issuer must be an https:// URL, not ${oidc.issuer}`,
    );
  }
  if (oidc.audience.length === 0 || oidc.audience.some((client) => client.trim() === '')) {
    throw new ConfigError(
      `${environment}: name the client ids end users' tokens are for (endUsers.oidc.audience): without one any client's token would do`,
    );
  }
  if (!isHttpsUrl(oidc.jwksUrl)) {
    throw new ConfigError(
      `${environment}: the issuer's keys must be at an https:// URL, not ${oidc.jwksUrl}`,
    );
  }
}

/**
 * Throws `ConfigError` unless the webhook functions' timeout is shorter than an idempotency
 * claim's in-progress time, their reserved concurrency is a whole number of at least 1 (0 would
 * refuse every delivery) and their provisioned concurrency, when set, a whole number no larger
 * than it (Lambda refuses more warm instances than the function may run).
 */
export function checkWebhooks(environment: string, webhooks: WebhooksConfig): void {
  if (webhooks.timeout.toSeconds() >= webhookLimits.inProgressTtlSeconds) {
    throw new ConfigError(
      `${environment}: the webhook timeout must be shorter than an idempotency claim's ${webhookLimits.inProgressTtlSeconds} s in-progress time`,
    );
  }
  const { reservedConcurrency: reserved, provisionedConcurrency: provisioned } = webhooks;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    throw new ConfigError(
      `${environment}: webhook reservedConcurrency must be a whole number of at least 1, or unset to reserve none`,
    );
  }
  const most = reserved ?? Number.POSITIVE_INFINITY;
  if (
    provisioned !== undefined &&
    (!Number.isInteger(provisioned) || provisioned < 1 || provisioned > most)
  ) {
    throw new ConfigError(
      `${environment}: webhook provisionedConcurrency must be a whole number from 1${
        reserved === undefined ? '' : ` to reservedConcurrency (${reserved})`
      }`,
    );
  }
}

const emailPattern = /^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/;
const headerNamePattern = /^[A-Za-z0-9-]{1,64}$/;
const eventBusArnPattern =
  /^arn:aws[a-z-]*:events:[a-z]{2}(-[a-z]+)+-\d:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/;

/** The domain of an address (`orders@example.jp` -> `example.jp`); the address itself if it has none. */
export function emailDomain(address: string): string {
  return emailPattern.exec(address)?.[1] ?? address;
}

/**
 * Throws `ConfigError` unless the archive keeps events for whole days and no longer than the
 * consumers remember handled events (`consumerLimits.dedupeTtlSeconds`, less the targets' maximum
 * event age: a replay of an older event would run again, a second confirmation email), a consumer
 * finishes before its idempotency claim expires (`consumerLimits.inProgressSeconds`), the sender is an address
 * covered by the SES identity (the address, its domain or a parent domain), the alert webhook is
 * an `https://` URL without credentials in it, its key header is a header name and its rate
 * 1 – 300 per second, and the forwarding bus, when set, is an event bus ARN.
 */
export function checkEvents(environment: string, events: EventsConfig): void {
  const days = events.archiveRetention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new ConfigError(
      `${environment}: the event archive keeps events for a whole number of days (at least 1)`,
    );
  }
  const rememberedSeconds = consumerLimits.dedupeTtlSeconds - defaultTargetRetry.maximumEventAgeSeconds;
  if (events.archiveRetention.toSeconds() > rememberedSeconds) {
    throw new ConfigError(
      `${environment}: the event archive must not outlast the consumers' memory of handled events (${Math.floor(rememberedSeconds / 86_400)} days): a replay of an older event would run it again`,
    );
  }
  if (events.consumerTimeout.toSeconds() >= consumerLimits.inProgressSeconds) {
    throw new ConfigError(
      `${environment}: the consumer timeout must be shorter than an idempotency claim's ${consumerLimits.inProgressSeconds} s in-progress time`,
    );
  }
  const domain = emailPattern.exec(events.senderEmail)?.[1];
  if (domain === undefined) {
    throw new ConfigError(`${environment}: senderEmail "${events.senderEmail}" is not an email address`);
  }
  const identity = events.senderIdentity.toLowerCase();
  const covered =
    identity === events.senderEmail.toLowerCase() ||
    identity === domain.toLowerCase() ||
    domain.toLowerCase().endsWith(`.${identity}`);
  if (!covered) {
    throw new ConfigError(
      `${environment}: senderIdentity "${events.senderIdentity}" does not cover senderEmail "${events.senderEmail}" (use the address, its domain or a parent domain)`,
    );
  }
  const { url, apiKeyHeader, rateLimitPerSecond } = events.moderationWebhook;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${environment}: moderationWebhookUrl "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(
      `${environment}: moderationWebhookUrl must be an https:// URL without credentials (the key goes in the Connection)`,
    );
  }
  if (!headerNamePattern.test(apiKeyHeader)) {
    throw new ConfigError(`${environment}: "${apiKeyHeader}" is not an HTTP header name`);
  }
  if (!Number.isInteger(rateLimitPerSecond) || rateLimitPerSecond < 1 || rateLimitPerSecond > 300) {
    throw new ConfigError(
      `${environment}: the moderation webhook rate must be a whole number from 1 to 300 per second`,
    );
  }
  if (events.crossAccountBusArn !== undefined && !eventBusArnPattern.test(events.crossAccountBusArn)) {
    throw new ConfigError(
      `${environment}: crossAccountBusArn "${events.crossAccountBusArn}" is not an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)`,
    );
  }
}

/** SQS's longest visibility timeout (12 hours). */
const maxVisibilityTimeoutSeconds = 43_200;

/**
 * Throws `ConfigError` unless a job's chunk concurrency is a whole number from 1 to 40 (an inline
 * Map runs at most 40 iterations at once), each lane's starter concurrency a whole number from 2
 * to 1000 (an SQS event source mapping's range) with the low lane's no larger than the normal
 * lane's, the callback deliverer's concurrency in that same range, six starter timeouts fit SQS's longest visibility timeout, and the steps function ends
 * no later than the workflow's longest Task state times out.
 */
export function checkJobs(environment: string, jobs: JobsConfig): void {
  const { chunkConcurrency, laneConcurrency } = jobs;
  if (!Number.isInteger(chunkConcurrency) || chunkConcurrency < 1 || chunkConcurrency > 40) {
    throw new ConfigError(`${environment}: job chunkConcurrency must be a whole number from 1 to 40`);
  }
  for (const [lane, concurrency] of Object.entries(laneConcurrency)) {
    if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000) {
      throw new ConfigError(
        `${environment}: the ${lane} job lane's concurrency must be a whole number from 2 to 1000`,
      );
    }
  }
  if (laneConcurrency.low > laneConcurrency.normal) {
    throw new ConfigError(
      `${environment}: the low job lane may not start more jobs at once than the normal lane`,
    );
  }
  if (!Number.isInteger(jobs.jobsPerTenant) || jobs.jobsPerTenant < 1 || jobs.jobsPerTenant > 1000) {
    throw new ConfigError(`${environment}: jobsPerTenant must be a whole number from 1 to 1000`);
  }
  const { callbackConcurrency } = jobs;
  if (!Number.isInteger(callbackConcurrency) || callbackConcurrency < 2 || callbackConcurrency > 1000) {
    throw new ConfigError(
      `${environment}: the job callback deliverer's concurrency must be a whole number from 2 to 1000`,
    );
  }
  if (jobs.starterTimeout.toSeconds() * 6 > maxVisibilityTimeoutSeconds) {
    throw new ConfigError(
      `${environment}: six job starter timeouts (the queues' visibility timeout) must fit SQS's ${maxVisibilityTimeoutSeconds} s`,
    );
  }
  const shortestTask = shortestTaskTimeoutSeconds();
  if (jobs.stepsTimeout.toSeconds() > shortestTask) {
    throw new ConfigError(
      `${environment}: the job steps function's timeout must not exceed the workflow's shortest Task timeout (${shortestTask} s)`,
    );
  }
}

/** Fargate's CPU units and the memory (MiB) each allows. */
const fargateSizes: Readonly<Record<number, readonly [number, number]>> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
};

/**
 * The orchestrator: at least one task and no more than the largest count, 2 or more in prod (a
 * task per AZ), and a Fargate size (CPU units with memory in its range: 512 MiB or whole GiB).
 */
export function checkOrchestrator(environment: string, orchestrator: OrchestratorConfig): void {
  const { desiredCount, maxCount, cpu, memoryLimitMiB } = orchestrator;
  if (
    !Number.isInteger(desiredCount) ||
    desiredCount < 1 ||
    !Number.isInteger(maxCount) ||
    maxCount < desiredCount
  ) {
    throw new ConfigError(
      `${environment}: the orchestrator needs 1 task or more, and maxCount no less than desiredCount`,
    );
  }
  if (environment === 'prod' && desiredCount < 2) {
    throw new ConfigError(`${environment}: the orchestrator runs 2 tasks or more in prod, one per AZ`);
  }
  const range = fargateSizes[cpu];
  if (
    range === undefined ||
    memoryLimitMiB < range[0] ||
    memoryLimitMiB > range[1] ||
    (memoryLimitMiB % 1024 !== 0 && memoryLimitMiB !== 512)
  ) {
    throw new ConfigError(
      `${environment}: ${cpu} CPU units with ${memoryLimitMiB} MiB is not a Fargate task size`,
    );
  }
}

/**
 * Lambda's environment holds at most 4 KB in total; the tenants list shares it with the gateway
 * settings. More tenants than fit belong in a table, not in `TENANTS_JSON`.
 */
const maxTenantsJsonBytes = 2048;
/** API Gateway API-key ids are 10 characters; a stand-in of that length sizes the JSON. */
const apiKeyIdStandIn = 'k'.repeat(10);

/**
 * Validates an environment's tenants and applies `tenantSchema`'s defaults. Throws
 * `ConfigError` for an empty list, an invalid tenant, a duplicate id, or more tenants than fit
 * in `TENANTS_JSON` (Lambda's environment is 4 KB in all).
 */
export function parseTenants(environment: string, settings: readonly TenantSettings[]): Tenant[] {
  const parsed = z.array(tenantSchema).check(z.minLength(1)).safeParse(settings);
  if (!parsed.success) {
    throw new ConfigError(`${environment}: invalid tenants: ${parsed.error.message}`);
  }
  const ids = parsed.data.map((tenant) => tenant.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new ConfigError(`${environment}: duplicate tenant id "${duplicate}"`);
  const estimate = JSON.stringify({
    tenants: parsed.data,
    apiKeys: Object.fromEntries(ids.map((id, index) => [`${apiKeyIdStandIn}${index}`, id])),
  });
  if (Buffer.byteLength(estimate) > maxTenantsJsonBytes) {
    throw new ConfigError(
      `${environment}: ${ids.length} tenants do not fit the Lambda environment (TENANTS_JSON over ${maxTenantsJsonBytes} bytes)`,
    );
  }
  return parsed.data;
}

/**
 * Throws `ConfigError` when an alias (`fast`, `balanced`, `quality`: what the task routes and
 * `model` requests name) points at a model with no target under the stage's region targets and
 * geographies, unless `unreachableAliases` says why it may (its calls then answer from the first
 * reachable model of its fallback ladder, which the error names); when no model of an alias's
 * ladder is reachable at all, acknowledged or not (its task function would have no Bedrock grant);
 * and when an acknowledgement is blank or names an alias that is reachable, so none outlives its
 * reason.
 */
export function checkModelReach(environment: string, bedrock: BedrockConfig): void {
  const catalog = loadModelCatalog(bedrock.modelCatalogOverridesJson);
  const reachable = (key: string) => {
    const spec = catalog.models[key];
    return (
      spec !== undefined &&
      invocationTargets(spec, bedrock.regionTargets, bedrock.allowedGeographies).usable.length > 0
    );
  };
  const where = `${[...new Set(bedrock.regionTargets.map((target) => target.region))].join(', ')} within ${
    bedrock.allowedGeographies?.join(', ') ?? 'any geography'
  }`;
  for (const alias of modelAliases) {
    const key = catalog.aliases[alias];
    const answering = fallbackLadder(catalog, key).find(reachable);
    const acknowledged = bedrock.unreachableAliases?.[alias];
    if (answering === undefined) {
      throw new ConfigError(
        `${environment}: no model of the ${alias} alias's ladder (${fallbackLadder(catalog, key).join(' → ')}) has a Bedrock target in ${where}: its calls could never be answered`,
      );
    }
    if (answering !== key && acknowledged === undefined) {
      throw new ConfigError(
        `${environment}: the ${alias} alias points at ${key}, which has no Bedrock target in ${where}: its calls would answer from ${answering}. Point the alias at a reachable model, or say why in bedrock.unreachableAliases.${alias}`,
      );
    }
    if (acknowledged !== undefined && acknowledged.trim() === '') {
      throw new ConfigError(`${environment}: bedrock.unreachableAliases.${alias} must say why`);
    }
    if (answering === key && acknowledged !== undefined) {
      throw new ConfigError(
        `${environment}: bedrock.unreachableAliases.${alias} acknowledges ${key} as unreachable, but it is reachable: remove the acknowledgement`,
      );
    }
  }
}
