import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  type KeySpec,
  physicalTableName,
  TABLES,
  type TableId,
  type TableSpec,
} from '../functions/domain/tables.js';

export interface DataTablesProps {
  /** Deployment name, part of every table name. */
  readonly stage: string;
}

/**
 * One DynamoDB table per entry of the shared data model. Every table is
 * on-demand, encrypted with the AWS managed key and has point-in-time
 * recovery; the critical ones (cases, notes, flows, audit, directory, …)
 * also survive a stack deletion and refuse to be deleted.
 */
export class DataTables extends Construct {
  /** The tables by their id in the data model. */
  readonly tables: Readonly<Record<TableId, Table>>;

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);

    const entries = Object.entries(TABLES) as [TableId, TableSpec][];
    this.tables = Object.fromEntries(
      entries.map(([tableId, spec]) => [
        tableId,
        this.createTable(props.stage, spec),
      ]),
    ) as Record<TableId, Table>;
  }

  private createTable(stage: string, spec: TableSpec): Table {
    const table = new Table(this, spec.id, {
      tableName: physicalTableName(stage, spec),
      partitionKey: attribute(spec.partitionKey),
      sortKey: spec.sortKey && attribute(spec.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: spec.critical,
      removalPolicy: spec.critical
        ? RemovalPolicy.RETAIN
        : RemovalPolicy.DESTROY,
      timeToLiveAttribute: spec.ttlAttribute,
      stream: spec.stream ? StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });

    for (const index of spec.globalIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey && attribute(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
    for (const index of spec.localIndexes ?? []) {
      table.addLocalSecondaryIndex({
        indexName: index.name,
        sortKey: attribute(index.sortKey ?? index.partitionKey),
        projectionType: ProjectionType.ALL,
      });
    }

    return table;
  }
}

const attribute = (key: KeySpec) => ({
  name: key.name,
  type: key.type === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
});
