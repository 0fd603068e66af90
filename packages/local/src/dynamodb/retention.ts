import { type Logger, RateLimitedWarning, silentLogger } from '@mangaassist/commons';
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

/** What `stats` reports of one table. */
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

interface Table {
  /**
   * Item ids (`itemId`) with the TTL a put gave them (epoch seconds, a hint: an update may have
   * moved it), least recently written first — a Map keeps insertion order, a rewrite moves to the end.
   */
  readonly items: Map<string, number | undefined>;
  /**
   * Items picked for eviction whose delete has not succeeded yet, with their TTL hint: a write
   * takes an item out (it is the newest now), a failed delete puts it back among `items`.
   */
  readonly evicting: Map<string, number | undefined>;
  expired: number;
  evicted: number;
}

/**
 * Bounds what the embedded DynamoDB keeps, so a long `pnpm dev` session does not grow without
 * limit: it watches the writes the tables accepted and deletes (1) items past their TTL, every
 * `sweepIntervalMs`, as DynamoDB itself does eventually — with a condition on the TTL attribute,
 * so an item whose TTL an update moved on is kept — and (2) the least recently written items of a
 * table holding more than `maxItemsPerTable`, which DynamoDB would keep: a local bound only,
 * logged when it bites. Deletes go through the same endpoint, as any client's, one call after
 * another: the TTL's one item each (conditional), evictions 25 items each (`BatchWriteItem`). An
 * item written again after its eviction was decided, before its batch is sent, is not deleted;
 * one whose delete failed (or stayed unprocessed) is tracked again, to go with a later eviction.
 *
 * Only items written while it watched are known: tables are created empty by `pnpm dev`. An
 * item's TTL is read from puts (`PutItem`, `BatchWriteItem`); one only ever written by
 * `UpdateItem` is bounded by the item count alone.
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

  /** Deletes the known items past their TTL (still past it when deleted); resolves when done. */
  async sweep(): Promise<void> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    for (const [name, table] of this.#tables) {
      const attribute = this.#ttlAttribute(name);
      if (attribute === undefined) continue;
      for (const [id, expiresAt] of table.items) {
        if (expiresAt === undefined || expiresAt > nowSeconds) continue;
        table.items.delete(id);
        this.#enqueue(async () => {
          const reply = await this.#send(
            'DeleteItem',
            {
              TableName: name,
              Key: keyOf(id),
              ConditionExpression: '#ttl <= :now',
              ExpressionAttributeNames: { '#ttl': attribute },
              ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            },
            name,
          );
          if (errorName(reply) === undefined) table.expired += 1;
          // Its TTL was moved on, or it was written again: still there, swept at its new TTL.
          else if (errorName(reply) === 'ConditionalCheckFailedException')
            await this.#retrack(name, table, id, attribute);
        });
      }
    }
    await this.#deleting;
  }

  /** Tracks an item the sweep found alive again, with the TTL it has now. */
  async #retrack(tableName: string, table: Table, id: string, attribute: string): Promise<void> {
    if (table.items.has(id)) return;
    const reply = await this.#send(
      'GetItem',
      {
        TableName: tableName,
        Key: keyOf(id),
        ProjectionExpression: '#ttl',
        ExpressionAttributeNames: { '#ttl': attribute },
      },
      tableName,
    );
    const item = reply.body.Item;
    if (errorName(reply) === undefined && isObject(item) && !table.items.has(id)) {
      table.items.set(id, expiryOf(item, attribute));
    }
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
    const id = await this.#idOf(tableName, item);
    if (id === undefined) return;
    const table = this.#table(tableName);
    const previous = table.items.has(id) ? table.items.get(id) : table.evicting.get(id);
    table.items.delete(id);
    table.evicting.delete(id);
    table.items.set(id, whole ? expiryOf(item, this.#ttlAttribute(tableName)) : previous);
    if (table.items.size > this.#maxItems) this.#evict(tableName, table);
  }

  async #forget(tableName: string, key: WireBody): Promise<void> {
    const id = await this.#idOf(tableName, key);
    if (id !== undefined) this.#tables.get(tableName)?.items.delete(id);
  }

  /** Deletes the least recently written items down to 95 % of the bound, so it is not paid per write. */
  #evict(tableName: string, table: Table): void {
    const excess = table.items.size - Math.floor(this.#maxItems * 0.95);
    const oldest: string[] = [];
    for (const id of table.items.keys()) {
      if (oldest.length >= excess) break;
      oldest.push(id);
    }
    for (const id of oldest) {
      table.evicting.set(id, table.items.get(id));
      table.items.delete(id);
    }
    this.#evictionWarning.warn(
      'local DynamoDB table over its item bound: deleting the least recently written',
      {
        table: tableName,
        maxItems: this.#maxItems,
        evicted: table.evicted + oldest.length,
      },
    );
    // Batched: one delete per call fell behind pnpm dev's writes at 100 req/s, and the queue grew.
    for (let index = 0; index < oldest.length; index += maxDeletesPerBatch) {
      const batch = oldest.slice(index, index + maxDeletesPerBatch);
      this.#enqueue(() => this.#evictBatch(tableName, table, batch));
    }
  }

  /**
   * Deletes a batch of picked items in one `BatchWriteItem`, but those written again since they
   * were picked; retries what DynamoDB leaves unprocessed, and tracks again what it could not
   * delete (the call failed, or the attempts ran out), for a later eviction to take.
   */
  async #evictBatch(tableName: string, table: Table, picked: readonly string[]): Promise<void> {
    let ids = picked;
    for (let attempt = 0; attempt < maxDeleteAttempts; attempt += 1) {
      ids = ids.filter((id) => table.evicting.has(id));
      if (ids.length === 0) return;
      const reply = await this.#send(
        'BatchWriteItem',
        { RequestItems: { [tableName]: ids.map((id) => ({ DeleteRequest: { Key: keyOf(id) } })) } },
        tableName,
      );
      if (errorName(reply) !== undefined) break;
      const unprocessed = new Set(await this.#unprocessedIds(tableName, reply.body));
      for (const id of ids) {
        if (unprocessed.has(id) || !table.evicting.delete(id)) continue;
        table.evicted += 1;
      }
      ids = ids.filter((id) => unprocessed.has(id));
    }
    const kept = ids.filter((id) => table.evicting.has(id));
    for (const id of kept) {
      table.items.set(id, table.evicting.get(id));
      table.evicting.delete(id);
    }
    if (kept.length > 0) {
      this.#logger.warn('local DynamoDB retention could not evict items; tracked again', {
        table: tableName,
        items: kept.length,
      });
    }
  }

  /** The ids of the deletes a `BatchWriteItem` reply left unprocessed. */
  async #unprocessedIds(tableName: string, reply: WireBody): Promise<string[]> {
    const unprocessed = isObject(reply.UnprocessedItems) ? reply.UnprocessedItems[tableName] : undefined;
    const ids: string[] = [];
    for (const write of Array.isArray(unprocessed) ? unprocessed : []) {
      const key = isObject(write) && isObject(write.DeleteRequest) ? write.DeleteRequest.Key : undefined;
      const id = isObject(key) ? await this.#idOf(tableName, key) : undefined;
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /** Runs deletes one after another, behind any already under way. */
  #enqueue(work: () => Promise<void>): void {
    this.#deleting = this.#deleting.then(work);
  }

  /** A call whose failure, of any kind, is a logged reply (never a rejection). */
  async #send(operation: string, input: WireBody, table: string) {
    try {
      const reply = await this.#call(operation, input);
      const failed = errorName(reply);
      if (failed !== undefined && failed !== 'ConditionalCheckFailedException') {
        this.#logger.warn('local DynamoDB retention call failed', { operation, table, error: failed });
      }
      return reply;
    } catch (error) {
      this.#logger.warn('local DynamoDB retention call failed', {
        operation,
        table,
        error: error instanceof Error ? error.message : String(error),
      });
      return { status: 500, body: { __type: '#LocalRetentionError' } };
    }
  }

  #table(name: string): Table {
    let table = this.#tables.get(name);
    if (table === undefined) {
      table = { items: new Map(), evicting: new Map(), expired: 0, evicted: 0 };
      this.#tables.set(name, table);
    }
    return table;
  }

  /** The item's id under the table's key schema; undefined when the table cannot be described. */
  async #idOf(tableName: string, item: WireBody): Promise<string | undefined> {
    const names = await this.#keyNamesOf(tableName);
    if (names === undefined || names.some((name) => item[name] === undefined)) return undefined;
    return itemId(Object.fromEntries(names.map((name) => [name, item[name]])));
  }

  #keyNamesOf(table: string): Promise<readonly string[] | undefined> {
    let names = this.#keyNames.get(table);
    if (names === undefined) {
      names = this.#call('DescribeTable', { TableName: table }).then(
        (reply) => {
          const schema = isObject(reply.body.Table) ? reply.body.Table.KeySchema : undefined;
          if (!Array.isArray(schema)) return undefined;
          return schema.flatMap((element) =>
            isObject(element) && typeof element.AttributeName === 'string' ? [element.AttributeName] : [],
          );
        },
        () => undefined,
      );
      // A table that could not be described is asked again next time (it may be created later).
      void names.then((found) => {
        if (found === undefined) this.#keyNames.delete(table);
      });
      this.#keyNames.set(table, names);
    }
    return names;
  }
}

