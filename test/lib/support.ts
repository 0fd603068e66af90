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
