import { gatewayEnvironment } from '@mangaassist/contracts';
import {
  fallbackLadder,
  type Geography,
  invocationTargets,
  loadModelCatalog,
  type ModelCatalog,
  type RegionTarget,
  resolveModelKey,
} from '@mangaassist/fm-gateway/catalog';
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { nagResourceName } from './nag-resource-name.js';

export class BedrockInvokeAccessError extends Error {
  override readonly name = 'BedrockInvokeAccessError';
}

export interface BedrockInvokeAccessProps {
  /**
   * JSON overrides of the default model catalog; the resulting catalog's models are the only
   * ones granted.
   * @default - the default catalog
   */
  readonly catalogOverridesJson?: string;
  /** Where the gateway sends requests: a source region plus, optionally, an inference profile. */
  readonly regionTargets: readonly RegionTarget[];
  /**
   * Geographies data may be processed in; targets outside them get no permission.
   * @default - every configured target is allowed
   */
  readonly allowedGeographies?: readonly Geography[];
  /**
   * The guardrail the gateway applies to users' new messages: in the handler environment, and
   * `bedrock:ApplyGuardrail` on it with every grant (Bedrock requires it of a call that names a
   * guardrail).
   * @default - no guardrail
   */
  readonly guardrail?: GuardrailReference;
}

/** A deployed guardrail version (`ModelGuardrail`). */
export interface GuardrailReference {
  readonly guardrailVersion: string;
  /** Named to the functions by ARN, so that the gateway knows its region. */
  readonly guardrailArn: string;
  /** The guardrail profile's ARN in every destination region (`ModelGuardrail.profileArn('*')`). */
  profileArn(region: string): string;
}

/** Which models `grantInvoke` covers. */
export interface BedrockGrantOptions {
  /**
   * Catalog keys or aliases (`fast`) the grantee asks for; each is granted together with the
   * models it falls back to, as the gateway calls those when it fails. Throws
   * `BedrockInvokeAccessError` for a name the catalog does not know.
   * @default - every model of the catalog
   */
  readonly models?: readonly string[];
}

/** The ARNs one catalog model is called through. */
interface ModelResources {
  readonly profiles: readonly string[];
  readonly routedModels: readonly string[];
  readonly onDemandModels: readonly string[];
}

/**
 * Least-privilege permission to run inference on the catalog's models through the configured
 * targets, computed with the same `invocationTargets` the gateway uses at run time, and the
 * handler environment that makes the gateway use exactly those targets (`handlerEnvironment`).
 *
 * Actions are `bedrock:InvokeModel` and `bedrock:InvokeModelWithResponseStream`: they also
 * authorise Converse and ConverseStream, which have no IAM actions of their own.
 *
 * - Through a cross-region inference profile: the profile in its source region
 *   (`arn:…:bedrock:<region>:<account>:inference-profile/jp.anthropic…`), plus the base
 *   foundation model in any region (`arn:…:bedrock:*::foundation-model/anthropic…`) but only
 *   when the call comes through one of those profiles (`bedrock:InferenceProfileArn`). The
 *   region must stay a wildcard: a profile routes to any region of its geography, and AWS adds
 *   destination regions without notice (a `global.` profile's model ARN has no region at all).
 * - On demand: the foundation model in exactly the target's region.
 */
export class BedrockInvokeAccess extends Construct {
  static readonly actions: readonly string[] = [
    'bedrock:InvokeModel',
    'bedrock:InvokeModelWithResponseStream',
  ];

  /** The catalog granted (defaults plus overrides). */
  readonly catalog: ModelCatalog;
  /**
   * The gateway settings matching this access, keyed by `gatewayEnvironment` names:
   * region targets, allowed geographies and catalog overrides (the last two only when set).
   */
  readonly handlerEnvironment: Readonly<Record<string, string>>;
  /** Inference profiles the grantee may call, one per (source region, profile id). */
  readonly inferenceProfileArns: readonly string[];
  /** Foundation models reachable only through those profiles (wildcard region, conditioned). */
  readonly profileRoutedModelArns: readonly string[];
  /** Foundation models called on demand, each in its own region. */
  readonly onDemandModelArns: readonly string[];
  /** Catalog keys with no usable target under the configured targets and geographies. */
  readonly unreachableModels: readonly string[];
  /** The guardrail every grant may apply. */
  readonly guardrail?: GuardrailReference;
  private readonly resourcesByModel: ReadonlyMap<string, ModelResources>;

