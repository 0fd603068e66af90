import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

/** The feature flags in cdk.json, so tests build what `cdk synth` builds. */
const featureFlags = Object.fromEntries(
  Object.entries(
    (
      JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
        context: Record<string, unknown>;
      }
    ).context,
  ).filter(([key]) => key.startsWith('@aws-cdk/')),
);

/** An app for unit tests: cdk.json's feature flags, no asset bundling (`cdk synth` covers bundles). */
export function unitTestApp(): App {
  return new App({ context: { ...featureFlags, 'aws:cdk:bundling-stacks': [] } });
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every `AWS::IAM::Policy` in the template. */
export function policyStatements(template: Template): PolicyStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

export function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Renders `Fn::Join` / `Ref` as text (`arn:<AWS::Partition>:bedrock:…`) for readable assertions. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    if ('Fn::Join' in value) {
      const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      return parts.map(flatten).join(separator);
    }
    if ('Ref' in value) return `<${String((value as { Ref: unknown }).Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The logical id of the one resource of `type` whose id starts with `prefix`; throws otherwise. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  const [id] = ids;
  if (id === undefined || ids.length > 1) {
    throw new Error(`expected one ${type} whose logical id starts with ${prefix}, found ${ids.length}`);
  }
  return id;
}

interface FunctionResource {
  readonly Properties: {
    readonly Role: { 'Fn::GetAtt': [string, string] };
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
    readonly Timeout?: number;
    readonly MemorySize?: number;
    readonly VpcConfig?: unknown;
  };
}

/** The properties of the Lambda function whose logical id starts with `prefix`. */
export function functionProperties(template: Template, prefix: string): FunctionResource['Properties'] {
  const id = logicalId(template, 'AWS::Lambda::Function', prefix);
  return (template.findResources('AWS::Lambda::Function')[id] as FunctionResource).Properties;
}

/** The environment variables of the Lambda function whose logical id starts with `prefix`. */
export function functionEnvironment(template: Template, prefix: string): Record<string, unknown> {
  return functionProperties(template, prefix).Environment?.Variables ?? {};
}

/** Every statement of the policies attached to the execution role of the function `prefix`. */
export function functionStatements(template: Template, prefix: string): PolicyStatement[] {
  const [roleId] = functionProperties(template, prefix).Role['Fn::GetAtt'];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map(
      (policy) =>
        (policy as { Properties: { Roles: unknown[]; PolicyDocument: { Statement: PolicyStatement[] } } })
          .Properties,
    )
    .filter((policy) => policy.Roles.some((role) => flatten(role) === `<${roleId}>`))
    .flatMap((policy) => policy.PolicyDocument.Statement);
}

/** The statements of the policies attached to the role whose logical id starts with `prefix`. */
export function roleStatements(template: Template, prefix: string): PolicyStatement[] {
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(prefix));
  if (roles.length !== 1)
    throw new Error(`expected one role whose logical id starts with ${prefix}, found ${roles.length}`);
  return resourcesOf<{ Roles: unknown[]; PolicyDocument: { Statement: PolicyStatement[] } }>(
    template,
    'AWS::IAM::Policy',
  )
    .filter((policy) => policy.properties.Roles.some((role) => flatten(role) === `<${roles[0]}>`))
    .flatMap((policy) => policy.properties.PolicyDocument.Statement);
}

/** Every action the function `prefix` is allowed, sorted and without duplicates. */
export function functionActions(template: Template, prefix: string): string[] {
  return [
    ...new Set(
      functionStatements(template, prefix)
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap((statement) => asList(statement.Action)),
    ),
  ].sort();
}

export interface ResourceEntry<P> {
  readonly logicalId: string;
  readonly properties: P;
}

/** Every resource of `type` with its logical id and properties (typed by the caller's interface). */
export function resourcesOf<P>(template: Template, type: string): ResourceEntry<P>[] {
  return Object.entries(template.findResources(type)).map(([id, resource]) => ({
    logicalId: id,
    properties: (resource as { Properties: P }).Properties,
  }));
}
