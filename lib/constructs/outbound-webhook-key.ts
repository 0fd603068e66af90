import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface OutboundWebhookKeyProps {
  /** Deployment stage: the secret is named `mangaassist-<stage>-<name>-key`. */
  readonly stage: string;
  /** What the key is for, in the secret's name (`moderation-alerts`). */
  readonly name: string;
  /**
   * @default RemovalPolicy.RETAIN - the receiver has been configured with this key
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The API key EventBridge sends with an outbound webhook (an API destination's Connection): a
 * Secrets Manager secret generated at creation (48 letters and digits), so no value is in the
 * template or the repository. The Connection copies it into the secret EventBridge manages for
 * it; the template refers to it only by a dynamic reference.
 *
 * An operator configures the receiver with it:
 * `aws secretsmanager get-secret-value --secret-id mangaassist-<stage>-<name>-key --query SecretString --output text`.
 */
export class OutboundWebhookKey extends Construct {
  /** The secret's name for a stage and purpose. */
  static secretName(stage: string, name: string): string {
    return `mangaassist-${stage}-${name}-key`;
  }

  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: OutboundWebhookKeyProps) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      secretName: OutboundWebhookKey.secretName(props.stage, props.name),
      description: `MangaAssist ${props.stage}: API key EventBridge sends to the ${props.name} webhook (the receiver checks it)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key is shared with an external receiver, which must accept the new key before EventBridge sends it; an automatic rotation Lambda could change only our side. Rotation is an operator step: configure the receiver to accept the new key, put it here, update the Connection (aws events update-connection), then retire the old key.',
    });
  }
}
