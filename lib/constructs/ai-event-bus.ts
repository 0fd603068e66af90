import type { RegistrySchema } from '@mangaassist/contracts';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Archive, EventBus, type IEventBus, Match } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EventSchemaRegistry } from './event-schema-registry.js';

/** Every source the platform publishes from starts with this (`mangaassist.ai`, `mangaassist.reviews` …). */
export const platformSourcePrefix = 'mangaassist.';

export interface AiEventBusProps {
  /** Deployment stage; part of the bus name `mangaassist-${stage}-ai-events`. */
  readonly stage: string;
  /**
   * What happens to the bus, its archive and its schema registry when the stack goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long the archive keeps events for replay (whole days).
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
  /**
   * The schemas registered for the bus's events.
   * @default registrySchemas() from `@mangaassist/contracts`
   */
  readonly schemas?: readonly RegistrySchema[];
}

/**
 * The custom bus for AI events (`InferenceCompleted`, from source `mangaassist.ai`, and the
 * other detail types of the public contract). Publishers get `events:PutEvents` on it with
 * `eventBus.grantPutEventsTo(fn)` and its name in `EVENT_BUS_NAME`.
 *
 * - An archive (`mangaassist-<stage>-ai-events-archive`) keeps every event whose source starts
 *   with `mangaassist.` for `archiveRetention`, so a bad deploy of a consumer can be repaired by
 *   replaying the affected window (`aws events start-replay`, see the README). Replayed events
 *   carry `replay-name`; consumers are idempotent on the event id, so a replay never repeats an
 *   effect that already happened. Events are encrypted with an AWS owned key.
 * - An EventBridge Schema Registry (`mangaassist-<stage>-events`) holds the JSON Schema of
 *   every event type, generated from the contracts (`EventSchemaRegistry`).
 */
export class AiEventBus extends Construct {
  readonly eventBus: EventBus;
  /** The bus by its name, for other stacks: no export pins it. */
  readonly reference: IEventBus;
  readonly archive: Archive;
  readonly schemaRegistry: EventSchemaRegistry;

  constructor(scope: Construct, id: string, props: AiEventBusProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const busName = `mangaassist-${props.stage}-ai-events`;
    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: busName,
      description: `MangaAssist ${props.stage}: InferenceCompleted and other AI events`,
    });
    this.eventBus.applyRemovalPolicy(removalPolicy);
    this.reference = EventBus.fromEventBusName(this, 'Reference', busName);

    const retention = props.archiveRetention ?? Duration.days(30);
    this.archive = new Archive(this, 'Archive', {
      sourceEventBus: this.eventBus,
      archiveName: `${busName}-archive`,
      description: `MangaAssist ${props.stage}: every MangaAssist event of the bus for ${retention.toDays()} days, for replay`,
      // Everything the platform publishes (a prefix: a new source needs no change here). Replayed
      // events are not archived again: EventBridge adds a managed rule on the bus that keeps them out.
      eventPattern: { source: Match.prefix(platformSourcePrefix) },
      retention,
    });
    this.archive.applyRemovalPolicy(removalPolicy);

    this.schemaRegistry = new EventSchemaRegistry(this, 'Schemas', {
      stage: props.stage,
      removalPolicy,
      ...(props.schemas ? { schemas: props.schemas } : {}),
    });
  }
}
