import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@mangaassist/commons';
import { tableSpecs, webhookLimits } from '@mangaassist/contracts';
import {
  type BatchObjectStore,
  type BedrockEmulator,
  type BedrockEmulatorOptions,
  startBedrockEmulator,
} from '../bedrock-emulator/index.js';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../dynamodb/embedded-dynamodb.js';
import { ensureTables } from '../dynamodb/ensure-tables.js';
import { type LocalEventBridge, startLocalEventBridge } from '../eventbridge/index.js';

/** Items each table of `pnpm dev` keeps; beyond, the least recently written go (`TableRetention`). */
export const localItemsPerTable = 10_000;

/** What every SDK client of `pnpm dev` signs with: the local endpoints accept any credentials. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The region the local clients sign for (the local endpoints accept any). */
export const localRegion = 'ap-northeast-1';

/** The stage `pnpm dev` names its tables with (`tableName('local', spec)`). */
export const localStage = 'local';

/**
 * The issuer of `pnpm dev`'s end user tokens (`POST /_local/tokens`), verified as the deployed
 * authorizer verifies Cognito's: same claims, same checks. Its keys are at
 * `GET /_local/.well-known/jwks.json`.
 */
export const localTokenIssuer = {
  issuer: 'urn:mangaassist:local',
  audience: ['mangaassist-local'],
  tenantClaim: 'custom:tenant',
};

export interface LocalAwsOptions {
  /** Ports of the emulators; 0 picks free ports (see `/_local/endpoints`). */
  readonly bedrockPort?: number;
  readonly dynamoDbPort?: number;
  readonly eventBridgePort?: number;
  /** Emulator options (deterministic randomness, latency) for tests. */
  readonly emulator?: Omit<BedrockEmulatorOptions, 'port' | 'host' | 'batch'>;
  /**
   * The buckets the emulator's batch inference jobs read their input from and write their output
   * to; each job's state changes go on the local bus's default bus, as Bedrock's do.
   * @default - the emulator answers no batch inference operation
   */
  readonly batchObjects?: BatchObjectStore;
  readonly logger: Logger;
}

/** The AWS services of `pnpm dev`, each on a local port the real SDK clients talk to. */
export interface LocalAws {
  readonly emulator: BedrockEmulator;
  readonly dynamoDb: EmbeddedDynamoDb;
  readonly eventBridge: LocalEventBridge;
  close(): Promise<void>;
}

/**
 * Starts the Bedrock emulator, the embedded DynamoDB with every table the stacks deploy (from the
 * same specs), and the local EventBridge. With `batchObjects`, the emulator runs batch inference
 * jobs over them and puts each job's "Batch Inference Job State Change" on the default bus.
 * `close` stops the bus first (its targets still write to DynamoDB and call the emulator while
 * they drain), then the rest.
 */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const { logger } = options;
  // Jobs start only once everything is up: the bus is there by their first state change.
  let bus: LocalEventBridge['bus'] | undefined;
  const emulator = await startBedrockEmulator({
    ...options.emulator,
    port: options.bedrockPort ?? 0,
    host: '127.0.0.1',
    ...(options.batchObjects
      ? {
          batch: {
            objectStore: options.batchObjects,
            onStateChange: (change) => {
              bus?.put({ ...change, eventBusName: 'default' });
            },
          },
        }
      : {}),
  });
  // A day of a developer's clicking fits; a soak test stays within a few hundred MB.
  const dynamoDb = await startEmbeddedDynamoDb({
    port: options.dynamoDbPort ?? 0,
    retention: { maxItemsPerTable: localItemsPerTable, logger },
  });
  const tables = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: localRegion,
    credentials: localCredentials,
  });
  await ensureTables(tables, localStage, tableSpecs, { logger });
  tables.destroy();
  const eventBridge = await startLocalEventBridge({
    port: options.eventBridgePort ?? 0,
    logger,
    // A target's backlog holds the largest catalog the webhook accepts (one event per item, and
    // one InferenceCompleted per item enriched), so no event of one delivery is dead-lettered
    // for want of room.
    busOptions: { capacity: 20_000, maxWaitingPerTarget: webhookLimits.maxCatalogItems },
  });
  bus = eventBridge.bus;
  return {
    emulator,
    dynamoDb,
    eventBridge,
    async close() {
      await eventBridge.close();
      await Promise.all([emulator.close(), dynamoDb.close()]);
    },
  };
}
