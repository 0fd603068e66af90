import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface WebhookSecretProps {
  /** Deployment stage: the secret is named `mangaassist-<stage>-webhook-secrets`. */
  readonly stage: string;
  /**
   * @default RemovalPolicy.RETAIN - the partners' signing secrets are not recreated by a deploy
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one Secrets Manager secret holding every webhook source's signing secrets, as
 * `{ "stripe": ["whsec_…"], "reviews": ["whsec_…"], "catalog": ["whsec_…"] }`
 * (`webhookSecretsSchema` in `@mangaassist/contracts`). Several secrets per source may be active
 * at once, which is how a partner's secret is rotated: add the new one, let the partner switch,
 * remove the old one.
 *
 * No value is in the template: Secrets Manager starts the secret with a random placeholder that
 * is not that JSON, and an operator puts the partners' secrets with
 * `aws secretsmanager put-secret-value --secret-id mangaassist-<stage>-webhook-secrets --secret-string file://webhook-secrets.json`.
 * Until then the receivers refuse to load it (a malformed secret fails loudly, answers 5xx and
 * the partners retry) instead of rejecting every delivery as unsigned. Never change the
 * placeholder's generator settings: CloudFormation would replace the operator's value.
 *
 * Encrypted with the AWS managed key `aws/secretsmanager` rather than a customer managed one:
 * only this account's receivers read it, through IAM (`grantRead` on this secret alone), every
 * decryption is logged in CloudTrail like a customer key's, and there is no key policy to get
 * wrong, no extra grant per reader and no monthly key charge. A customer managed key pays for
 * itself with cross-account readers or a requirement to cut access by disabling the key.
 */
export class WebhookSecret extends Construct {
  /** The secret's name for a stage, as operators and the local runtime refer to it. */
  static secretName(stage: string): string {
    return `mangaassist-${stage}-webhook-secrets`;
  }

  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: WebhookSecretProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      secretName: WebhookSecret.secretName(props.stage),
      description: `MangaAssist ${props.stage}: webhook signing secrets, {"stripe":["whsec_..."],"reviews":[...],"catalog":[...]}; put with aws secretsmanager put-secret-value`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The signing secrets are issued by the partners (Stripe, the review and catalog senders), not by us, so a rotation Lambda cannot mint them; rotation is done by hand without downtime because the receivers accept several active secrets per source (the new one is added before the partner switches, the old one removed after).',
    });
  }
}
