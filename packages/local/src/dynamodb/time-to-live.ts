/**
 * `UpdateTimeToLive` and `DescribeTimeToLive` for the embedded DynamoDB. dynalite has no
 * `UpdateTimeToLive` and always describes TTL as `DISABLED`; these record the setting per table so
 * that code enabling TTL runs unchanged and reads it back. `TableRetention` deletes expired items
 * (as DynamoDB does, eventually: readers that care must compare the TTL attribute with the clock
 * anyway).
 */
import {
  type DynamoDbCall,
  errorName,
  isObject,
  validationError,
  type WireBody,
  type WireReply,
} from './wire.js';

export interface TimeToLiveOperations {
  update(input: WireBody): Promise<WireReply>;
  describe(input: WireBody): Promise<WireReply>;
  /** The TTL attribute of a table with TTL enabled. */
  attributeOf(tableName: string): string | undefined;
}

/** TTL settings kept in memory, checked against the tables that exist (through `call`). */
export function createTimeToLive(call: DynamoDbCall): TimeToLiveOperations {
  const enabled = new Map<string, string>();

  const existing = async (input: WireBody): Promise<string | WireReply> => {
    if (typeof input.TableName !== 'string') return validationError('TableName is required');
    const described = await call('DescribeTable', { TableName: input.TableName });
    return errorName(described) === undefined ? input.TableName : described;
  };

  return {
    attributeOf: (tableName) => enabled.get(tableName),
    async update(input) {
      const tableName = await existing(input);
      if (typeof tableName !== 'string') return tableName;
      const specification = input.TimeToLiveSpecification;
      if (
        !isObject(specification) ||
        typeof specification.AttributeName !== 'string' ||
        specification.AttributeName === '' ||
        typeof specification.Enabled !== 'boolean'
      ) {
        return validationError('TimeToLiveSpecification needs an AttributeName and Enabled');
      }
      const current = enabled.get(tableName);
      if (specification.Enabled) {
        if (current !== undefined) return validationError('TimeToLive is already enabled');
        enabled.set(tableName, specification.AttributeName);
      } else {
        if (current === undefined) return validationError('TimeToLive is already disabled');
        enabled.delete(tableName);
      }
      return {
        status: 200,
        body: {
          TimeToLiveSpecification: {
            AttributeName: specification.AttributeName,
            Enabled: specification.Enabled,
          },
        },
      };
    },

    async describe(input) {
      const tableName = await existing(input);
      if (typeof tableName !== 'string') return tableName;
      const attributeName = enabled.get(tableName);
      return {
        status: 200,
        body: {
          TimeToLiveDescription:
            attributeName === undefined
              ? { TimeToLiveStatus: 'DISABLED' }
              : { TimeToLiveStatus: 'ENABLED', AttributeName: attributeName },
        },
      };
    },
  };
}
