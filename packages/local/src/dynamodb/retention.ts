import { errorMessage, type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
import { type DynamoDbCall, errorName, isObject, type WireBody } from './wire.js';

export interface RetentionOptions {
  /** Items kept per table; beyond it the least recently written are deleted. @default 20_000 */
  readonly maxItemsPerTable?: number;
  /** How often items past their TTL attribute are deleted. @default 30_000 */
  readonly sweepIntervalMs?: number;
  /** Epoch milliseconds, for TTL. @default Date.now */
  readonly now?: () => number;
  /** Told (rate-limited) when a table over its bound loses items. @default silentLogger */
  readonly logger?: Logger;
}

/** What `/_local/endpoints` reports of one table. */
export interface TableRetentionStats {
  readonly items: number;
  /** Deleted because their TTL passed. */
  readonly expired: number;
  /** Deleted because the table was over `maxItemsPerTable`. */
  readonly evicted: number;
}

/** The writes whose items retention tracks. */
export const retainedOperations: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

interface Tracked {
  readonly key: WireBody;
  /** TTL attribute value, epoch seconds, when the write carried one. */
  expiresAt: number | undefined;
}

interface Table {
  /** Least recently written first: a Map keeps insertion order, and a rewrite moves to the end. */
  readonly items: Map<string, Tracked>;
  expired: number;
  evicted: number;
}

/**
 * Bounds what the embedded DynamoDB keeps, so a long `pnpm dev` session does not grow without
 * limit: it watches the writes the tables accepted and deletes (1) items whose TTL attribute has
 * passed, every `sweepIntervalMs`, as DynamoDB itself does eventually, and (2) the least recently
 * written items of a table holding more than `maxItemsPerTable` — which DynamoDB would keep: a
 * local bound only, logged when it bites. Deletes go through the same endpoint, as any client's.
 *
 * Only items written while it watched are known: tables are created empty by `pnpm dev`.
 * An item's TTL is read from `PutItem` and `BatchWriteItem` puts; one written by `UpdateItem`
 * is bounded by the item count alone.
 */
export class TableRetention {
  readonly #call: DynamoDbCall;
  readonly #ttlAttribute: (table: string) => string | undefined;
  readonly #maxItems: number;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #evictionWarning: RateLimitedWarning;
  readonly #tables = new Map<string, Table>();
  readonly #keyNames = new Map<string, Promise<readonly string[] | undefined>>();
  readonly #sweeper: NodeJS.Timeout;
  #deleting: Promise<void> = Promise.resolve();

  constructor(
    call: DynamoDbCall,
    ttlAttribute: (table: string) => string | undefined,
    options: RetentionOptions = {},
  ) {
    this.#call = call;
    this.#ttlAttribute = ttlAttribute;
    this.#maxItems = checkRetentionOptions(options);
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
    this.#evictionWarning = new RateLimitedWarning(this.#logger, () => performance.now(), 60_000);
    this.#sweeper = setInterval(() => void this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.#sweeper.unref();
  }

  /** Records a write the table accepted: the operation's name and its request body. */
  async observe(operation: string, body: WireBody): Promise<void> {
    if (operation === 'BatchWriteItem') {
      const requests = isObject(body.RequestItems) ? body.RequestItems : {};
      for (const [table, writes] of Object.entries(requests)) {
        for (const write of Array.isArray(writes) ? writes : []) {
          if (!isObject(write)) continue;
          if (isObject(write.PutRequest) && isObject(write.PutRequest.Item)) {
            await this.#put(table, write.PutRequest.Item, true);
          } else if (isObject(write.DeleteRequest) && isObject(write.DeleteRequest.Key)) {
            await this.#forget(table, write.DeleteRequest.Key);
          }
        }
      }
      return;
    }
    const table = body.TableName;
    if (typeof table !== 'string') return;
    if (operation === 'PutItem' && isObject(body.Item)) await this.#put(table, body.Item, true);
    else if (operation === 'UpdateItem' && isObject(body.Key)) await this.#put(table, body.Key, false);
    else if (operation === 'DeleteItem' && isObject(body.Key)) await this.#forget(table, body.Key);
  }

  /** Deletes every known item past its TTL; resolves when done. */
  async sweep(): Promise<void> {
    const nowSeconds = this.#now() / 1000;
    for (const [name, table] of this.#tables) {
      const expired = [...table.items.values()].filter(
        (item) => item.expiresAt !== undefined && item.expiresAt <= nowSeconds,
      );
      for (const item of expired) table.items.delete(itemId(item.key));
      table.expired += expired.length;
      if (expired.length > 0)
        this.#delete(
          name,
          expired.map((item) => item.key),
        );
    }
    await this.#deleting;
  }

  /** Per table: items known, and how many were deleted for their TTL or the bound. */
  stats(): Record<string, TableRetentionStats> {
    return Object.fromEntries(
      [...this.#tables].map(([name, { items, expired, evicted }]) => [
        name,
        { items: items.size, expired, evicted },
      ]),
    );
  }

  /** Resolves once the deletes started so far have been sent. */
  settled(): Promise<void> {
    return this.#deleting;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  async #put(tableName: string, item: WireBody, whole: boolean): Promise<void> {
    const names = await this.#keyNamesOf(tableName);
    if (names === undefined) return;
    const key = Object.fromEntries(names.map((name) => [name, item[name]]));
    if (names.some((name) => key[name] === undefined)) return;
    const table = this.#table(tableName);
    const id = itemId(key);
    const previous = table.items.get(id);
    table.items.delete(id);
    table.items.set(id, {
      key,
      expiresAt: whole ? expiryOf(item, this.#ttlAttribute(tableName)) : previous?.expiresAt,
    });
    if (table.items.size > this.#maxItems) this.#evict(tableName, table);
  }

  async #forget(tableName: string, key: WireBody): Promise<void> {
    const names = await this.#keyNamesOf(tableName);
    if (names === undefined) return;
    this.#tables
      .get(tableName)
      ?.items.delete(itemId(Object.fromEntries(names.map((name) => [name, key[name]]))));
  }

  /** Deletes the least recently written items down to 95 % of the bound, so it is not paid per write. */
  #evict(tableName: string, table: Table): void {
    const excess = table.items.size - Math.floor(this.#maxItems * 0.95);
    const oldest: WireBody[] = [];
    for (const [id, item] of table.items) {
      if (oldest.length >= excess) break;
      oldest.push(item.key);
      table.items.delete(id);
    }
    table.evicted += oldest.length;
    this.#evictionWarning.warn(
      'local DynamoDB table over its item bound: deleted the least recently written',
      {
        table: tableName,
        maxItems: this.#maxItems,
        evicted: table.evicted,
      },
    );
    this.#delete(tableName, oldest);
  }

  /** Sends the deletes one after another, behind any already under way; a failure is logged. */
  #delete(tableName: string, keys: readonly WireBody[]): void {
    this.#deleting = this.#deleting.then(async () => {
      for (const key of keys) {
        const reply = await this.#call('DeleteItem', { TableName: tableName, Key: key }).catch(
          (error: unknown) => ({ status: 500, body: { __type: `#${errorMessage(error)}` } }),
        );
        const failed = errorName(reply);
        if (failed !== undefined && failed !== 'ResourceNotFoundException') {
          this.#logger.warn('local DynamoDB retention could not delete an item', {
            table: tableName,
            error: failed,
          });
        }
      }
    });
  }

  #table(name: string): Table {
    let table = this.#tables.get(name);
    if (table === undefined) {
      table = { items: new Map(), expired: 0, evicted: 0 };
      this.#tables.set(name, table);
    }
    return table;
  }

  #keyNamesOf(table: string): Promise<readonly string[] | undefined> {
    let names = this.#keyNames.get(table);
    if (names === undefined) {
      names = this.#call('DescribeTable', { TableName: table }).then((reply) => {
        const schema = isObject(reply.body.Table) ? reply.body.Table.KeySchema : undefined;
        if (!Array.isArray(schema)) return undefined;
        return schema.flatMap((element) =>
          isObject(element) && typeof element.AttributeName === 'string' ? [element.AttributeName] : [],
        );
      });
      // A table that could not be described is asked again next time (it may be created later).
      void names.then((found) => {
        if (found === undefined) this.#keyNames.delete(table);
      });
      this.#keyNames.set(table, names);
    }
    return names;
  }
}

/** Throws `RangeError` for options a retention cannot have; returns the item bound. */
export function checkRetentionOptions(options: RetentionOptions): number {
  const maxItems = options.maxItemsPerTable ?? 20_000;
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`maxItemsPerTable must be a positive integer, got ${maxItems}`);
  }
  return maxItems;
}

/** An item's key as one string: attribute names sorted, values in wire form. */
function itemId(key: WireBody): string {
  return JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => [name, key[name]]),
  );
}

/** The TTL attribute's value, epoch seconds, when the item has it as a number. */
function expiryOf(item: WireBody, attribute: string | undefined): number | undefined {
  if (attribute === undefined) return undefined;
  const value = item[attribute];
  const seconds = isObject(value) && typeof value.N === 'string' ? Number(value.N) : Number.NaN;
  return Number.isFinite(seconds) ? seconds : undefined;
}
