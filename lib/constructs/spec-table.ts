import { type TableSpec, tableName } from '@mangaassist/contracts';
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  type CfnTable,
  type ITable,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface SpecTableProps {
  /** The table's keys, TTL attribute and logical name, shared with the local runtime. */
  readonly spec: TableSpec;
  /** Deployment stage: the table is named `mangaassist-<stage>-<spec name>`. */
  readonly stage: string;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse `DeleteTable` until switched off again (also guards against a console slip).
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * A DynamoDB table built from a contracts `TableSpec`, so the deployed table and the embedded
 * one `pnpm dev` creates have the same keys: on-demand capacity, point-in-time recovery, TTL on
 * the spec's attribute, and encryption at rest under the AWS managed key `aws/dynamodb`.
 *
 * Why the AWS managed key rather than a customer managed one: every use is logged in
 * CloudTrail like a customer key's, yet there is no key policy to get wrong, no grant each
 * function needs on top of its table grant, and no monthly key charge. The tables hold
 * conversations that expire within days and are read only by this account's functions; a
 * customer managed key starts paying for itself with cross-account access or a requirement to
 * revoke access to the data by disabling the key.
 */
export class SpecTable extends Construct {
  readonly table: Table;
  /**
   * The table by its name, for other stacks: granting or naming it there needs no export (its
   * name is fixed, its ARN built from the name), so the table stays replaceable.
   */
  readonly reference: ITable;

  constructor(scope: Construct, id: string, props: SpecTableProps) {
    super(scope, id);
    const { spec } = props;
    this.table = new Table(this, 'Table', {
      tableName: tableName(props.stage, spec),
      partitionKey: attribute(spec.partitionKey),
      ...(spec.sortKey ? { sortKey: attribute(spec.sortKey) } : {}),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      ...(spec.timeToLiveAttribute ? { timeToLiveAttribute: spec.timeToLiveAttribute } : {}),
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.reference = Table.fromTableName(this, 'Reference', tableName(props.stage, spec));
    const indexes = spec.globalSecondaryIndexes ?? [];
    if (indexes.length > 0) {
      // Declared on the CloudFormation resource, not through `addGlobalSecondaryIndex`: the L2
      // table would then add `index/*` to every grant of the table (GetItem, PutItem…, which no
      // index serves). A door that queries an index is granted that index alone.
      const resource = this.table.node.defaultChild as CfnTable;
      const keys = [spec, ...indexes].flatMap((keyed) => [
        keyed.partitionKey,
        ...(keyed.sortKey ? [keyed.sortKey] : []),
      ]);
      resource.addPropertyOverride(
        'AttributeDefinitions',
        [...new Map(keys.map((key) => [key.name, key.type]))].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
      );
      resource.addPropertyOverride(
        'GlobalSecondaryIndexes',
        indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
    }
  }
}

function attribute(key: TableSpec['partitionKey']): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
