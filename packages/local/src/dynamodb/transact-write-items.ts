/**
 * `TransactWriteItems` for the embedded DynamoDB. dynalite implements no transactions
 * (architect/dynalite#151), so this one runs each action as dynalite's own conditional single-item
 * write and, when one fails, undoes the writes already made before it answers.
 *
 * What holds, as in DynamoDB: all actions apply or none does; a failed condition answers
 * `TransactionCanceledException` with one `CancellationReasons` entry per action; at most 100
 * actions; one action per item; a missing table answers `ResourceNotFoundException`.
 *
 * What differs: transactions run one at a time (so they are isolated from each other), but a plain
 * write or a read that arrives meanwhile can see a transaction half applied; after the first failed
 * condition the later actions are not evaluated (their reason is `None`, where DynamoDB reports every
 * failing condition); `ClientRequestToken` idempotency, `ReturnValuesOnConditionCheckFailure`,
 * consumed capacity and item collection metrics are ignored.
 */
import {
  type DynamoDbCall,
  errorName,
  isObject,
  validationError,
  type WireBody,
  type WireReply,
} from './wire.js';

/** DynamoDB's quota of actions per transaction. */
export const maxTransactItems = 100;

const actionKinds = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;
type ActionKind = (typeof actionKinds)[number];

interface Action {
  readonly kind: ActionKind;
  readonly tableName: string;
  readonly key: WireBody;
  readonly spec: WireBody;
}

/** What restores an item after a write: the item as it was, or nothing when it did not exist. */
interface Undo {
  readonly tableName: string;
  readonly key: WireBody;
  readonly previous: WireBody | undefined;
}

/** A `TransactWriteItems` handler that writes through `call` (dynalite's own operations). */
export function createTransactWriteItems(call: DynamoDbCall): (input: WireBody) => Promise<WireReply> {
  let tail: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };

  return async (input) => {
    const parsed = await parseActions(call, input);
    if ('status' in parsed) return parsed;
    return oneAtATime(() => execute(call, parsed.actions));
  };
}

async function parseActions(call: DynamoDbCall, input: WireBody): Promise<{ actions: Action[] } | WireReply> {
  const items = input.TransactItems;
  if (!Array.isArray(items) || items.length === 0 || items.length > maxTransactItems) {
    return validationError(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: ` +
        `Member must have length less than or equal to ${maxTransactItems} and greater than or equal to 1`,
    );
  }
  const keySchemas = new Map<string, string[]>();
  const actions: Action[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const kinds = isObject(item) ? actionKinds.filter((kind) => item[kind] !== undefined) : [];
    const kind = kinds[0];
    const spec = kind === undefined || !isObject(item) ? undefined : item[kind];
    if (kinds.length !== 1 || kind === undefined || !isObject(spec) || typeof spec.TableName !== 'string') {
      return validationError('TransactItems can only contain one of Check, Put, Update or Delete');
    }
    const tableName = spec.TableName;
    let keyNames = keySchemas.get(tableName);
    if (keyNames === undefined) {
      const described = await call('DescribeTable', { TableName: tableName });
      if (errorName(described) !== undefined) return described;
      keyNames = keyAttributeNames(described.body);
      keySchemas.set(tableName, keyNames);
    }
    const source = kind === 'Put' ? spec.Item : spec.Key;
    if (!isObject(source) || keyNames.some((name) => source[name] === undefined)) {
      return validationError('One or more parameter values were invalid: Missing the key in the item');
    }
    const key = Object.fromEntries(keyNames.map((name) => [name, source[name]]));
    const identity = JSON.stringify([tableName, keyNames.map((name) => source[name])]);
    if (seen.has(identity)) {
      return validationError('Transaction request cannot include multiple operations on one item');
    }
    seen.add(identity);
    actions.push({ kind, tableName, key, spec });
  }
  return { actions };
}

async function execute(call: DynamoDbCall, actions: readonly Action[]): Promise<WireReply> {
  const undos: Undo[] = [];
  for (const [index, action] of actions.entries()) {
    const reply = await call(...singleItemRequest(action));
    const failure = errorName(reply);
    if (failure === undefined) {
      const previous = isObject(reply.body.Attributes) ? reply.body.Attributes : undefined;
      undos.push({ tableName: action.tableName, key: action.key, previous });
      continue;
    }
    await rollBack(call, undos);
    if (failure !== 'ConditionalCheckFailedException') return reply;
    return cancelled(actions.length, index);
  }
  // A passing condition check on a missing item created an empty one; it must not stay.
  const checksThatCreated = undos.filter(
    (undo, index) => actions[index]?.kind === 'ConditionCheck' && undo.previous === undefined,
  );
  await rollBack(call, checksThatCreated);
  return { status: 200, body: {} };
}

/**
 * The dynalite call that performs one action and returns the item as it was (`ALL_OLD`). A
 * condition check is an `UpdateItem` with no update: it changes nothing but may create an empty
 * item for the key, which is removed again whether the transaction succeeds or not.
 */
function singleItemRequest(action: Action): [string, WireBody] {
  const { spec } = action;
  const common = pickDefined(spec, [
    'TableName',
    'ConditionExpression',
    'ExpressionAttributeNames',
    'ExpressionAttributeValues',
  ]);
  switch (action.kind) {
    case 'Put':
      return ['PutItem', { ...common, Item: spec.Item, ReturnValues: 'ALL_OLD' }];
    case 'Delete':
      return ['DeleteItem', { ...common, Key: spec.Key, ReturnValues: 'ALL_OLD' }];
    case 'Update':
      return [
        'UpdateItem',
        { ...common, Key: spec.Key, UpdateExpression: spec.UpdateExpression, ReturnValues: 'ALL_OLD' },
      ];
    case 'ConditionCheck':
      return ['UpdateItem', { ...common, Key: spec.Key, ReturnValues: 'ALL_OLD' }];
  }
}

async function rollBack(call: DynamoDbCall, undos: readonly Undo[]): Promise<void> {
  for (const undo of [...undos].reverse()) {
    const reply =
      undo.previous === undefined
        ? await call('DeleteItem', { TableName: undo.tableName, Key: undo.key })
        : await call('PutItem', { TableName: undo.tableName, Item: undo.previous });
    if (errorName(reply) !== undefined) {
      throw new Error(`Embedded DynamoDB could not roll back a transaction: ${JSON.stringify(reply.body)}`);
    }
  }
}

function cancelled(count: number, failedIndex: number): WireReply {
  const codes = Array.from({ length: count }, (_, index) =>
    index === failedIndex ? 'ConditionalCheckFailed' : 'None',
  );
  // DynamoDB spells this error's message `Message`, as the SDK's model of it expects.
  return {
    status: 400,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
      CancellationReasons: codes.map((code) =>
        code === 'None' ? { Code: code } : { Code: code, Message: 'The conditional request failed' },
      ),
    },
  };
}

function keyAttributeNames(description: WireBody): string[] {
  const table = description.Table;
  const schema = isObject(table) ? table.KeySchema : undefined;
  if (!Array.isArray(schema)) return [];
  return schema.flatMap((element) =>
    isObject(element) && typeof element.AttributeName === 'string' ? [element.AttributeName] : [],
  );
}

function pickDefined(source: WireBody, names: readonly string[]): WireBody {
  return Object.fromEntries(
    names.filter((name) => source[name] !== undefined).map((name) => [name, source[name]]),
  );
}
