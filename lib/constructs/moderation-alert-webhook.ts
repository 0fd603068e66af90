import { SecretValue } from 'aws-cdk-lib';
import { ApiDestination, Authorization, Connection, HttpMethod } from 'aws-cdk-lib/aws-events';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface ModerationAlertWebhookProps {
  /** Deployment stage: names `mangaassist-<stage>-moderation-alerts`. */
  readonly stage: string;
  /** Where alerts are POSTed: `https://`, with no credential in the URL itself. */
  readonly endpoint: string;
  /** The header EventBridge sends the API key in. */
  readonly apiKeyHeader: string;
  /** The API key (a secret's whole `SecretString`). */
  readonly apiKey: ISecret;
  /**
   * Most requests per second to the endpoint; EventBridge holds the excess back (up to the
   * target's maximum event age) instead of flooding the receiver.
   * @default 10
   */
  readonly rateLimitPerSecond?: number;
}

/**
 * The outbound notification for critical moderation: an EventBridge Connection (API key
 * authorisation, the key taken from `apiKey` by a dynamic reference, so the template holds none;
 * EventBridge keeps its copy in a secret it manages) and an API destination POSTing to a
 * Slack-style webhook. The rule's input transformer shapes the body (`text` plus the facts).
 */
export class ModerationAlertWebhook extends Construct {
  readonly connection: Connection;
  readonly apiDestination: ApiDestination;

  constructor(scope: Construct, id: string, props: ModerationAlertWebhookProps) {
    super(scope, id);
    const name = `mangaassist-${props.stage}-moderation-alerts`;
    this.connection = new Connection(this, 'Connection', {
      connectionName: name,
      description: `MangaAssist ${props.stage}: API key for the moderation alert webhook`,
      authorization: Authorization.apiKey(
        props.apiKeyHeader,
        SecretValue.secretsManager(props.apiKey.secretArn),
      ),
    });
    this.apiDestination = new ApiDestination(this, 'Destination', {
      apiDestinationName: name,
      description: `MangaAssist ${props.stage}: critical moderation alerts (Slack-style webhook)`,
      connection: this.connection,
      endpoint: props.endpoint,
      httpMethod: HttpMethod.POST,
      rateLimitPerSecond: props.rateLimitPerSecond ?? 10,
    });
  }
}
