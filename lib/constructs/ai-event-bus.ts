import { RemovalPolicy } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface AiEventBusProps {
  /** Deployment stage; part of the bus name `mangaassist-${stage}-ai-events`. */
  readonly stage: string;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The custom bus for AI events (`InferenceCompleted`, from source `mangaassist.ai`, and the
 * other detail types of the public contract). Publishers get `events:PutEvents` on it with
 * `eventBus.grantPutEventsTo(fn)` and its name in `EVENT_BUS_NAME`.
 */
export class AiEventBus extends Construct {
  readonly eventBus: EventBus;

  constructor(scope: Construct, id: string, props: AiEventBusProps) {
    super(scope, id);
    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: `mangaassist-${props.stage}-ai-events`,
      description: `MangaAssist ${props.stage}: InferenceCompleted and other AI events`,
    });
    this.eventBus.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);
  }
}