  constructor(scope: Construct, id: string, props: BedrockInvokeAccessProps) {
    super(scope, id);
    this.catalog = loadModelCatalog(props.catalogOverridesJson);
    this.handlerEnvironment = {
      [gatewayEnvironment.regionTargets]: JSON.stringify(props.regionTargets),
      ...(props.allowedGeographies
        ? { [gatewayEnvironment.allowedGeographies]: props.allowedGeographies.join(',') }
        : {}),
      ...(props.catalogOverridesJson
        ? { [gatewayEnvironment.modelCatalog]: props.catalogOverridesJson }
        : {}),
      ...(props.guardrail
        ? {
            [gatewayEnvironment.guardrailId]: props.guardrail.guardrailArn,
            [gatewayEnvironment.guardrailVersion]: props.guardrail.guardrailVersion,
          }
        : {}),
    };
    this.guardrail = props.guardrail;
    const stack = Stack.of(this);
    const byModel = new Map<string, ModelResources>();
    const unreachable: string[] = [];

    for (const [key, spec] of Object.entries(this.catalog.models)) {
      const { usable } = invocationTargets(spec, props.regionTargets, props.allowedGeographies);
      if (usable.length === 0) unreachable.push(key);
      const profiles = new Set<string>();
      const routedModels = new Set<string>();
      const onDemandModels = new Set<string>();
      for (const target of usable) {
        if (target.modelId === spec.modelId) {
          onDemandModels.add(foundationModelArn(stack, target.region, spec.modelId));
        } else {
          profiles.add(
            stack.formatArn({
              service: 'bedrock',
              region: target.region,
              resource: 'inference-profile',
              resourceName: target.modelId,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          );
          routedModels.add(foundationModelArn(stack, '*', spec.modelId));
        }
      }
      byModel.set(key, {
        profiles: [...profiles],
        routedModels: [...routedModels],
        onDemandModels: [...onDemandModels],
      });
    }
    const all = mergeResources([...byModel.values()]);
    if (all.profiles.length === 0 && all.onDemandModels.length === 0) {
      throw new BedrockInvokeAccessError(
        'no catalog model is reachable through the configured Bedrock region targets and geographies',
      );
    }
    this.resourcesByModel = byModel;
    this.inferenceProfileArns = all.profiles;
    this.profileRoutedModelArns = all.routedModels;
    this.onDemandModelArns = all.onDemandModels;
    this.unreachableModels = unreachable;
  }

  /**
   * Lets `grantee` invoke (and stream from) the catalog's models through the configured targets:
   * all of them, or only `options.models` and their fallbacks — and apply the guardrail, if there
   * is one. A selection none of which is reachable grants nothing.
   */
  grantInvoke(grantee: IGrantable, options: BedrockGrantOptions = {}): Grant {
    const resources = mergeResources(this.modelKeys(options.models).map((key) => this.resourcesOf(key)));
    const actions = [...BedrockInvokeAccess.actions];
    const grants: Grant[] = [];
    if (resources.profiles.length > 0) {
      grants.push(
        Grant.addToPrincipal({ grantee, actions, resourceArns: [...resources.profiles] }),
        Grant.addToPrincipal({
          grantee,
          actions,
          resourceArns: [...resources.routedModels],
          conditions: { StringEquals: { 'bedrock:InferenceProfileArn': [...resources.profiles] } },
        }),
      );
      this.acknowledgeWildcardRegions(grantee.grantPrincipal, resources.routedModels);
    }
    if (resources.onDemandModels.length > 0) {
      grants.push(Grant.addToPrincipal({ grantee, actions, resourceArns: [...resources.onDemandModels] }));
    }
    if (this.guardrail && grants.length > 0) {
      const profiles = this.guardrail.profileArn('*');
      grants.push(
        Grant.addToPrincipal({
          grantee,
          actions: ['bedrock:ApplyGuardrail'],
          resourceArns: [this.guardrail.guardrailArn, profiles],
        }),
      );
      const principal = grantee.grantPrincipal;
      if (isConstruct(principal)) {
        Validations.of(principal).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, profiles)}]`,
          reason:
            'bedrock:ApplyGuardrail on the guardrail profile in every region: the profile sends the guardrail’s own inference to any region of its geography, and AWS adds regions to it without notice.',
        });
      }
    }
    const [first, ...rest] = grants;
    if (first === undefined) return Grant.drop(grantee, 'no reachable Bedrock model');
    return rest.reduce((combined, grant) => combined.combine(grant), first);
  }

  /**
   * Lets `grantee` perform `actions` on the ARNs the catalog's models (or `options.models` and
   * their fallback ladders) are reached through — their inference profiles and the foundation
   * models behind them — without inference's profile condition: for control-plane calls that
   * name a model, such as `bedrock:CreateModelInvocationJob`.
   */
  grantOnModels(grantee: IGrantable, actions: readonly string[], options: BedrockGrantOptions = {}): Grant {
    const resources = mergeResources(this.modelKeys(options.models).map((key) => this.resourcesOf(key)));
    const arns = [...resources.profiles, ...resources.routedModels, ...resources.onDemandModels];
    if (arns.length === 0) return Grant.drop(grantee, 'no reachable Bedrock model');
    const principal = grantee.grantPrincipal;
    if (isConstruct(principal)) {
      for (const arn of resources.routedModels) {
        Validations.of(principal).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, arn)}]`,
          reason: `${actions.join(', ')} on one foundation model in any region of its inference profile's geography (a profile routes to the model in any of them, so the region is a wildcard).`,
        });
      }
    }
    return Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: arns });
  }

  /** Catalog keys to grant: every model, or the named ones with their fallback ladders. */
  private modelKeys(names: readonly string[] | undefined): string[] {
    if (names === undefined) return Object.keys(this.catalog.models);
    const keys = names.flatMap((name) => {
      const key = resolveModelKey(this.catalog, name);
      if (key === undefined) {
        throw new BedrockInvokeAccessError(`unknown model "${name}": use a catalog key or an alias`);
      }
      return fallbackLadder(this.catalog, key);
    });
    return [...new Set(keys)];
  }

  private resourcesOf(key: string): ModelResources {
    return this.resourcesByModel.get(key) ?? { profiles: [], routedModels: [], onDemandModels: [] };
  }

  private acknowledgeWildcardRegions(principal: unknown, routedModelArns: readonly string[]): void {
    if (!isConstruct(principal)) return;
    for (const arn of routedModelArns) {
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, arn)}]`,
        reason:
          'A cross-region inference profile routes to this foundation model in any region of its geography (a global profile to a region-less ARN), so the region is a wildcard; the statement applies only to calls made through the granted inference profiles (Condition bedrock:InferenceProfileArn) and names one model.',
      });
    }
  }
}

function mergeResources(parts: readonly ModelResources[]): ModelResources {
  const union = (pick: (part: ModelResources) => readonly string[]) => [...new Set(parts.flatMap(pick))];
  return {
    profiles: union((part) => part.profiles),
    routedModels: union((part) => part.routedModels),
    onDemandModels: union((part) => part.onDemandModels),
  };
}

function foundationModelArn(stack: Stack, region: string, modelId: string): string {
  return stack.formatArn({
    service: 'bedrock',
    region,
    account: '',
    resource: 'foundation-model',
    resourceName: modelId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

function isConstruct(value: unknown): value is IConstruct {
  return typeof value === 'object' && value !== null && Construct.isConstruct(value);
}
