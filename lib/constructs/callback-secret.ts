import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface CallbackSecretProps {
  /** Deployment stage: the secret is named `mangaassist-<stage>-callback-secrets`. */
  readonly stage: string;
  /**
   * @default RemovalPolicy.RETAIN - the tenants' signing secrets are not recreated by a deploy
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one Secrets Manager secret holding each tenant's job callback signing secrets, as
 * `{ "<tenant id>": ["whsec_…", …] }` (`callbackSecretsDocumentSchema` in
 * `@mangaassist/jobs/secrets-manager`): callbacks to a tenant are signed (Standard Webhooks) with
 * the first of its list. A tenant absent from it may not give a job a `callback_url` (the jobs API
 * answers 422), and a callback queued for it is retried until its secret appears.
 *
 * The secret starts as `{}`, which is valid and names no tenant: unlike a random placeholder, it
 * lets the jobs API refuse callbacks cleanly instead of failing to load the secret. To give a
 * tenant a secret, an operator generates one (`whsec_` followed by the base64 of 24 to 64 random
 * bytes, e.g. `echo "whsec_$(openssl rand -base64 32)"`), hands it to the tenant over a secure
 * channel, and writes the whole document back:
 *
 * ```sh
 * aws secretsmanager get-secret-value --secret-id mangaassist-<stage>-callback-secrets \
 *   --query SecretString --output text > callback-secrets.json
 * # edit: { "acme": ["whsec_…"], … }
 * aws secretsmanager put-secret-value --secret-id mangaassist-<stage>-callback-secrets \
 *   --secret-string file://callback-secrets.json && rm callback-secrets.json
 * ```
 *
 * The functions read it again within a minute (their cache), without a deploy. Callbacks are
 * signed with the first secret of a tenant's list only; to rotate one, hand the tenant the new
 * secret and wait until its receiver accepts both, then put the new one first (the old one may
 * stay after it until the tenant drops it, then be removed).
 * CloudFormation writes the `{}` only when the secret is created or when that template value
 * changes: never change it, or a deploy would wipe the operators' document.
 *
 * Encrypted with the AWS managed key `aws/secretsmanager`, as `WebhookSecret` and for the same
 * reasons: only this account's job functions read it, through IAM (`grantRead` on this secret
 * alone), every decryption is logged in CloudTrail, and there is no key policy to get wrong.
 */
export class CallbackSecret extends Construct {
  /** The secret's name for a stage, as operators refer to it. */
  static secretName(stage: string): string {
    return `mangaassist-${stage}-callback-secrets`;
  }

  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: CallbackSecretProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      secretName: CallbackSecret.secretName(props.stage),
      description: `MangaAssist ${props.stage}: job callback signing secrets per tenant, {"<tenant>":["whsec_..."]}; put with aws secretsmanager put-secret-value`,
      // Not a secret: an empty document naming no tenant (see the class documentation).
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'These secrets are shared with the tenants, who verify our callbacks with them, so a rotation Lambda cannot replace one on its own schedule without breaking that tenant’s verification; rotation is coordinated by hand without downtime: the tenant first accepts the new secret alongside the old one, then an operator puts it first in the tenant’s list (callbacks are signed with the first).',
    });
  }
}
