import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** `/mangaassist/<stage>/<key>`: where a stage's published name lives in SSM Parameter Store. */
export function publishedNameParameter(stage: string, key: string): string {
  return `/mangaassist/${stage}/${key}`;
}

export interface PublishedNamesProps {
  readonly stage: string;
  /** key (`webhooks/stripe/function`) → the value to publish (a name or id, never a secret). */
  readonly names: Readonly<Record<string, string>>;
}

/**
 * Names and ids one stack publishes for a later one (the events stack's dashboard), as SSM
 * parameters rather than CloudFormation exports: a resource behind an export cannot be replaced
 * ("export in use"), one behind a parameter can, and the reader picks the new value up on its
 * next deploy. Read them with `readPublishedName`.
 */
export class PublishedNames extends Construct {
  constructor(scope: Construct, id: string, props: PublishedNamesProps) {
    super(scope, id);
    for (const [key, value] of Object.entries(props.names)) {
      new StringParameter(this, key, {
        parameterName: publishedNameParameter(props.stage, key),
        stringValue: value,
        description: `MangaAssist ${props.stage}: ${key} (read by the later stacks)`,
      });
    }
  }
}

/** A name `PublishedNames` published, resolved when the reading stack deploys. */
export function readPublishedName(scope: Construct, stage: string, key: string): string {
  return StringParameter.valueForStringParameter(scope, publishedNameParameter(stage, key));
}