/** DynamoDB's limit of writes in one `BatchWriteItem`. */
const maxDeletesPerBatch = 25;

/** Calls of one batch of evictions, the first included, while DynamoDB leaves some unprocessed. */
const maxDeleteAttempts = 3;

/** Throws `RangeError` for options a retention cannot have; returns the item bound. */
export function checkRetentionOptions(options: RetentionOptions): number {
  const maxItems = options.maxItemsPerTable ?? 20_000;
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`maxItemsPerTable must be a positive integer, got ${maxItems}`);
  }
  const interval = options.sweepIntervalMs ?? 30_000;
  if (!(interval > 0)) throw new RangeError(`sweepIntervalMs must be positive, got ${interval}`);
  return maxItems;
}

/**
 * An item's key as one string: `[name, wire value]` pairs sorted by name, as JSON, numbers in
 * one spelling (DynamoDB compares them by value: `1`, `1.0` and `1e0` are one key).
 */
function itemId(key: WireBody): string {
  return JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => {
        const value = key[name];
        return [
          name,
          isObject(value) && typeof value.N === 'string' ? { N: canonicalNumber(value.N) } : value,
        ];
      }),
  );
}

/**
 * A number's shortest spelling, when a double holds it exactly (up to 15 significant digits);
 * a longer one is kept as written — DynamoDB's 38 digits are more than a double has.
 */
function canonicalNumber(text: string): string {
  const mantissa = text.trim().replace(/^[+-]/, '').replace(/e.*$/i, '');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  const value = Number(text);
  return Number.isFinite(value) && digits.length <= 15 ? String(value) : text;
}

/** The key an id was made from. */
function keyOf(id: string): WireBody {
  const pairs: unknown = JSON.parse(id);
  return Object.fromEntries(Array.isArray(pairs) ? pairs.filter(isPair) : []);
}

function isPair(value: unknown): value is [string, unknown] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string';
}

/** The TTL attribute's value, epoch seconds, when the item has it as a number. */
function expiryOf(item: WireBody, attribute: string | undefined): number | undefined {
  if (attribute === undefined) return undefined;
  const value = item[attribute];
  const seconds = isObject(value) && typeof value.N === 'string' ? Number(value.N) : Number.NaN;
  return Number.isFinite(seconds) ? seconds : undefined;
}
